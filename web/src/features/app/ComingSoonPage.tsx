// Sections that later work fills in (Library, Usage, Billing, Admin) show an honest empty state.
import type { ReactNode } from 'react';
import { PageHeader } from '../../components/AppShell';
import { ButtonLink } from '../../components/Button';
import { EmptyState } from '../../components/EmptyState';
import { ShieldIcon } from '../../components/icons';
import { useCurrentUser } from '../auth/session';

export function ComingSoonPage({
  title,
  description,
  icon,
  emptyTitle,
  emptyText,
}: {
  title: string;
  description: string;
  icon: ReactNode;
  emptyTitle: string;
  emptyText: string;
}) {
  return (
    <div className="page">
      <PageHeader title={title} description={description} />
      <div className="card">
        <EmptyState
          icon={icon}
          title={emptyTitle}
          action={
            <ButtonLink to="/app" variant="secondary">
              Back to dashboard
            </ButtonLink>
          }
        >
          <p>{emptyText}</p>
        </EmptyState>
      </div>
    </div>
  );
}

/** Admin pages: only for admins; anyone else is told plainly. */
export function AdminPage() {
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
    <ComingSoonPage
      title="Admin"
      description="Subscribers, payments, revenue and Stripe events."
      icon={<ShieldIcon size={28} />}
      emptyTitle="Admin tools are on their way"
      emptyText="Subscriber lists, failed payments, revenue and the Stripe event log will appear here."
    />
  );
}
