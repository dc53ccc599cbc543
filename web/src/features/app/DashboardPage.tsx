// The dashboard home. For now: a welcome, the verify-your-email banner, and where things will be.
import { useEffect, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { PageHeader } from '../../components/AppShell';
import { Banner } from '../../components/Banner';
import { ButtonLink } from '../../components/Button';
import { Card } from '../../components/Card';
import { BookIcon, CardIcon, ChartIcon } from '../../components/icons';
import { trpc } from '../../lib/trpc';
import { useCurrentUser } from '../auth/session';

export function DashboardPage() {
  const user = useCurrentUser();
  const location = useLocation();
  const navigate = useNavigate();
  // A one-time notice handed over by the previous page (e.g. "Your email is verified"): shown once,
  // then dropped from history so a reload does not show it again.
  const [notice] = useState(() => (location.state as { notice?: string } | null)?.notice);
  useEffect(() => {
    if (location.state) navigate(location.pathname, { replace: true, state: null });
  }, [location.state, location.pathname, navigate]);
  const firstName = user.name?.split(/\s+/)[0];
  const billing = trpc.billing.summary.useQuery();
  const plan = billing.data?.plan;

  return (
    <div className="page">
      <PageHeader title="Dashboard" description="Your plan, your content and your tools, at a glance." />
      {notice && <Banner tone="success">{notice}</Banner>}
      {!user.emailVerified && (
        <Banner
          tone="warning"
          title="Verify your email"
          action={
            <ButtonLink to="/verify-email" size="sm" variant="secondary">
              Enter code
            </ButtonLink>
          }
        >
          Confirm <strong>{user.email}</strong> to choose a plan and manage billing.
        </Banner>
      )}
      <Card className="welcome-card">
        <h2 className="welcome-title">{firstName ? `Welcome, ${firstName}` : 'Welcome to DropIn'}</h2>
        {plan && (
          <p className="welcome-plan">
            You're on the <strong>{plan.name}</strong> plan
            {billing.data?.subscription?.status === 'trialing' ? ' (free trial)' : ''}.{' '}
            {plan.id === 'free' ? <Link to="/pricing">See plans</Link> : <Link to="/app/billing">Manage billing</Link>}
          </p>
        )}
        <p className="muted">
          You're on board. See this month's <Link to="/app/usage">usage</Link>, browse the <Link to="/app/library">library</Link>,
          or <Link to="/app/settings">manage your profile and sign-in</Link>.
        </p>
      </Card>
      <div className="tile-grid">
        <Link to="/app/library" className="tile">
          <BookIcon />
          <span className="tile-title">Library</span>
          <span className="tile-text">Premium guides and references.</span>
        </Link>
        <Link to="/app/usage" className="tile">
          <ChartIcon />
          <span className="tile-title">Usage</span>
          <span className="tile-text">API calls and limits for your plan.</span>
        </Link>
        <Link to="/app/billing" className="tile">
          <CardIcon />
          <span className="tile-title">Billing</span>
          <span className="tile-text">Plan, payment method and invoices.</span>
        </Link>
      </div>
    </div>
  );
}
