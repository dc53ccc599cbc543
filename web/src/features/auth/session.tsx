// Who is logged in, as the server sees it (auth.me), and the guards that protect routes with it.
import { createContext, type ReactNode, use } from 'react';
import { Navigate, Outlet, useLocation } from 'react-router';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../../src/trpc/root';
import { trpc } from '../../lib/trpc';
import { loginUrl } from '../../lib/safe-next';
import { queryErrorMessage } from '../../lib/errors';
import { Banner } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Logo } from '../../components/Logo';
import { LoadingBlock } from '../../components/Spinner';

export type CurrentUser = NonNullable<inferRouterOutputs<AppRouter>['auth']['me']['user']>;

export function useMe() {
  return trpc.auth.me.useQuery(undefined, { staleTime: 60_000 });
}

const UserContext = createContext<CurrentUser | null>(null);

/** The logged-in user inside a <RequireAuth> tree. */
export function useCurrentUser(): CurrentUser {
  const user = use(UserContext);
  if (!user) throw new Error('useCurrentUser() used outside <RequireAuth>');
  return user;
}

/** Renders its children (or the nested route) only for a logged-in user; otherwise goes to /login?next=… */
export function RequireAuth({ children }: { children?: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) {
    return (
      <main id="main" tabIndex={-1}>
        <LoadingBlock label="Loading your account…" />
      </main>
    );
  }
  // A failed background refetch keeps the last answer; only a first load that failed stops here.
  if (!me.data) {
    return (
      <div className="auth-page">
        <header className="auth-top">
          <Logo />
        </header>
        <main id="main" tabIndex={-1} className="page-narrow">
          <Banner
            tone="error"
            title="We couldn't load your account"
            action={
              <Button variant="secondary" size="sm" onClick={() => void me.refetch()} loading={me.isFetching}>
                Try again
              </Button>
            }
          >
            {queryErrorMessage(me.error)}
          </Banner>
        </main>
      </div>
    );
  }
  const user = me.data.user;
  if (!user) return <Navigate to={loginUrl(location.pathname + location.search)} replace />;
  return <UserContext value={user}>{children ?? <Outlet />}</UserContext>;
}

/**
 * Re-reads auth.me straight from the server and stores it, so the next route renders with the new
 * session state (used right after login, signup, verification).
 */
export function useRefreshMe() {
  const utils = trpc.useUtils();
  return async () => {
    const me = await utils.client.auth.me.query();
    utils.auth.me.setData(undefined, me);
    return me;
  };
}

/**
 * After logout or account deletion: a full page load to `to`, so nothing cached for the previous
 * user (queries, component state) survives into the next one.
 */
export function leaveSignedOut(to: string): void {
  window.location.assign(to);
}
