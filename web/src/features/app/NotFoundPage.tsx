import { ButtonLink } from '../../components/Button';
import { Logo } from '../../components/Logo';
import { EmptyState } from '../../components/EmptyState';

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
              <ButtonLink to="/" variant="secondary">
                Go to the home page
              </ButtonLink>
            }
          >
            <p>We couldn't find that page. It may have moved, or it isn't built yet.</p>
          </EmptyState>
        </div>
      </main>
    </div>
  );
}
