// The billing dashboard: the plan and its state, banners when something needs doing (a failed
// payment, a scheduled cancellation), the card on file, plan changes with an exact preview (a
// downgrade or interval switch is scheduled for the renewal, and can be undone until then),
// cancel and resume, and the invoices. Reads come from our mirror of Stripe (billing.summary).
import { useState } from 'react';
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { formatDate } from '../../lib/format';
import { PageHeader } from '../../components/AppShell';
import { Banner } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { Card } from '../../components/Card';
import { type QueryLike, QueryState } from '../../components/QueryState';
import { CardIcon } from '../../components/icons';
import { cx } from '../../components/cx';
import {
  type BillingSummary,
  formatMoney,
  type Interval,
  intervalLabel,
  type PaidPlanId,
  perInterval,
  type PublicPlan,
  scheduledChangeLabel,
  statusOf,
} from './billing-lib';
import { AccountAlerts, alertPollInterval } from './AccountAlerts';
import { BillingDetailsCard } from './BillingDetailsCard';
import { CancelDialog } from './CancelDialog';
import { NextChargeFigure } from './NextCharge';
import { ChangePlanDialog, type ChangeTarget } from './ChangePlanDialog';
import { InvoicesCard } from './InvoicesCard';
import { UndoChangeDialog } from './UndoChangeDialog';
import './billing.css';

export function BillingPage() {
  const summary = trpc.billing.summary.useQuery(undefined, { refetchInterval: (q) => alertPollInterval(q.state.data) });
  const plans = trpc.billing.plans.useQuery(undefined, { staleTime: 5 * 60_000 });
  const [notice, setNotice] = useState<string | null>(null);
  const [changing, setChanging] = useState<ChangeTarget | null>(null);
  const [canceling, setCanceling] = useState(false);
  const [undoing, setUndoing] = useState(false);
  const portal = trpc.billing.portal.useMutation({ onSuccess: ({ url }) => window.location.assign(url) });
  const actionError = formErrors(portal.error).message;
  const s = summary.data;
  const poll = alertPollInterval(s) !== false;

  const openPortal = () => portal.mutate();

  return (
    <div className="page billing-page">
      <PageHeader title="Billing" description="Your plan, payment method and invoices." />
      {notice && <Banner tone="success">{notice}</Banner>}
      {actionError && <Banner tone="error">{actionError}</Banner>}
      <QueryState
        query={summary}
        loadingLabel="Loading your plan…"
        placeholder={(skeleton) => <Card title="Your plan">{skeleton}</Card>}
        errorTitle="We couldn't load your billing details"
      >
        {(data) => (
          <>
            <AccountAlerts show="notice" />
            <PlanCard
              summary={data}
              plans={plans.data?.plans ?? []}
              onCancel={() => {
                setNotice(null);
                setCanceling(true);
              }}
              onUndo={() => {
                setNotice(null);
                setUndoing(true);
              }}
            />
            {data.subscription || data.paymentMethod ? (
              <PaymentMethodCard summary={data} onPortal={openPortal} busy={portal.isPending} />
            ) : null}
            {data.subscription && (
              <ChangePlanCard
                summary={data}
                plans={plans}
                onChoose={(t) => {
                  setNotice(null);
                  setChanging(t);
                }}
              />
            )}
          </>
        )}
      </QueryState>
      {s && (s.subscription || s.paymentMethod) && <BillingDetailsCard />}
      <InvoicesCard poll={poll} />
      {changing && s && (
        <ChangePlanDialog
          target={changing}
          summary={s}
          onClose={() => setChanging(null)}
          onChanged={(next) => {
            setChanging(null);
            const sub = next.subscription;
            setNotice(
              sub?.scheduledChange
                ? `Your plan ${scheduledChangeLabel(next, sub.scheduledChange).replace(/^Changes/, 'changes')}. Nothing is charged now.`
                : `You're now on ${next.plan.name}${sub?.interval ? ` (${sub.interval === 'month' ? 'monthly' : 'yearly'})` : ''}.`,
            );
          }}
        />
      )}
      {undoing && s && (
        <UndoChangeDialog
          summary={s}
          onClose={() => setUndoing(false)}
          onUndone={(next) => {
            setUndoing(false);
            setNotice(`Your ${next.plan.name} plan stays as it is and renews as usual.`);
          }}
        />
      )}
      {canceling && s && (
        <CancelDialog
          summary={s}
          onClose={() => setCanceling(false)}
          onCanceled={() => {
            // The plan card's badge and the alert above it say when the plan ends: one message.
            setCanceling(false);
          }}
        />
      )}
    </div>
  );
}

function PlanCard({
  summary,
  plans,
  onCancel,
  onUndo,
}: {
  summary: BillingSummary;
  plans: PublicPlan[];
  onCancel: () => void;
  onUndo: () => void;
}) {
  const sub = summary.subscription;
  if (!sub) {
    const free = plans.find((p) => p.id === 'free');
    return (
      <Card title="Your plan">
        <div className="plan-summary">
          <div>
            <p className="plan-name">
              <span>Free</span> <span className="badge">No subscription</span>
            </p>
            <p className="muted">{free?.tagline ?? 'Browse the library and try the tools.'}</p>
          </div>
        </div>
        <div className="upgrade-cta">
          <div>
            <p className="strong">Get more with Pro or Business</p>
            <p className="muted">The full library, more downloads and API calls. Try either free for 14 days.</p>
          </div>
          <ButtonLink to="/pricing">See plans</ButtonLink>
        </div>
      </Card>
    );
  }
  const status = statusOf(sub.status);
  const interval = sub.interval as Interval | null;
  const price = sub.unitAmount !== null && interval ? perInterval(sub.unitAmount, sub.currency, interval) : null;
  const planName = sub.planId ? sub.planId.charAt(0).toUpperCase() + sub.planId.slice(1) : summary.plan.name;
  const end = sub.cancelAt ?? sub.currentPeriodEnd;
  const change = sub.scheduledChange;
  const ending = sub.cancelAtPeriodEnd || sub.cancelAt !== null;
  // A plan set to end says so on its badge, never a bare "Active".
  const badge = ending ? { label: end ? `Ends ${formatDate(end)}` : 'Ending', tone: 'warning' } : status;
  const credit = Math.max(0, -summary.balance.amount);
  const owed = Math.max(0, summary.balance.amount);
  return (
    <Card
      title="Your plan"
      footer={
        <div className="footer-split">
          <a href="#change-plan" className="small-link">
            Change plan
          </a>
          {!sub.cancelAtPeriodEnd && (
            <Button variant="secondary" size="sm" onClick={onCancel}>
              Cancel subscription
            </Button>
          )}
        </div>
      }
    >
      <div className="plan-summary">
        <div>
          <p className="plan-name">
            <span>{planName}</span>
            <span className={cx('badge', `badge-${badge.tone === 'danger' ? 'warning' : badge.tone}`)}>{badge.label}</span>
          </p>
          {price && <p className="plan-price">{price}</p>}
        </div>
        <dl className="plan-facts">
          {sub.status === 'trialing' && sub.trialDaysLeft !== null && (
            <div>
              <dt>Free trial</dt>
              <dd>
                {sub.trialDaysLeft} {sub.trialDaysLeft === 1 ? 'day' : 'days'} left
              </dd>
            </div>
          )}
          {ending ? (
            <div>
              <dt>Ends on</dt>
              <dd>{end ? formatDate(end) : '—'}</dd>
            </div>
          ) : (
            <NextChargeFigure summary={summary} />
          )}
          {credit > 0 && (
            <div>
              <dt>Credit balance</dt>
              <dd>
                {formatMoney(credit, summary.balance.currency, { cents: true })}
                <span className="next-charge-detail">Used on your next invoices before your card is charged.</span>
              </dd>
            </div>
          )}
          {owed > 0 && (
            <div>
              <dt>Balance owed</dt>
              <dd>
                {formatMoney(owed, summary.balance.currency, { cents: true })}
                <span className="next-charge-detail">Added to your next invoice.</span>
              </dd>
            </div>
          )}
        </dl>
      </div>
      {change && (
        <div className="scheduled-change">
          <p id="scheduled-change-text">
            <span className="strong">{scheduledChangeLabel(summary, change)}</span>
            <span className="muted"> · {planName} until then; nothing is charged before the change.</span>
          </p>
          <Button size="sm" variant="secondary" onClick={onUndo} aria-describedby="scheduled-change-text">
            Undo
          </Button>
        </div>
      )}
    </Card>
  );
}

function PaymentMethodCard({ summary, onPortal, busy }: { summary: BillingSummary; onPortal: () => void; busy: boolean }) {
  const pm = summary.paymentMethod;
  return (
    <Card title="Payment method">
      <div className="footer-split">
        <div className="pm">
          <span className="item-icon" aria-hidden="true">
            <CardIcon />
          </span>
          {pm ? (
            <div>
              <p className="strong">
                {pm.brand.charAt(0).toUpperCase() + pm.brand.slice(1)} <span aria-hidden="true">••••</span>
                <span className="visually-hidden">ending in</span> {pm.last4}
              </p>
              <p className="muted">
                Expires {String(pm.expMonth).padStart(2, '0')}/{pm.expYear}
              </p>
            </div>
          ) : (
            <p className="muted">No card on file.</p>
          )}
        </div>
        <Button variant="secondary" onClick={onPortal} loading={busy}>
          Update payment method
        </Button>
      </div>
    </Card>
  );
}

function ChangePlanCard({
  summary,
  plans,
  onChoose,
}: {
  summary: BillingSummary;
  plans: QueryLike<{ plans: PublicPlan[] }>;
  onChoose: (t: ChangeTarget) => void;
}) {
  const sub = summary.subscription;
  const rank: Record<string, number> = { free: 0, pro: 1, business: 2 };
  const options = (plans.data?.plans ?? []).flatMap((plan) =>
    plan.id === 'free'
      ? []
      : (['month', 'year'] as const)
          .filter((i) => !(plan.id === sub?.planId && i === sub?.interval) && plan.prices[i])
          .map((interval) => {
            const from = rank[sub?.planId ?? 'free'] ?? 0;
            const to = rank[plan.id] ?? 0;
            const verb = to > from ? 'Upgrade' : to < from ? 'Downgrade' : 'Switch';
            const price = plan.prices[interval];
            return { plan, interval, price, verb };
          }),
  );
  return (
    <section id="change-plan" className="card" aria-labelledby="change-plan-title">
      <header className="card-header">
        <div>
          <h2 id="change-plan-title" className="card-title">
            Change plan
          </h2>
          <p className="card-description">See exactly what you'll pay or be credited before you confirm.</p>
        </div>
      </header>
      <div className="card-body">
        <QueryState query={plans} loadingLabel="Loading plans…">
          {() => (
            <ul className="item-list">
              {options.map(({ plan, interval, price, verb }) => {
                const label = `${verb} to ${plan.name} ${interval === 'month' ? 'monthly' : 'yearly'}`;
                return (
                  <li key={`${plan.id}-${interval}`} className="item change-option">
                    <div className="item-main">
                      <p className="item-title">
                        {plan.name}
                        <span className="badge">{intervalLabel[interval]}</span>
                      </p>
                      <p className="item-meta">
                        {price ? perInterval(price.amount, price.currency, interval) : ''}
                        {interval === 'year' && plan.prices.month && price
                          ? ` · save ${formatMoney(plan.prices.month.amount * 12 - price.amount, price.currency)} a year`
                          : ''}
                      </p>
                    </div>
                    <Button
                      size="sm"
                      variant={verb === 'Upgrade' ? 'primary' : 'secondary'}
                      onClick={() =>
                        onChoose({
                          planId: plan.id as PaidPlanId,
                          planName: plan.name,
                          interval,
                          amount: price?.amount ?? null,
                          currency: price?.currency ?? 'usd',
                          verb,
                        })
                      }
                    >
                      {label}
                    </Button>
                  </li>
                );
              })}
            </ul>
          )}
        </QueryState>
        <p className="muted small-print">
          Upgrades are prorated to the day: you pay the difference right away. Downgrades and switches between monthly and yearly
          billing take effect at your next renewal, so you keep what you paid for until then (during a free trial, at once).
          Moving to Free means canceling your subscription.
        </p>
      </div>
    </section>
  );
}
