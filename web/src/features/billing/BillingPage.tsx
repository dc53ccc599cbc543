// The billing dashboard: the plan and its state, banners when something needs doing (a failed
// payment, a scheduled cancellation), the card on file, plan changes with an exact preview (a
// downgrade or interval switch is scheduled for the renewal, and can be undone until then),
// cancel and resume, and the invoices. Reads come from our mirror of Stripe (billing.summary).
import { useState } from 'react';
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { formatDate } from '../../lib/format';
import { hasPaymentTrouble } from '../../../../src/billing/status';
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
  useActionIds,
} from './billing-lib';
import { CancelDialog } from './CancelDialog';
import { ChangePlanDialog, type ChangeTarget } from './ChangePlanDialog';
import { InvoicesCard } from './InvoicesCard';
import { UndoChangeDialog } from './UndoChangeDialog';
import './billing.css';

export function BillingPage() {
  const utils = trpc.useUtils();
  const summary = trpc.billing.summary.useQuery(undefined, {
    // While a payment is being sorted out (often in another tab), watch for Stripe's answer.
    refetchInterval: (q) => (hasPaymentTrouble(q.state.data?.alert ?? '') ? 5_000 : false),
  });
  const plans = trpc.billing.plans.useQuery(undefined, { staleTime: 5 * 60_000 });
  const [notice, setNotice] = useState<string | null>(null);
  const [changing, setChanging] = useState<ChangeTarget | null>(null);
  const [canceling, setCanceling] = useState(false);
  const [undoing, setUndoing] = useState(false);
  const actions = useActionIds();
  const portal = trpc.billing.portal.useMutation({ onSuccess: ({ url }) => window.location.assign(url) });
  const resume = trpc.billing.resume.useMutation({
    onSettled: (_d, error) => actions.settle('resume', error),
    onSuccess: (next) => {
      utils.billing.summary.setData(undefined, next);
      setNotice(`Your ${next.plan.name} plan will renew as usual.`);
    },
  });
  const actionError = formErrors(portal.error ?? resume.error).message;
  const s = summary.data;
  const poll = hasPaymentTrouble(s?.alert ?? '');

  const openPortal = () => portal.mutate();
  const doResume = () => resume.mutate({ actionId: actions.idFor('resume') });

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
            <AlertBanner
              summary={data}
              onPortal={openPortal}
              portalBusy={portal.isPending}
              onResume={doResume}
              resumeBusy={resume.isPending}
            />
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
          onCanceled={(next) => {
            setCanceling(false);
            const end = next.subscription?.cancelAt ?? next.subscription?.currentPeriodEnd;
            setNotice(
              `Cancellation scheduled: ${next.plan.name} stays active${end ? ` until ${formatDate(end)}` : ' until the end of the period'}.`,
            );
          }}
        />
      )}
    </div>
  );
}

function AlertBanner({
  summary,
  onPortal,
  portalBusy,
  onResume,
  resumeBusy,
}: {
  summary: BillingSummary;
  onPortal: () => void;
  portalBusy: boolean;
  onResume: () => void;
  resumeBusy: boolean;
}) {
  const sub = summary.subscription;
  if (!sub || !summary.alert) return null;
  const invoice = sub.latestInvoice;
  const owed = invoice && invoice.amountDue > 0 ? formatMoney(invoice.amountDue, sub.currency, { cents: true }) : null;
  const planName = sub.planId ? sub.planId.charAt(0).toUpperCase() + sub.planId.slice(1) : summary.plan.name;
  const fixActions = (
    <div className="button-row">
      {invoice?.hostedInvoiceUrl && invoice.status === 'open' && (
        <a className="btn btn-primary btn-sm" href={invoice.hostedInvoiceUrl} target="_blank" rel="noreferrer">
          Pay invoice<span className="visually-hidden"> (opens in a new tab)</span>
        </a>
      )}
      <Button size="sm" variant="secondary" onClick={onPortal} loading={portalBusy}>
        Update payment method
      </Button>
    </div>
  );
  if (summary.alert === 'past_due') {
    return (
      <Banner tone="error" title="Your last payment failed" action={fixActions}>
        We couldn't charge {owed ?? 'your card'} for your {planName} plan.
        {invoice?.nextPaymentAttempt ? ` We'll try again on ${formatDate(invoice.nextPaymentAttempt)}.` : ''} Pay the invoice or
        update your payment method to keep {planName}.
      </Banner>
    );
  }
  if (summary.alert === 'unpaid') {
    return (
      <Banner tone="error" title="Your subscription is unpaid" action={fixActions}>
        Payments for {planName} failed several times, so your account is on Free features until {owed ?? 'the invoice'} is paid.
      </Banner>
    );
  }
  if (summary.alert === 'incomplete') {
    return (
      <Banner tone="warning" title="Your first payment needs attention" action={fixActions}>
        Your payment for {planName} didn't go through or needs you to confirm it with your bank. Complete it to start your plan.
      </Banner>
    );
  }
  const end = sub.cancelAt ?? sub.currentPeriodEnd;
  return (
    <Banner
      tone="warning"
      title={`Your ${planName} plan ends${end ? ` on ${formatDate(end)}` : ' at the end of the period'}`}
      action={
        <Button size="sm" variant="secondary" onClick={onResume} loading={resumeBusy}>
          Resume subscription
        </Button>
      }
    >
      You won't be charged again. After that you'll move to Free. Resume to keep your plan without interruption.
    </Banner>
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
  // The renewal bills the scheduled plan's price.
  const renewalAmount = change?.unitAmount ?? sub.unitAmount;
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
            <span className={cx('badge', `badge-${status.tone === 'danger' ? 'warning' : status.tone}`)}>{status.label}</span>
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
          {sub.cancelAtPeriodEnd ? (
            <div>
              <dt>Ends on</dt>
              <dd>{end ? formatDate(end) : '—'}</dd>
            </div>
          ) : (
            sub.currentPeriodEnd && (
              <div>
                <dt>{sub.status === 'trialing' ? 'First payment' : 'Next renewal'}</dt>
                <dd>
                  {renewalAmount !== null ? `${formatMoney(renewalAmount, sub.currency)} on ` : ''}
                  {formatDate(sub.currentPeriodEnd)}
                </dd>
              </div>
            )
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
