import { PageHeader, useTitle } from '../components/layout';
import { Empty } from '../components/ui';
import { Link } from '../router';

export function NotFoundPage({ path }: { path: string }) {
  useTitle('Not found');
  return (
    <>
      <PageHeader title="Page not found" />
      <Empty title={`Nothing lives at ${path}`}>
        <p>
          Try the <Link to="/">market</Link> or <Link to="/jobs">your jobs</Link>.
        </p>
      </Empty>
    </>
  );
}
