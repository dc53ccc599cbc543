// Billing emails, sent once per real change. Changes come from syncCustomer's before/after rows
// (not from event deliveries), and each notice is keyed by what it reports (e.g. the invoice id
// for a receipt), so duplicate or replayed webhooks and concurrent syncs never send twice.
import type { AppDeps } from '../deps';
import type { SubscriptionDoc } from '../db/collections';
import { compose, type Mail } from '../email/templates';
import { sendOnce } from '../email/outbox';
import { plans, type PlanId } from './plans';
import type { SubscriptionChange } from './sync';
import { formatAmount } from '../lib/money';

const LIVE = new Set(['trialing', 'active', 'past_due', 'unpaid']);
const ENDED = new Set(['canceled', 'incomplete_expired']);

export function money(amount: number, currency: string): string {
  return formatAmount(amount, currency, { locale: 'en-US' });
}

function day(d: Date | null): string {
  return d
    ? d.toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' })
    : 'the end of the period';
}

function planName(planId: string | null): string {
  return (planId && plans[planId as PlanId]?.name) || 'your plan';
}

/** The notices a change calls for, each with its once-only key. */
export function noticesFor(
  change: SubscriptionChange,
  env: { PUBLIC_URL: string },
  source?: string,
): { key: string; mail: Mail }[] {
  const { before, after } = change;
  if (!after) return [];
  const out: { key: string; mail: Mail }[] = [];
  const billing = { href: `${env.PUBLIC_URL}/app/billing`, label: 'Open billing' };
  const name = planName(after.planId);

  const wasLive = before !== null && LIVE.has(before.status);
  if (!wasLive && LIVE.has(after.status) && (after.status === 'trialing' || after.status === 'active')) {
    out.push({
      key: `welcome:${after._id}`,
      mail: compose(env, `Welcome to DropIn ${name}`, {
        paragraphs: [
          after.status === 'trialing'
            ? `Your ${name} trial has started. It ends on ${day(after.trialEnd)}; we will remind you 3 days before.`
            : `Your ${name} subscription is active. Everything in ${name} is unlocked.`,
        ],
        link: billing,
      }),
    });
  }

  if (before && wasLive && LIVE.has(after.status) && before.priceId !== after.priceId) {
    out.push({
      key: `plan-changed:${after._id}:${before.priceId}:${after.priceId}:${after.syncedAt.getTime()}`,
      mail: compose(env, `Your DropIn plan is now ${name}`, {
        paragraphs: [`You moved from ${planName(before.planId)} (${before.interval}ly) to ${name} (${after.interval}ly).`],
        link: billing,
      }),
    });
  }

  if (after.cancelAtPeriodEnd && !before?.cancelAtPeriodEnd && LIVE.has(after.status)) {
    out.push({
      key: `cancel-scheduled:${after._id}:${after.cancelAt?.getTime() ?? after.currentPeriodEnd?.getTime()}`,
      mail: compose(env, 'Your DropIn subscription will end', {
        paragraphs: [
          `Your ${name} subscription will end on ${day(after.cancelAt ?? after.currentPeriodEnd)}. You can resume it any time before then.`,
        ],
        link: billing,
      }),
    });
  }

  if (ENDED.has(after.status) && before && !ENDED.has(before.status)) {
    out.push({
      key: `ended:${after._id}`,
      mail: compose(env, 'Your DropIn subscription has ended', {
        paragraphs: [
          `Your ${name} subscription has ended and your account is back on Free. Your content and settings are still here.`,
        ],
        link: { href: `${env.PUBLIC_URL}/pricing`, label: 'See plans' },
      }),
    });
  }

  const inv = after.latestInvoice;
  const prevInv = before?.latestInvoice;
  if (inv && inv.status === 'paid' && inv.amountPaid > 0 && (prevInv?.id !== inv.id || prevInv.status !== 'paid')) {
    out.push({
      key: `receipt:${inv.id}`,
      mail: compose(env, `Receipt for ${money(inv.amountPaid, inv.currency)}`, {
        paragraphs: [`We received your payment of ${money(inv.amountPaid, inv.currency)} for DropIn ${name}. Thank you!`],
        link: inv.hostedInvoiceUrl ? { href: inv.hostedInvoiceUrl, label: 'View receipt' } : billing,
      }),
    });
  }

  if (after.status === 'past_due' && before?.status !== 'past_due' && inv) {
    out.push({
      key: `payment-failed:${inv.id}`,
      mail: compose(env, 'Your DropIn payment failed', {
        paragraphs: [
          `We could not charge ${money(inv.amountDue, inv.currency)} for DropIn ${name}. We will retry automatically; to keep your access, update your card or pay the invoice now.`,
        ],
        link: inv.hostedInvoiceUrl ? { href: inv.hostedInvoiceUrl, label: 'Pay the invoice' } : billing,
      }),
    });
  }

  if (source === 'invoice.payment_action_required' && inv && inv.status === 'open') {
    out.push({
      key: `action-required:${inv.id}`,
      mail: compose(env, 'Confirm your DropIn payment', {
        paragraphs: [`Your bank asks you to confirm the payment of ${money(inv.amountDue, inv.currency)} for DropIn ${name}.`],
        link: inv.hostedInvoiceUrl ? { href: inv.hostedInvoiceUrl, label: 'Confirm the payment' } : billing,
      }),
    });
  }

  if (source === 'customer.subscription.trial_will_end' && after.status === 'trialing' && after.trialEnd) {
    out.push({
      key: `trial-ending:${after._id}:${after.trialEnd.getTime()}`,
      mail: compose(env, `Your DropIn ${name} trial ends soon`, {
        paragraphs: [
          `Your trial ends on ${day(after.trialEnd)}. ${after.cancelAtPeriodEnd ? 'Your subscription is set to end then.' : `After that we will charge ${after.unitAmount !== null ? money(after.unitAmount, after.currency) : 'the plan price'} per ${after.interval ?? 'period'}.`}`,
        ],
        link: billing,
      }),
    });
  }
  return out;
}

/** Events that call for a notice even when the mirror did not change. */
const EVENT_NOTICES = new Set(['customer.subscription.trial_will_end', 'invoice.payment_action_required']);

export async function notifySubscriptionChanges(
  deps: AppDeps,
  changes: SubscriptionChange[],
  ctx: { source?: string; customerId?: string } = {},
): Promise<void> {
  const all = [...changes];
  if (ctx.source && EVENT_NOTICES.has(ctx.source) && ctx.customerId) {
    const changed = new Set(changes.map((ch) => ch.subscriptionId));
    const rows = await deps.db.c.subscriptions.find({ customerId: ctx.customerId }).toArray();
    for (const row of rows)
      if (!changed.has(row._id)) all.push({ subscriptionId: row._id, userId: row.userId, before: row, after: row });
  }
  for (const change of all) {
    const notices = noticesFor(change, deps.env, ctx.source);
    if (!notices.length || !change.userId) continue;
    const user = await deps.db.c.users.findOne({ _id: change.userId }, { projection: { email: 1 } });
    if (!user) continue;
    for (const n of notices) await sendOnce(deps, n.key, { to: user.email, ...n.mail });
  }
}

export type { SubscriptionDoc };
