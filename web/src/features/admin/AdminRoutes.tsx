// The admin area: only for admins (the server refuses everyone else anyway), with a tab bar for
// its sections. Each section is its own page under /app/admin/….
import { NavLink, Route, Routes } from 'react-router';
import { PageHeader } from '../../components/AppShell';
import { EmptyState } from '../../components/EmptyState';
import { ShieldIcon } from '../../components/icons';
import { useCurrentUser } from '../auth/session';
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
  { to: '/app/admin', label: 'Overview', end: true },
  { to: '/app/admin/subscribers', label: 'Subscribers', end: false },
  { to: '/app/admin/failed-payments', label: 'Failed payments', end: false },
  { to: '/app/admin/events', label: 'Stripe events', end: false },
  { to: '/app/admin/reconciler', label: 'Reconciler', end: false },
  { to: '/app/admin/content', label: 'Content', end: false },
];

export function AdminRoutes() {
  const user = useCurrentUser();
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
      <Routes>
        <Route index element={<OverviewPage />} />
        <Route path="subscribers" element={<SubscribersPage />} />
        <Route path="subscribers/:userId" element={<SubscriberPage />} />
        <Route path="failed-payments" element={<FailedPaymentsPage />} />
        <Route path="events" element={<EventsPage />} />
        <Route path="reconciler" element={<ReconcilerPage />} />
        <Route path="content" element={<ContentPage />} />
        <Route path="content/new" element={<ContentNewPage />} />
        <Route path="content/:slug" element={<ContentEditPage />} />
      </Routes>
    </div>
  );
}
