// What an address that is no page shows (the server answers it with a 404): on its own outside the
// app, and inside the app's frame under /app, so the navigation stays at hand. Both offer a way on.
import { ButtonLink } from '../../components/Button';
import { Card } from '../../components/Card';
import { EmptyState } from '../../components/EmptyState';
import { Logo } from '../../components/Logo';
import { webPages } from '../../../../src/lib/web-routes';

const explanation = <p>There's no page at this address. Check the link for a typo, or carry on from one of these.</p>;

/** Outside the app: a page of its own. */
export function NotFoundPage() {
  return (
    <div className="auth-page">
      <header className="auth-top">
        <Logo />
      </header>
      <main id="main" tabIndex={-1} className="auth-main">
        <title>Page not found · DropIn</title>
        <div className="auth-card">
          <EmptyState
            headingLevel={1}
            title="Page not found"
            action={
              <>
                <ButtonLink to={webPages.home}>Go to the home page</ButtonLink>
                <ButtonLink to={webPages.dashboard} variant="secondary">
                  Open your dashboard
                </ButtonLink>
              </>
            }
          >
            {explanation}
          </EmptyState>
        </div>
      </main>
    </div>
  );
}

/** Under /app: inside the app's frame, which already holds the page's <main>. */
export function AppNotFoundPage() {
  return (
    <div className="page">
      <title>Page not found · DropIn</title>
      <Card>
        <EmptyState
          headingLevel={1}
          title="Page not found"
          action={
            <>
              <ButtonLink to={webPages.dashboard}>Go to the dashboard</ButtonLink>
              <ButtonLink to={webPages.library} variant="secondary">
                Browse the library
              </ButtonLink>
            </>
          }
        >
          {explanation}
        </EmptyState>
      </Card>
    </div>
  );
}
