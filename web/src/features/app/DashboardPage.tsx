// The dashboard home: the one thing to do now (if any), the plan with its next charge and card,
// this period's usage with a small per-day chart (and the same figures as a table), the latest
// invoices and the newest pieces in the library. Each card loads on its own.
import { useEffect, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { PageHeader } from '../../components/AppShell';
import { Banner } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { Card } from '../../components/Card';
import { cx } from '../../components/cx';
import { type QueryLike, QueryState } from '../../components/QueryState';
import { formatDate } from '../../lib/format';
import { formErrors } from '../../lib/errors';
import { trpc } from '../../lib/trpc';
import { useCurrentUser } from '../auth/session';
import { alertPollInterval } from '../billing/AccountAlerts';
import {
  type BillingSummary,
  formatMoney,
  planLabel,
  scheduledChangeLabel,
  statusOf,
  useActionIds,
} from '../billing/billing-lib';
import { NextChargeFigure } from '../billing/NextCharge';
import { UsageDays } from './UsageDays';
import '../billing/billing.css';
import '../usage/usage.css';
import './dashboard.css';

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
  const billing = trpc.billing.summary.useQuery(undefined, { refetchInterval: (q) => alertPollInterval(q.state.data) });

  return (
    <div className="page dashboard-page">
      <PageHeader
        title="Dashboard"
        description={`${firstName ? `Welcome, ${firstName}. ` : ''}Your plan, your money, your usage and what's new, at a glance.`}
      />
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
      {billing.data && <NextStep summary={billing.data} />}
      <div className="dashboard-grid">
        <PlanCard query={billing} />
        <UsageCard />
        <InvoicesPreview poll={alertPollInterval(billing.data) !== false} />
        <LibraryCard />
      </div>
    </div>
  );
}

type Step = {
  tone: 'info' | 'warning';
  title: string;
  text: string;
  action: { kind: 'portal'; label: string } | { kind: 'link'; to: string; label: string } | { kind: 'resume'; label: string };
};

/** Months until a card stops working: 0 in its last month, negative once expired. */
function monthsLeft(pm: { expMonth: number; expYear: number }, now = new Date()): number {
  return (pm.expYear - now.getUTCFullYear()) * 12 + (pm.expMonth - (now.getUTCMonth() + 1));
}

/**
 * The one action that matters now, most urgent first. A payment that needs action is the banner
 * the app shows above every page, so it is not repeated here.
 */
function nextStep(s: BillingSummary): Step | null {
  if (s.alerts.some((a) => a.severity === 'action_required')) return null;
  const sub = s.subscription;
  const pm = s.paymentMethod;
  const ending = Boolean(sub?.cancelAtPeriodEnd || sub?.cancelAt);
  if (sub && !ending && pm && monthsLeft(pm) <= 0) {
    const expired = monthsLeft(pm) < 0;
    return {
      tone: 'warning',
      title: expired ? 'Your card has expired' : 'Your card expires this month',
      text: `${pm.brand.charAt(0).toUpperCase() + pm.brand.slice(1)} ending in ${pm.last4} ${expired ? 'expired' : 'expires'} at the end of ${String(pm.expMonth).padStart(2, '0')}/${pm.expYear}. Update it so your next payment goes through.`,
      action: { kind: 'portal', label: 'Update card' },
    };
  }
  if (sub?.status === 'trialing' && !ending) {
    const end = sub.trialEnd ?? sub.currentPeriodEnd;
    const days = sub.trialDaysLeft ?? 0;
    if (!pm)
      return {
        tone: 'warning',
        title: `Add a card to keep ${planLabel(s)} after your trial`,
        text: `Your free trial ends ${end ? `on ${formatDate(end)}` : 'soon'}. Without a card you'll move to Free.`,
        action: { kind: 'portal', label: 'Add a card' },
      };
    return {
      tone: 'info',
      title: `${days} ${days === 1 ? 'day' : 'days'} left in your free trial`,
      text: `Your first payment is taken ${end ? `on ${formatDate(end)}` : 'when the trial ends'}. You can change or cancel your plan before then.`,
      action: { kind: 'link', to: '/app/billing', label: 'Review your plan' },
    };
  }
  if (sub && ending) {
    const end = sub.cancelAt ?? sub.currentPeriodEnd;
    return {
      tone: 'warning',
      title: `Your ${planLabel(s)} plan ends${end ? ` on ${formatDate(end)}` : ''}`,
      text: "You won't be charged again; then you'll move to Free. Resume to keep your plan.",
      action: { kind: 'resume', label: 'Resume subscription' },
    };
  }
  if (!sub)
    return {
      tone: 'info',
      title: 'Get the whole library and more API calls',
      text: 'Try Pro or Business free before your first payment.',
      action: { kind: 'link', to: '/pricing', label: 'See plans' },
    };
  return null;
}

function NextStep({ summary }: { summary: BillingSummary }) {
  const utils = trpc.useUtils();
  const actions = useActionIds();
  const portal = trpc.billing.portal.useMutation({ onSuccess: ({ url }) => window.location.assign(url) });
  const resume = trpc.billing.resume.useMutation({
    onSettled: (_d, error) => actions.settle('resume', error),
    onSuccess: (next) => utils.billing.summary.setData(undefined, next),
  });
  const step = nextStep(summary);
  if (!step) return null;
  const error = formErrors(portal.error ?? resume.error).message;
  const a = step.action;
  return (
    <section className={cx('next-step', `next-step-${step.tone}`)} aria-labelledby="next-step-title">
      <div>
        <p className="next-step-eyebrow">Next step</p>
        <h2 id="next-step-title" className="next-step-title">
          {step.title}
        </h2>
        <p className="muted">{step.text}</p>
        {error && <p className="field-error">{error}</p>}
      </div>
      {a.kind === 'link' ? (
        <ButtonLink to={a.to}>{a.label}</ButtonLink>
      ) : a.kind === 'portal' ? (
        <Button onClick={() => portal.mutate()} loading={portal.isPending}>
          {a.label}
        </Button>
      ) : (
        <Button onClick={() => resume.mutate({ actionId: actions.idFor('resume') })} loading={resume.isPending}>
          {a.label}
        </Button>
      )}
    </section>
  );
}

function PlanCard({ query }: { query: QueryLike<BillingSummary> }) {
  return (
    <Card
      title="Plan"
      className="dash-plan"
      actions={
        <Link to="/app/billing" className="small-link">
          Billing<span className="visually-hidden"> details</span>
        </Link>
      }
    >
      <QueryState query={query} loadingLabel="Loading your plan…" skeletonLines={4} errorTitle="We couldn't load your plan">
        {(s) => {
          const sub = s.subscription;
          const ending = Boolean(sub?.cancelAtPeriodEnd || sub?.cancelAt);
          const end = sub ? (sub.cancelAt ?? sub.currentPeriodEnd) : null;
          const status = sub ? statusOf(sub.status) : null;
          const badge = ending
            ? { label: end ? `Ends ${formatDate(end)}` : 'Ending', tone: 'warning' }
            : status
              ? status
              : { label: 'No subscription', tone: 'neutral' };
          const pm = s.paymentMethod;
          const credit = Math.max(0, -s.balance.amount);
          return (
            <>
              <p className="plan-name dash-plan-name">
                <span>{planLabel(s)}</span>
                <span
                  className={cx('badge', badge.tone !== 'neutral' && `badge-${badge.tone === 'danger' ? 'warning' : badge.tone}`)}
                >
                  {badge.label}
                </span>
              </p>
              {sub?.unitAmount != null && sub.interval && (
                <p className="plan-price">
                  {formatMoney(sub.unitAmount, sub.currency)} / {sub.interval}
                </p>
              )}
              {(sub || pm || credit > 0) && (
                <dl className="dash-facts">
                  {sub && !ending && <NextChargeFigure summary={s} />}
                  {sub && ending && (
                    <div>
                      <dt>Ends on</dt>
                      <dd>{end ? formatDate(end) : '—'}</dd>
                    </div>
                  )}
                  {sub?.scheduledChange && (
                    <div>
                      <dt>Scheduled change</dt>
                      <dd>{scheduledChangeLabel(s, sub.scheduledChange)}</dd>
                    </div>
                  )}
                  {credit > 0 && (
                    <div>
                      <dt>Credit balance</dt>
                      <dd>{formatMoney(credit, s.balance.currency, { cents: true })}</dd>
                    </div>
                  )}
                  {(sub || pm) && (
                    <div>
                      <dt>Payment method</dt>
                      <dd>
                        {pm ? (
                          <>
                            {pm.brand.charAt(0).toUpperCase() + pm.brand.slice(1)} <span aria-hidden="true">••••</span>
                            <span className="visually-hidden">ending in</span> {pm.last4}
                            <span className={cx('next-charge-detail', monthsLeft(pm) <= 0 && 'text-warning')}>
                              {monthsLeft(pm) < 0 ? 'Expired' : 'Expires'} {String(pm.expMonth).padStart(2, '0')}/{pm.expYear}
                            </span>
                          </>
                        ) : (
                          'No card on file'
                        )}
                      </dd>
                    </div>
                  )}
                </dl>
              )}
              {!sub && (
                <p className="muted">
                  You're on Free. <Link to="/pricing">Compare plans</Link>
                </p>
              )}
            </>
          );
        }}
      </QueryState>
    </Card>
  );
}

function UsageCard() {
  const usage = trpc.usage.summary.useQuery(undefined, { refetchInterval: 30_000 });
  const days = trpc.usage.days.useQuery(undefined, { refetchInterval: 30_000 });
  return (
    <Card
      title="Usage this period"
      className="dash-usage"
      actions={
        <Link to="/app/usage" className="small-link">
          Usage<span className="visually-hidden"> details</span>
        </Link>
      }
    >
      <QueryState query={usage} loadingLabel="Loading your usage…" skeletonLines={4} errorTitle="We couldn't load your usage">
        {(u) => (
          <>
            <p className="muted dash-period">
              {formatDate(u.period.start)} – {formatDate(u.period.end)}
            </p>
            <div className="dash-metrics">
              {u.metrics.map((m) => {
                const pct = m.limit > 0 ? Math.min(100, Math.round((m.used / m.limit) * 100)) : 0;
                const tone = pct >= 100 ? 'full' : pct >= 80 ? 'high' : 'ok';
                const labelId = `dash-usage-${m.metric}`;
                return (
                  <div key={m.metric} className="dash-metric">
                    <p className="dash-metric-head">
                      <span id={labelId} className="strong">
                        {m.label}
                      </span>
                      <span>
                        {m.used.toLocaleString('en-US')} of {m.limit.toLocaleString('en-US')}
                      </span>
                    </p>
                    <div
                      className={`usage-bar usage-bar-${tone}`}
                      role="progressbar"
                      aria-labelledby={labelId}
                      aria-valuemin={0}
                      aria-valuemax={m.limit}
                      aria-valuenow={Math.min(m.used, m.limit)}
                      aria-valuetext={`${m.used.toLocaleString('en-US')} of ${m.limit.toLocaleString('en-US')} ${m.label.toLowerCase()} used`}
                    >
                      <span style={{ width: `${pct}%` }} />
                    </div>
                    {days.data && <UsageDays label={m.label} days={days.data[m.metric]} />}
                  </div>
                );
              })}
            </div>
          </>
        )}
      </QueryState>
    </Card>
  );
}

function InvoicesPreview({ poll }: { poll: boolean }) {
  const invoices = trpc.billing.invoices.useQuery(undefined, { refetchInterval: poll ? 5_000 : false });
  return (
    <Card
      title="Latest invoices"
      className="dash-invoices"
      actions={
        <Link to="/app/billing" className="small-link">
          All invoices
        </Link>
      }
    >
      <QueryState
        query={invoices}
        loadingLabel="Loading invoices…"
        skeletonLines={3}
        errorTitle="We couldn't load your invoices"
        isEmpty={(d) => d.invoices.length === 0}
        empty={{ description: 'No invoices yet. They appear here from your first payment or trial.' }}
      >
        {(d) => (
          <ul className="dash-list">
            {d.invoices.slice(0, 3).map((inv) => (
              <li key={inv.id}>
                <span>
                  <span className="strong">{inv.words.title}</span>
                  <span className="next-charge-detail">
                    {formatDate(inv.created)}
                    {inv.words.zeroLabel && inv.words.zeroLabel !== inv.words.title ? ` · ${inv.words.zeroLabel}` : ''}
                  </span>
                </span>
                <span className="dash-list-end">
                  <span className="num">{formatMoney(inv.total, inv.currency, { cents: true })}</span>
                  <span className={cx('badge', inv.status === 'open' && 'badge-warning')}>{inv.words.statusLabel}</span>
                  {inv.hostedUrl && (
                    <a href={inv.hostedUrl} target="_blank" rel="noreferrer" className="small-link">
                      View
                      <span className="visually-hidden">
                        {' '}
                        invoice {inv.number ?? formatDate(inv.created)} (opens in a new tab)
                      </span>
                    </a>
                  )}
                </span>
              </li>
            ))}
          </ul>
        )}
      </QueryState>
    </Card>
  );
}

function LibraryCard() {
  const items = trpc.content.list.useQuery({ sort: 'newest', limit: 4 });
  return (
    <Card
      title="New in the library"
      className="dash-library"
      actions={
        <Link to="/app/library" className="small-link">
          Library
        </Link>
      }
    >
      <QueryState
        query={items}
        loadingLabel="Loading the library…"
        skeletonLines={4}
        errorTitle="We couldn't load the library"
        isEmpty={(d) => d.items.length === 0}
        empty={{ description: 'Nothing in the library yet.' }}
      >
        {(d) => (
          <ul className="dash-list">
            {d.items.map((item) => (
              <li key={item.id}>
                <span>
                  <Link to={`/app/library/${item.slug}`} className="strong">
                    {item.title}
                  </Link>
                  <span className="next-charge-detail">
                    {item.kind === 'article' ? 'Article' : item.kind === 'file' ? 'Download' : 'Tool'} · {item.summary}
                  </span>
                </span>
                {item.locked && <span className="badge">{item.requiredPlanName}</span>}
              </li>
            ))}
          </ul>
        )}
      </QueryState>
    </Card>
  );
}
