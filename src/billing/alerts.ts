// The account alerts: what needs the subscriber's attention about their plan and money, decided in
// one place from the mirror. The web app shows `action_required` alerts as a banner on every page of
// the app until they clear, and the rest (`notice`) on the billing page and the dashboard. A new
// kind of alert is one more entry here; the banner renders any of them.
import type { SubscriptionDoc } from '../db/collections';
import { formatAmount } from '../lib/money';
import { cardExpiryWarning } from './card-expiry';
import { plans, type PlanId } from './plans';
import { hasPaymentTrouble } from './status';

/** What a button on an alert does; the web app knows how to perform each. */
export type AlertAction =
  | { kind: 'pay_invoice'; url: string }
  | { kind: 'update_payment_method' }
  | { kind: 'resume' }
  | { kind: 'choose_plan' };

export interface AccountAlert {
  /** Stable per kind and subject (`payment:<invoice>`), so the web app can key and test it. */
  id: string;
  kind: 'payment_failed' | 'payment_unpaid' | 'payment_incomplete' | 'card_expiring' | 'cancel_scheduled';
  severity: 'action_required' | 'notice';
  tone: 'error' | 'warning' | 'info';
  title: string;
  message: string;
  actions: AlertAction[];
}

const dateWords = (d: Date) =>
  d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

function planNameOf(sub: SubscriptionDoc): string {
  return sub.planId && Object.hasOwn(plans, sub.planId) ? plans[sub.planId as PlanId].name : 'your';
}

/**
 * The alerts for an account whose current subscription is `sub` (null: none) at `now`. A payment
 * problem comes from the subscription's status (`hasPaymentTrouble`, src/billing/status.ts) and
 * lasts until Stripe says it is paid; a card that expires before the next charge (at most 30 days
 * away, the rule the warning emails use: src/billing/card-expiry.ts) lasts until the card is
 * replaced; a scheduled cancellation lasts until it is resumed or ends.
 */
export function accountAlerts(opts: { subscription: SubscriptionDoc | null; now?: Date }): AccountAlert[] {
  const sub = opts.subscription;
  const now = opts.now ?? new Date();
  if (!sub) return [];
  const alerts: AccountAlert[] = [];
  const plan = planNameOf(sub);
  const planWords = plan === 'your' ? 'your plan' : `your ${plan} plan`;
  if (hasPaymentTrouble(sub.status)) {
    const inv = sub.latestInvoice;
    const owed = inv && inv.amountDue > 0 ? formatAmount(inv.amountDue, inv.currency) : null;
    const actions: AlertAction[] = [];
    if (inv?.hostedInvoiceUrl && inv.status === 'open') actions.push({ kind: 'pay_invoice', url: inv.hostedInvoiceUrl });
    actions.push({ kind: 'update_payment_method' });
    const subject = inv?.id ?? sub._id;
    if (sub.status === 'past_due') {
      const retry = inv?.nextPaymentAttempt ? ` We'll try again on ${dateWords(inv.nextPaymentAttempt)}.` : '';
      alerts.push({
        id: `payment_failed:${subject}`,
        kind: 'payment_failed',
        severity: 'action_required',
        tone: 'error',
        title: 'Your last payment failed',
        message: `We couldn't charge ${owed ?? 'your card'} for ${planWords}.${retry} Pay the invoice or update your payment method to keep ${plan === 'your' ? 'it' : plan}.`,
        actions,
      });
    } else if (sub.status === 'unpaid') {
      alerts.push({
        id: `payment_unpaid:${subject}`,
        kind: 'payment_unpaid',
        severity: 'action_required',
        tone: 'error',
        title: 'Your subscription is unpaid',
        message: `Payments for ${planWords} failed several times, so your account is on Free features until ${owed ?? 'the invoice'} is paid.`,
        actions,
      });
    } else {
      alerts.push({
        id: `payment_incomplete:${subject}`,
        kind: 'payment_incomplete',
        severity: 'action_required',
        tone: 'warning',
        title: 'Your first payment needs attention',
        message: `Your payment for ${planWords} didn't go through or needs you to confirm it with your bank. Complete it to start your plan.`,
        actions,
      });
    }
  }
  const w = hasPaymentTrouble(sub.status) ? null : cardExpiryWarning(sub, now);
  if (w) {
    const brand = w.card.brand ? w.card.brand[0]!.toUpperCase() + w.card.brand.slice(1) : 'Card';
    alerts.push({
      id: `card_expiring:${sub._id}:${w.card.last4}:${w.card.expYear}-${w.card.expMonth}`,
      kind: 'card_expiring',
      severity: 'action_required',
      tone: 'warning',
      title: 'Your card expires before your next payment',
      message: `Your ${brand} ending in ${w.card.last4} expires before we charge ${planWords} on ${dateWords(w.chargeAt)}. Update your payment method to keep ${plan === 'your' ? 'it' : plan} without interruption.`,
      actions: [{ kind: 'update_payment_method' }],
    });
  }
  if (!hasPaymentTrouble(sub.status) && (sub.cancelAtPeriodEnd || sub.cancelAt)) {
    const end = sub.cancelAt ?? sub.currentPeriodEnd;
    alerts.push({
      id: `cancel_scheduled:${sub._id}`,
      kind: 'cancel_scheduled',
      severity: 'notice',
      tone: 'warning',
      title: `${plan === 'your' ? 'Your plan' : `Your ${plan} plan`} ends${end ? ` on ${dateWords(end)}` : ' at the end of the period'}`,
      message: "You won't be charged again. After that you'll move to Free. Resume to keep your plan without interruption.",
      actions: [{ kind: 'resume' }],
    });
  }
  return alerts;
}
