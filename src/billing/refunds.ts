// Refunds of paid invoices: how an invoice leads to the card charge that paid it (the invoice's
// payments name a PaymentIntent, whose latest charge holds what was refunded so far), and the
// email a subscriber gets once per refund, whoever made it (an admin here, or Stripe's dashboard).
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import { compose, type Mail } from '../email/templates';
import { enqueued, sendOnce } from '../email/outbox';
import { formatAmount } from '../lib/money';
import { AppError } from '../lib/errors';
import { withStripeErrors } from './errors';
import { BILLING_REASON } from './notifications';
import { subscriptionOfInvoice } from './mirror';
import { plans, type PlanId } from './plans';
import { objectIdsOf, type SyncCause, type SyncResult } from './sync-result';

/** The PaymentIntent that paid an invoice, from its (expanded) payments; null when none did. */
export function paymentIntentOf(invoice: Stripe.Invoice): string | null {
  const paid = invoice.payments?.data.find((p) => p.status === 'paid' && p.payment.type === 'payment_intent');
  const pi = paid?.payment.payment_intent ?? null;
  return typeof pi === 'string' ? pi : (pi?.id ?? null);
}

export interface PaidInvoice {
  invoice: Stripe.Invoice;
  customerId: string;
  paymentIntentId: string;
  charge: Stripe.Charge;
  /** What can still be refunded, in the smallest unit of the invoice's currency. */
  refundable: number;
}

/**
 * What can still be refunded of a paid invoice, in the smallest unit of its currency: what was paid,
 * less what its credit notes already gave back after payment (`post_payment_credit_notes_amount`:
 * refunds, balance credit and credit outside Stripe alike), less refunds of its charge made outside
 * any credit note; and never more than is left on the charge. Voided credit notes count for nothing.
 */
export function refundableOf(opts: {
  invoice: Pick<Stripe.Invoice, 'status' | 'amount_paid' | 'post_payment_credit_notes_amount'>;
  charge: Pick<Stripe.Charge, 'amount' | 'amount_refunded'> | null | undefined;
  creditNotes: Pick<Stripe.CreditNote, 'status' | 'refunds'>[];
}): number {
  const { invoice, charge } = opts;
  if (invoice.status !== 'paid' || !charge) return 0;
  const refundedByNotes = opts.creditNotes
    .filter((n) => n.status === 'issued')
    .reduce((sum, n) => sum + n.refunds.reduce((s, r) => s + r.amount_refunded, 0), 0);
  const refundedOutsideNotes = Math.max(0, charge.amount_refunded - refundedByNotes);
  const left = invoice.amount_paid - invoice.post_payment_credit_notes_amount - refundedOutsideNotes;
  return Math.max(0, Math.min(left, charge.amount - charge.amount_refunded));
}

/** A paid invoice with the card charge that paid it; refused when no card payment paid it. */
export async function paidInvoice(deps: AppDeps, stripe: Stripe, invoiceId: string): Promise<PaidInvoice> {
  const invoice = await withStripeErrors(() => stripe.invoices.retrieve(invoiceId, { expand: ['payments'] }));
  if (invoice.status !== 'paid') throw new AppError('CONFLICT', 'Only a paid invoice can be refunded.', { field: 'invoiceId' });
  const paymentIntentId = paymentIntentOf(invoice);
  if (!paymentIntentId)
    throw new AppError('CONFLICT', 'This invoice was not paid by card, so there is no payment to refund.', {
      field: 'invoiceId',
    });
  const pi = await withStripeErrors(() => stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] }));
  const charge = pi.latest_charge;
  if (!charge || typeof charge === 'string') {
    deps.log.warn({ invoiceId, paymentIntentId }, 'a paid invoice has no charge to refund');
    throw new AppError('CONFLICT', 'Stripe has no card charge for this invoice to refund.', { field: 'invoiceId' });
  }
  const customerId = typeof invoice.customer === 'string' ? invoice.customer : (invoice.customer?.id ?? '');
  const notes = await withStripeErrors(() => stripe.creditNotes.list({ invoice: invoiceId, limit: 100 }));
  const refundable = refundableOf({ invoice, charge, creditNotes: notes.data });
  return { invoice, customerId, paymentIntentId, charge, refundable };
}

/** The refund email: "Refund of $6.00 for DropIn Pro", keyed by the refund so it is sent once. */
export function refundNotice(
  refund: { id: string; amount: number; currency: string },
  ctx: { planId: string | null; paid: number | null; card: { brand: string | null; last4: string | null } | null },
  env: { PUBLIC_URL: string },
): { key: string; mail: Mail } {
  const amount = formatAmount(refund.amount, refund.currency, { locale: 'en-US' });
  const plan = `DropIn ${(ctx.planId && plans[ctx.planId as PlanId]?.name) || 'subscription'}`;
  const of =
    ctx.paid !== null && ctx.paid !== refund.amount
      ? ` of your ${formatAmount(ctx.paid, refund.currency, { locale: 'en-US' })} payment`
      : '';
  const card = ctx.card?.last4 ? `your ${cardBrand(ctx.card.brand)} ending in ${ctx.card.last4}` : 'the card you paid with';
  return {
    key: `refund:${refund.id}`,
    mail: compose(env, `Refund of ${amount} for ${plan}`, {
      paragraphs: [
        `We have refunded ${amount}${of} for ${plan}.`,
        `It goes back to ${card}; banks usually show it within 5 to 10 business days.`,
      ],
      link: { href: `${env.PUBLIC_URL}/app/billing`, label: 'See your invoices' },
      reason: BILLING_REASON,
    }),
  };
}

function cardBrand(brand: string | null): string {
  const names: Record<string, string> = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express' };
  return brand ? (names[brand] ?? brand) : 'card';
}

/** The refunds a sync's cause is about: the one an admin made, or those refund events name. */
function refundsNamed(cause: SyncCause): { refunds: string[]; charges: string[] } {
  if (cause.source !== 'webhook') return { refunds: cause.refundId ? [cause.refundId] : [], charges: [] };
  const ids = (types: string[]) => objectIdsOf(cause.events, (type) => types.includes(type));
  return { refunds: ids(['refund.created', 'refund.updated']), charges: ids(['charge.refunded']) };
}

/**
 * Emails the subscriber about each succeeded refund the cause names, once per refund. What is sent
 * is read from Stripe (never from an event payload); a refund already emailed costs no API call.
 */
export async function notifyRefunds(deps: AppDeps, result: SyncResult, cause: SyncCause): Promise<void> {
  const named = refundsNamed(cause);
  if (!deps.stripe || !result.userId || (!named.refunds.length && !named.charges.length)) return;
  const stripe = deps.stripe;
  const { c } = deps.db;
  const sent = (id: string) => enqueued(deps, `refund:${id}`);

  const refunds = new Map<string, Stripe.Refund>();
  for (const id of named.refunds) {
    if (await sent(id)) continue;
    refunds.set(id, await withStripeErrors(() => stripe.refunds.retrieve(id)));
  }
  // A charge.refunded event alone (its refund.created lost or late): every refund of that charge.
  for (const charge of named.charges) {
    const list = await withStripeErrors(() => stripe.refunds.list({ charge, limit: 100 }));
    for (const r of list.data) if (!refunds.has(r.id) && !(await sent(r.id))) refunds.set(r.id, r);
  }
  const due = [...refunds.values()].filter((r) => r.status === 'succeeded');
  if (!due.length) return;
  const user = await c.users.findOne({ _id: result.userId }, { projection: { email: 1 } });
  if (!user) return;
  for (const refund of due) {
    const notice = refundNotice(refund, await refundContext(deps, stripe, refund), deps.env);
    await sendOnce(deps, notice.key, { to: user.email, ...notice.mail });
  }
}

/** The plan the refunded invoice was for (from our mirror of its subscription), what was paid, and the card. */
async function refundContext(deps: AppDeps, stripe: Stripe, refund: Stripe.Refund) {
  const chargeId = typeof refund.charge === 'string' ? refund.charge : (refund.charge?.id ?? null);
  const pi = typeof refund.payment_intent === 'string' ? refund.payment_intent : (refund.payment_intent?.id ?? null);
  const [charge, payments] = await Promise.all([
    chargeId ? withStripeErrors(() => stripe.charges.retrieve(chargeId)) : null,
    pi
      ? withStripeErrors(() => stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: pi }, limit: 1 }))
      : null,
  ]);
  const invoiceId = payments?.data[0]?.invoice;
  let planId: string | null = null;
  if (typeof invoiceId === 'string') {
    const invoice = await withStripeErrors(() => stripe.invoices.retrieve(invoiceId));
    const subId = subscriptionOfInvoice(invoice);
    if (subId) planId = (await deps.db.c.subscriptions.findOne({ _id: subId }, { projection: { planId: 1 } }))?.planId ?? null;
  }
  const card = charge?.payment_method_details?.card;
  return { planId, paid: charge?.amount ?? null, card: card ? { brand: card.brand, last4: card.last4 } : null };
}
