// The admin area: only for admins (the server refuses everyone else anyway), with a tab bar for
// its sections. Each section is its own page under /app/admin/…; one that fails to render leaves
// the tabs working.
import { createRoutesFromElements, Navigate, NavLink, Route, useRoutes } from 'react-router';
import { childPath, webPages } from '../../../../src/lib/web-routes';
import { PageHeader } from '../../components/AppShell';
import { EmptyState } from '../../components/EmptyState';
import { PageErrorBoundary } from '../../components/ErrorBoundary';
import { ShieldIcon } from '../../components/icons';
import { leaveSignedOut, useCurrentUser, useMe } from '../auth/session';
import { trpc } from '../../lib/trpc';
import { Button } from '../../components/Button';
import { AppNotFoundPage } from '../app/NotFoundPage';
import { OverviewPage } from './OverviewPage';
import { SubscribersPage } from './SubscribersPage';
import { SubscriberPage } from './SubscriberPage';
import { FailedPaymentsPage } from './FailedPaymentsPage';
import { EventsPage } from './EventsPage';
import { ReconcilerPage } from './ReconcilerPage';
import { ContentPage } from './ContentPage';
import { ContentEditPage, ContentNewPage } from './ContentEditPage';
import './admin.css';

const TABS = [
  { to: webPages.admin, label: 'Overview', end: true },
  { to: webPages.adminSubscribers, label: 'Subscribers', end: false },
  { to: webPages.adminFailedPayments, label: 'Failed payments', end: false },
  { to: webPages.adminEvents, label: 'Stripe events', end: false },
  { to: webPages.adminReconciler, label: 'Reconciler', end: false },
  { to: webPages.adminContent, label: 'Content', end: false },
];

const at = (page: string) => childPath(webPages.admin, page);

/** The sections, relative to /app/admin where the app mounts this area. */
export const adminRoutes = createRoutesFromElements(
  <>
    <Route index element={<OverviewPage />} />
    <Route path={at(webPages.adminSubscribers)} element={<SubscribersPage />} />
    <Route path={at(webPages.adminSubscriber)} element={<SubscriberPage />} />
    <Route path={at(webPages.adminFailedPayments)} element={<FailedPaymentsPage />} />
    <Route path={at(webPages.adminEvents)} element={<EventsPage />} />
    <Route path={at(webPages.adminReconciler)} element={<ReconcilerPage />} />
    <Route path={at(webPages.adminContent)} element={<ContentPage />} />
    <Route path={at(webPages.adminContentNew)} element={<ContentNewPage />} />
    <Route path={at(webPages.adminContentItem)} element={<ContentEditPage />} />
    <Route path="*" element={<AppNotFoundPage />} />
  </>,
);

export function AdminRoutes() {
  const user = useCurrentUser();
  const me = useMe();
  const section = useRoutes(adminRoutes);
  if (user.role !== 'admin') {
    return (
      <div className="page">
        <PageHeader title="Admin" />
        <div className="card">
          <EmptyState icon={<ShieldIcon size={28} />} title="Admins only">
            <p>You don't have access to this area.</p>
          </EmptyState>
        </div>
      </div>
    );
  }
  // ADMIN_REQUIRE_2FA: enrol first (the server refuses every admin procedure until then), then use a
  // session that passed the code at sign-in.
  if (me.data?.adminTwoFactor === 'enrol' || (me.data?.adminRequiresTwoFactor && !user.twoFactorEnabled)) {
    return <Navigate to={`${webPages.settings}?notice=admin-two-factor#two-factor`} replace />;
  }
  if (me.data?.adminTwoFactor === 'sign-in') return <SignInAgain />;
  return (
    <div className="admin">
      <nav className="admin-tabs" aria-label="Admin sections">
        {TABS.map((t) => (
          <NavLink
            key={t.to}
            to={t.to}
            end={t.end}
            className={({ isActive }) => `admin-tab${isActive ? ' admin-tab-active' : ''}`}
          >
            {t.label}
          </NavLink>
        ))}
      </nav>
      <PageErrorBoundary home={webPages.admin} homeLabel="Go to the admin overview">
        {section}
      </PageErrorBoundary>
    </div>
  );
}

/** This session started without the second factor: the admin area opens after a sign-in with the code. */
function SignInAgain() {
  const next = encodeURIComponent(webPages.admin);
  const logout = trpc.auth.logout.useMutation({
    onSuccess: () => leaveSignedOut(`${webPages.login}?next=${next}`),
  });
  return (
    <div className="page">
      <PageHeader title="Admin" />
      <div className="card">
        <EmptyState
          icon={<ShieldIcon size={28} />}
          title="Sign in again with your code"
          action={
            <Button onClick={() => logout.mutate()} loading={logout.isPending}>
              Sign in again
            </Button>
          }
        >
          <p>The admin area needs a session that was signed in with your two-factor code. This one started without it.</p>
          {logout.error && <p role="alert">{logout.error.message}</p>}
        </EmptyState>
      </div>
    </div>
  );
}
