/** The dashboard's pages and their paths; the coordinator serves index.html for all of them. */
export type Route =
  | { page: 'market' }
  | { page: 'jobs' }
  | { page: 'job'; id: string }
  | { page: 'submit' }
  | { page: 'providers' }
  | { page: 'provider'; id: string }
  | { page: 'account' }
  | { page: 'sign-in'; next?: string }
  | { page: 'not-found'; path: string };

/** Pages that need an API key; the others (market, providers) are public. */
export const PRIVATE_PAGES: ReadonlySet<Route['page']> = new Set(['jobs', 'job', 'submit', 'account']);

export function matchRoute(pathname: string, search = ''): Route {
  const parts = pathname
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  const [first, second, ...rest] = parts;
  if (rest.length) return { page: 'not-found', path: pathname };
  if (!first) return { page: 'market' };
  if (first === 'jobs') return second ? { page: 'job', id: second } : { page: 'jobs' };
  if (first === 'providers') return second ? { page: 'provider', id: second } : { page: 'providers' };
  if (second) return { page: 'not-found', path: pathname };
  if (first === 'submit') return { page: 'submit' };
  if (first === 'account') return { page: 'account' };
  if (first === 'sign-in') {
    const next = new URLSearchParams(search).get('next');
    // Only paths of this app: never an open redirect to another origin.
    return next && next.startsWith('/') && !next.startsWith('//')
      ? { page: 'sign-in', next }
      : { page: 'sign-in' };
  }
  return { page: 'not-found', path: pathname };
}

export function pathOf(route: Route): string {
  switch (route.page) {
    case 'market':
      return '/';
    case 'jobs':
      return '/jobs';
    case 'job':
      return `/jobs/${encodeURIComponent(route.id)}`;
    case 'submit':
      return '/submit';
    case 'providers':
      return '/providers';
    case 'provider':
      return `/providers/${encodeURIComponent(route.id)}`;
    case 'account':
      return '/account';
    case 'sign-in':
      return route.next ? `/sign-in?next=${encodeURIComponent(route.next)}` : '/sign-in';
    case 'not-found':
      return route.path;
  }
}
