import { useEffect } from 'react';
import { Layout } from './components/layout';
import { matchRoute, PRIVATE_PAGES, type Route } from './lib/routes';
import { AccountPage } from './pages/account';
import { JobPage } from './pages/job';
import { JobsPage } from './pages/jobs';
import { MarketPage } from './pages/market';
import { NotFoundPage } from './pages/not-found';
import { ProviderPage } from './pages/provider';
import { ProvidersPage } from './pages/providers';
import { SignInPage } from './pages/sign-in';
import { SubmitPage } from './pages/submit';
import { navigate, useLocation } from './router';
import { useSession } from './session';

export function App() {
  const { pathname, search } = useLocation();
  const { apiKey } = useSession();
  const route = matchRoute(pathname, search);
  const needsKey = PRIVATE_PAGES.has(route.page) && !apiKey;

  // Private pages send you to sign in, and back here afterwards.
  useEffect(() => {
    if (needsKey) navigate(`/sign-in?next=${encodeURIComponent(pathname + search)}`, { replace: true });
  }, [needsKey, pathname, search]);

  return <Layout pathname={pathname}>{needsKey ? null : <Page route={route} />}</Layout>;
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'market':
      return <MarketPage />;
    case 'jobs':
      return <JobsPage />;
    case 'job':
      return <JobPage key={route.id} id={route.id} />;
    case 'submit':
      return <SubmitPage />;
    case 'providers':
      return <ProvidersPage />;
    case 'provider':
      return <ProviderPage key={route.id} id={route.id} />;
    case 'account':
      return <AccountPage />;
    case 'sign-in':
      return <SignInPage next={route.next} />;
    case 'not-found':
      return <NotFoundPage path={route.path} />;
  }
}
