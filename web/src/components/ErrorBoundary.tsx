// Keeps a render error inside the part of the app where it happened: that part shows a short
// message with a way on, while the frame around it (navigation, tabs) keeps working. Going to
// another address tries again, so the rest of the app stays usable without a reload.
import { Component, type ReactNode } from 'react';
import { useLocation } from 'react-router';
import { Button, ButtonLink } from './Button';
import { Card } from './Card';
import { EmptyState } from './EmptyState';
import { AlertIcon } from './icons';
import { Logo } from './Logo';

interface BoundaryProps {
  /** A change of this value clears a caught error and renders the children again. */
  resetKey: unknown;
  fallback: ReactNode;
  children: ReactNode;
}

// React catches render errors only in a class component. It also logs them to the console.
class Boundary extends Component<BoundaryProps, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  override componentDidUpdate(prev: BoundaryProps) {
    if (this.state.failed && prev.resetKey !== this.props.resetKey) this.setState({ failed: false });
  }

  override render() {
    return this.state.failed ? this.props.fallback : this.props.children;
  }
}

interface PageErrorProps {
  /** Where the area starts, and the link's words ("Go to the dashboard"). */
  home: string;
  homeLabel: string;
  /** Outside the app's frame: the message brings its own page with the logo and <main>. */
  standalone?: boolean;
}

/**
 * Around the pages of one area: a page that fails to render is replaced by a message that offers a
 * reload and a link to where the area starts; going to another path tries the page again.
 */
export function PageErrorBoundary({ children, ...fallback }: PageErrorProps & { children: ReactNode }) {
  const { pathname } = useLocation();
  return (
    <Boundary resetKey={pathname} fallback={<PageError {...fallback} />}>
      {children}
    </Boundary>
  );
}

function PageError({ home, homeLabel, standalone = false }: PageErrorProps) {
  const message = (
    <div role="alert">
      <title>Something went wrong · DropIn</title>
      <EmptyState
        headingLevel={1}
        icon={<AlertIcon size={28} />}
        title="This page couldn't be shown"
        action={
          <>
            <Button onClick={() => window.location.reload()}>Reload the page</Button>
            <ButtonLink to={home} variant="secondary">
              {homeLabel}
            </ButtonLink>
          </>
        }
      >
        <p>Something went wrong on our side while showing it. Reloading often helps, or carry on from another page.</p>
      </EmptyState>
    </div>
  );
  if (!standalone) {
    return (
      <div className="page">
        <Card>{message}</Card>
      </div>
    );
  }
  return (
    <div className="auth-page">
      <header className="auth-top">
        <Logo />
      </header>
      <main id="main" tabIndex={-1} className="auth-main">
        <div className="auth-card">{message}</div>
      </main>
    </div>
  );
}
