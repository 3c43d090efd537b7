import { useEffect, type ReactNode } from 'react';
import { Link } from '../router';
import { useSession } from '../session';

const NAV: { to: string; label: string; match: (path: string) => boolean }[] = [
  { to: '/', label: 'Market', match: (p) => p === '/' },
  { to: '/jobs', label: 'Jobs', match: (p) => p.startsWith('/jobs') },
  { to: '/submit', label: 'Submit', match: (p) => p.startsWith('/submit') },
  { to: '/providers', label: 'Providers', match: (p) => p.startsWith('/providers') },
  { to: '/account', label: 'Account', match: (p) => p.startsWith('/account') },
];

export function Layout({ pathname, children }: { pathname: string; children: ReactNode }) {
  const { apiKey } = useSession();
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Tessera home">
          <span className="brand-mark" aria-hidden="true">
            T
          </span>
          Tessera
        </Link>
        <nav className="nav" aria-label="Main">
          {NAV.map((item) => (
            <Link
              key={item.to}
              to={item.to}
              className={item.match(pathname) ? 'nav-link active' : 'nav-link'}
              aria-current={item.match(pathname) ? 'page' : undefined}
            >
              {item.label}
            </Link>
          ))}
          {apiKey ? null : (
            <Link to="/sign-in" className={pathname === '/sign-in' ? 'nav-link active' : 'nav-link nav-cta'}>
              Sign in
            </Link>
          )}
        </nav>
      </header>
      <main className="main">{children}</main>
    </div>
  );
}

/** A page's title row, with its actions on the right (below it on a phone). */
export function PageHeader({
  title,
  subtitle,
  actions,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle ? <p className="subtitle">{subtitle}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </div>
  );
}

/** The browser tab says which page this is. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Tessera`;
  }, [title]);
}
