// Billing emails, each sent once for what it reports. Subscription notices come from
// syncCustomer's before/after rows; invoice notices from what Stripe says of each invoice (a
// receipt per paid invoice, a failure notice per failed attempt), whichever sync first sees it.
// Every notice is keyed by what it reports (`receipt:<invoice>`, `payment-failed:<invoice>:<attempt>`),
// so duplicate or replayed webhooks, merged events and concurrent syncs never send twice.
import type { AppDeps } from '../deps';
import type { InvoiceSummary, SubscriptionDoc } from '../db/collections';
import { compose, type Mail } from '../email/templates';
import { enqueued, sendOnce } from '../email/outbox';
import { plans, type PlanId } from './plans';
import type { EventRef, SubscriptionChange, SyncResult } from './sync-result';
import { formatAmount } from '../lib/money';
import { invoiceSummary, subscriptionOfInvoice } from './mirror';
import { hasPaymentTrouble, isEnded, isRunning } from './status';
import { withStripeErrors } from './errors';
import { payLink } from './pay-link';
import { bumpFailingVersion } from './payment-failures';

/** The keys of the dunning emails (the failed-payments page shows them by invoice). */
export const DUNNING_KEY = /^(payment-failed|action-required):/;

/** What notices need of the environment: links to the app, and the key of the pay links. */
type NoticeEnv = {
  PUBLIC_URL: string;
  STRIPE_WEBHOOK_SECRET?: string | undefined;
  /** The account the notices go to: a pay link is signed for it. */
  userId?: string | null;
};

export function money(amount: number, currency: string): string {
  return formatAmount(amount, currency, { locale: 'en-US' });
}

function day(d: Date | null): string {
  return d
    ? d.toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' })
    : 'the end of the period';
}

export function planName(planId: string | null): string {
  return (planId && plans[planId as PlanId]?.name) || 'your plan';
}

/** Why a billing email came, for its footer. */
export const BILLING_REASON = 'you have a DropIn subscription';

interface Notice {
  key: string;
  mail: Mail;
}

/** The notices a subscription change calls for, each with its once-only key. */
export function noticesFor(change: SubscriptionChange, env: NoticeEnv, eventTypes: ReadonlySet<string> = new Set()): Notice[] {
  const { before, after } = change;
  if (!after) return [];
  const out: Notice[] = [];
  const billing = { href: `${env.PUBLIC_URL}/app/billing`, label: 'Open billing' };
  const name = planName(after.planId);

  const wasLive = before !== null && isRunning(before.status);
  if (!wasLive && isRunning(after.status) && (after.status === 'trialing' || after.status === 'active')) {
    out.push({
      key: `welcome:${after._id}`,
      mail: compose(env, `Welcome to DropIn ${name}`, {
        reason: BILLING_REASON,
        paragraphs: [
          after.status === 'trialing'
            ? `Your ${name} trial has started. It ends on ${day(after.trialEnd)}; we will remind you 3 days before.`
            : `Your ${name} subscription is active. Everything in ${name} is unlocked.`,
        ],
        link: billing,
      }),
    });
  }

  if (before && wasLive && isRunning(after.status) && before.priceId !== after.priceId) {
    out.push({
      key: `plan-changed:${after._id}:${before.priceId}:${after.priceId}:${after.latestInvoice?.id ?? after.currentPeriodStart?.getTime()}`,
      mail: compose(env, `Your DropIn plan is now ${name}`, {
        reason: BILLING_REASON,
        paragraphs: [`You moved from ${planName(before.planId)} (${before.interval}ly) to ${name} (${after.interval}ly).`],
        link: billing,
      }),
    });
  }

  const next = after.scheduledChange;
  if (next && isRunning(after.status) && before?.scheduledChange?.priceId !== next.priceId) {
    const to = planName(next.planId);
    const price =
      next.unitAmount !== null && next.interval ? ` at ${money(next.unitAmount, after.currency)} / ${next.interval}` : '';
    out.push({
      key: `change-scheduled:${after._id}:${next.priceId}:${next.at.getTime()}`,
      mail: compose(env, `Your DropIn plan changes to ${to} on ${day(next.at)}`, {
        reason: BILLING_REASON,
        paragraphs: [
          `You keep ${name} until ${day(next.at)}, then move to ${to}${next.interval ? ` (${next.interval}ly)` : ''}${price}${
            next.promotionCode ? `, with promotion code ${next.promotionCode} from then on` : ''
          }. Nothing is charged now.`,
          'Changed your mind? Undo it on the billing page.',
        ],
        link: billing,
      }),
    });
  }

  if (after.cancelAtPeriodEnd && !before?.cancelAtPeriodEnd && isRunning(after.status)) {
    out.push({
      key: `cancel-scheduled:${after._id}:${after.cancelAt?.getTime() ?? after.currentPeriodEnd?.getTime()}`,
      mail: compose(env, 'Your DropIn subscription will end', {
        reason: BILLING_REASON,
        paragraphs: [
          `Your ${name} subscription will end on ${day(after.cancelAt ?? after.currentPeriodEnd)}. You can resume it any time before then.`,
        ],
        link: billing,
      }),
    });
  }

  if (isEnded(after.status) && before && !isEnded(before.status)) {
    out.push({
      key: `ended:${after._id}`,
      mail: compose(env, 'Your DropIn subscription has ended', {
        reason: BILLING_REASON,
        paragraphs: [
          `Your ${name} subscription has ended and your account is back on Free. Your content and settings are still here.`,
        ],
        link: { href: `${env.PUBLIC_URL}/pricing`, label: 'See plans' },
      }),
    });
  }

  const inv = after.latestInvoice;
  if (eventTypes.has('invoice.payment_action_required') && inv && inv.status === 'open') {
    out.push({
      key: `action-required:${inv.id}`,
      mail: compose(env, 'Confirm your DropIn payment', {
        reason: BILLING_REASON,
        paragraphs: [
          `Your bank asks you to confirm the payment of ${money(inv.amountDue, inv.currency)} for DropIn ${name}.`,
          ...(inv.hostedInvoiceUrl
            ? [`Confirm it on the invoice: ${inv.hostedInvoiceUrl} — or use another card with the button below.`]
            : []),
        ],
        link: dunningLink(
          env,
          inv,
          inv.hostedInvoiceUrl ? { href: inv.hostedInvoiceUrl, label: 'Confirm the payment' } : billing,
        ),
      }),
    });
  }

  if (eventTypes.has('customer.subscription.trial_will_end') && after.status === 'trialing' && after.trialEnd) {
    out.push({
      key: `trial-ending:${after._id}:${after.trialEnd.getTime()}`,
      mail: compose(env, `Your DropIn ${name} trial ends soon`, {
        reason: BILLING_REASON,
        paragraphs: [
          `Your trial ends on ${day(after.trialEnd)}. ${after.cancelAtPeriodEnd ? 'Your subscription is set to end then.' : `After that we will charge ${after.unitAmount !== null ? money(after.unitAmount, after.currency) : 'the plan price'} per ${after.interval ?? 'period'}.`}`,
        ],
        link: billing,
      }),
    });
  }
  return out;
}

/**
 * The notices an invoice calls for, from what Stripe says of it now: a receipt once it is paid (a
 * positive amount), and a notice for its latest failed attempt while its subscription is past due
 * or unpaid (a first payment that fails is answered on the Checkout page, not by email).
 */
export function invoiceNotices(inv: InvoiceSummary, sub: SubscriptionDoc | null, env: NoticeEnv): Notice[] {
  if (inv.status === 'paid' && inv.amountPaid > 0) return [receipt(inv, sub, env)];
  if (inv.status === 'open' && inv.attemptCount > 0 && sub && isRunning(sub.status) && hasPaymentTrouble(sub.status))
    return [paymentFailed(inv, inv.attemptCount, inv.nextPaymentAttempt, sub, env)];
  return [];
}

function receipt(inv: InvoiceSummary, sub: SubscriptionDoc | null, env: NoticeEnv): Notice {
  const billing = { href: `${env.PUBLIC_URL}/app/billing`, label: 'Open billing' };
  return {
    key: `receipt:${inv.id}`,
    mail: compose(env, `Receipt for ${money(inv.amountPaid, inv.currency)}`, {
      reason: BILLING_REASON,
      paragraphs: [
        `We received your payment of ${money(inv.amountPaid, inv.currency)} for DropIn ${planName(sub?.planId ?? null)}. Thank you!`,
      ],
      link: inv.hostedInvoiceUrl ? { href: inv.hostedInvoiceUrl, label: 'View receipt' } : billing,
    }),
  };
}

function paymentFailed(
  inv: InvoiceSummary,
  attempt: number,
  nextAttempt: Date | null,
  sub: SubscriptionDoc | null,
  env: NoticeEnv,
): Notice {
  const billing = { href: `${env.PUBLIC_URL}/app/billing`, label: 'Open billing' };
  const retry = nextAttempt ? `We will try again on ${day(nextAttempt)}; to keep` : 'To keep';
  const invoiceLink = inv.hostedInvoiceUrl ? { href: inv.hostedInvoiceUrl, label: 'Pay the invoice' } : billing;
  return {
    key: `payment-failed:${inv.id}:${attempt}`,
    mail: compose(env, 'Your DropIn payment failed', {
      reason: BILLING_REASON,
      paragraphs: [
        `We could not charge ${money(inv.amountDue, inv.currency)} for DropIn ${planName(sub?.planId ?? null)}. ${retry} your access, update your card or pay the invoice now.`,
        ...(inv.hostedInvoiceUrl ? [`To pay with the card on file instead: ${inv.hostedInvoiceUrl}`] : []),
      ],
      link: dunningLink(env, inv, invoiceLink),
    }),
  };
}

/** The button of a dunning email: one click to update the card, which pays what is owed. */
function dunningLink(env: NoticeEnv, inv: InvoiceSummary, fallback: { href: string; label: string }) {
  const href = env.userId ? payLink(env, { invoiceId: inv.id, userId: env.userId }) : null;
  return href ? { href, label: 'Update card and pay' } : fallback;
}

/** Events that call for a notice even when the mirror did not change. */
const EVENT_NOTICES = ['customer.subscription.trial_will_end', 'invoice.payment_action_required'];

/**
 * Sends what a sync calls for: subscription notices from the changes; for invoices, what Stripe
 * says of each one the sync just mirrored or the cause names (read from Stripe, so an invoice paid
 * between two syncs still gets its receipt); and for each failed attempt an event reports, its
 * notice while the invoice is still unpaid.
 */
export async function notifyBillingChanges(
  deps: AppDeps,
  result: SyncResult,
  ctx: { events: EventRef[]; invoiceIds: string[] },
): Promise<void> {
  const { c } = deps.db;
  const eventTypes = new Set(ctx.events.map((e) => e.type));
  const changes = [...result.changes];
  if (EVENT_NOTICES.some((t) => eventTypes.has(t))) {
    const changed = new Set(changes.map((ch) => ch.subscriptionId));
    const rows = await c.subscriptions.find({ customerId: result.customerId }).toArray();
    for (const row of rows)
      if (!changed.has(row._id)) changes.push({ subscriptionId: row._id, userId: row.userId, before: row, after: row });
  }
  // Notices go to the account of the result (below); pay links are signed for it.
  const env: NoticeEnv = { ...deps.env, userId: result.userId };
  const notices = changes.flatMap((change) => noticesFor(change, env, eventTypes));

  // Invoices: the latest invoice of each changed row, then those the cause names.
  const invoices = new Map<string, StripeInvoice>();
  for (const { before, after } of result.changes) {
    const inv = after?.latestInvoice;
    if (inv && !sameInvoiceState(before?.latestInvoice ?? null, inv))
      invoices.set(inv.id, { inv, sub: after, firstPayment: after.status.startsWith('incomplete') });
  }
  const failures = ctx.events.filter((e) => e.type === 'invoice.payment_failed' && e.objectId);
  const failed = new Set(failures.map((e) => e.objectId as string));
  for (const id of ctx.invoiceIds) {
    if (invoices.has(id)) continue;
    // A receipt already queued settles a paid invoice: no need to ask Stripe again.
    if (!failed.has(id) && (await enqueued(deps, `receipt:${id}`))) continue;
    const read = await readInvoice(deps, id);
    if (read) invoices.set(id, read);
  }
  for (const { inv, sub } of invoices.values()) notices.push(...invoiceNotices(inv, sub, env));
  for (const event of failures) {
    const now = invoices.get(event.objectId as string);
    const attempt = attemptOf(event);
    if (!now || now.firstPayment || now.inv.status !== 'open' || !attempt) continue;
    notices.push(paymentFailed(now.inv, attempt.count, attempt.next, now.sub, env));
  }

  if (!notices.length || !result.userId) return;
  const user = result.account ?? (await c.users.findOne({ _id: result.userId }, { projection: { email: 1 } }));
  if (!user) return;
  for (const n of notices) await sendOnce(deps, n.key, { to: user.email, ...n.mail });
  // The failed-payments page lists the dunning emails: a new one changes it.
  if (notices.some((n) => DUNNING_KEY.test(n.key))) await bumpFailingVersion(deps);
}

interface StripeInvoice {
  inv: InvoiceSummary;
  sub: SubscriptionDoc | null;
  /** The invoice that starts a subscription: its failures are answered on the Checkout page. */
  firstPayment: boolean;
}

function sameInvoiceState(a: InvoiceSummary | null, b: InvoiceSummary): boolean {
  return a?.id === b.id && a.status === b.status && a.attemptCount === b.attemptCount;
}

/** Which attempt an `invoice.payment_failed` event reports, and when Stripe said it would retry. */
function attemptOf(event: EventRef): { count: number; next: Date | null } | null {
  try {
    const object = (
      JSON.parse(event.payload) as { data?: { object?: { attempt_count?: number; next_payment_attempt?: number | null } } }
    ).data?.object;
    if (!object?.attempt_count) return null;
    return {
      count: object.attempt_count,
      next: object.next_payment_attempt ? new Date(object.next_payment_attempt * 1000) : null,
    };
  } catch {
    return null;
  }
}

/** An invoice as Stripe has it now, with its subscription's mirror row; null for one-off invoices. */
async function readInvoice(deps: AppDeps, id: string): Promise<StripeInvoice | null> {
  if (!deps.stripe) return null;
  const stripe = deps.stripe;
  const invoice = await withStripeErrors(() => stripe.invoices.retrieve(id));
  const subId = subscriptionOfInvoice(invoice);
  const inv = invoiceSummary(invoice);
  if (!subId || !inv) return null;
  const sub = await deps.db.c.subscriptions.findOne({ _id: subId });
  return { inv, sub, firstPayment: invoice.billing_reason === 'subscription_create' };
}
