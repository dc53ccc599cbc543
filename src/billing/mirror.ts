// Maps Stripe objects to the mirror's shapes. Pure functions: no I/O, easy to test, and the one
// place that knows where this API version keeps things (periods on items, invoice payments).
import type Stripe from 'stripe';
import type {
  BillingCustomerDoc,
  InvoiceSummary,
  PaymentMethodSummary,
  ScheduledChange,
  SubscriptionDoc,
} from '../db/collections';
import { planForLookupKey } from './plans';

const date = (unix: number | null | undefined): Date | null => (unix ? new Date(unix * 1000) : null);

export function paymentMethodSummary(pm: string | Stripe.PaymentMethod | null | undefined): PaymentMethodSummary | null {
  if (!pm || typeof pm === 'string' || !pm.card) return null;
  return { id: pm.id, brand: pm.card.brand, last4: pm.card.last4, expMonth: pm.card.exp_month, expYear: pm.card.exp_year };
}

/** The subscription an invoice bills, or null for a one-off invoice. */
export function subscriptionOfInvoice(invoice: Stripe.Invoice): string | null {
  const ref = invoice.parent?.subscription_details?.subscription ?? null;
  return typeof ref === 'string' ? ref : (ref?.id ?? null);
}

export function invoiceSummary(inv: string | Stripe.Invoice | null | undefined): InvoiceSummary | null {
  if (!inv || typeof inv === 'string') return null;
  return {
    id: inv.id as string,
    status: inv.status,
    amountDue: inv.amount_due,
    amountPaid: inv.amount_paid,
    currency: inv.currency,
    hostedInvoiceUrl: inv.hosted_invoice_url ?? null,
    attemptCount: inv.attempt_count,
    nextPaymentAttempt: date(inv.next_payment_attempt),
  };
}

/** The plan item of a subscription: the first licensed (not metered) item. */
export function planItem(sub: Stripe.Subscription): Stripe.SubscriptionItem {
  const items = sub.items.data;
  const licensed = items.find((i) => i.price.recurring?.usage_type !== 'metered');
  const item = licensed ?? items[0];
  if (!item) throw new Error(`Subscription ${sub.id} has no items`);
  return item;
}

/** How our reads expand a subscription's schedule, so its next phase's plan can be named. */
export const SCHEDULE_EXPAND = 'schedule.phases.items.price';
/** …and the promotion codes its phases bring, so the code that comes with a change can be named. */
export const SCHEDULE_CODE_EXPAND = 'schedule.phases.discounts.promotion_code';

/**
 * The change the subscription's schedule will make when its current phase ends: the next phase's
 * plan price, if it differs from today's. Null without a schedule (or one not expanded, or one
 * whose phases change nothing we show).
 */
export function scheduledChange(sub: Stripe.Subscription): ScheduledChange | null {
  const sched = sub.schedule;
  if (!sched || typeof sched === 'string') return null;
  if (sched.status !== 'active' && sched.status !== 'not_started') return null;
  const end = sched.current_phase?.end_date;
  const next = end === undefined ? undefined : sched.phases.find((ph) => ph.start_date === end);
  if (!next) return null;
  const prices = next.items.map((i) => i.price).filter((p): p is Stripe.Price => typeof p === 'object' && !p.deleted);
  const price = prices.find((p) => p.recurring?.usage_type !== 'metered');
  if (!price || price.id === planItem(sub).price.id) return null;
  const known = planForLookupKey(price.lookup_key);
  // A promotion code the next phase redeems when it starts (the subscription's own discounts, listed
  // by id, carry over and are not new).
  const code = (next.discounts ?? [])
    .map((d) => d.promotion_code)
    .find((c): c is Stripe.PromotionCode => typeof c === 'object' && c !== null);
  return {
    planId: known?.plan.id ?? null,
    priceId: price.id,
    interval: price.recurring?.interval === 'year' ? 'year' : price.recurring?.interval === 'month' ? 'month' : null,
    unitAmount: price.unit_amount ?? null,
    at: new Date(next.start_date * 1000),
    // Only when there is one: rows written before the field existed compare equal to a change without.
    ...(code ? { promotionCode: code.code } : {}),
  };
}

export function subscriptionDoc(
  sub: Stripe.Subscription,
  ctx: { userId: string | null; customerDefault: PaymentMethodSummary | null; fetchedAt: Date },
): Omit<SubscriptionDoc, '_id'> {
  const item = planItem(sub);
  const price = item.price;
  const known = planForLookupKey(price.lookup_key);
  const metadataPlan = typeof price.metadata?.dropin_plan === 'string' ? price.metadata.dropin_plan : null;
  return {
    userId: ctx.userId,
    customerId: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    status: sub.status,
    planId: known?.plan.id ?? metadataPlan,
    priceId: price.id,
    lookupKey: price.lookup_key ?? null,
    interval: price.recurring?.interval === 'year' ? 'year' : price.recurring?.interval === 'month' ? 'month' : null,
    unitAmount: price.unit_amount ?? null,
    currency: price.currency,
    quantity: item.quantity ?? 1,
    itemId: item.id,
    currentPeriodStart: date(item.current_period_start),
    currentPeriodEnd: date(item.current_period_end),
    trialStart: date(sub.trial_start),
    trialEnd: date(sub.trial_end),
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    cancelAt: date(sub.cancel_at),
    canceledAt: date(sub.canceled_at),
    endedAt: date(sub.ended_at),
    cancellationFeedback: sub.cancellation_details?.feedback ?? null,
    // The subscription's own default wins; otherwise invoices charge the customer's default.
    defaultPaymentMethod: paymentMethodSummary(sub.default_payment_method) ?? ctx.customerDefault,
    latestInvoice: invoiceSummary(sub.latest_invoice),
    scheduledChange: scheduledChange(sub),
    created: new Date(sub.created * 1000),
    fetchedAt: ctx.fetchedAt,
    syncedAt: new Date(),
  };
}

export function customerDoc(
  customer: Stripe.Customer | Stripe.DeletedCustomer,
  ctx: { userId: string | null; fetchedAt: Date },
): Omit<BillingCustomerDoc, '_id'> {
  if (customer.deleted) {
    return {
      userId: ctx.userId,
      email: null,
      deleted: true,
      defaultPaymentMethod: null,
      balance: 0,
      currency: null,
      fetchedAt: ctx.fetchedAt,
      syncedAt: new Date(),
    };
  }
  return {
    userId: ctx.userId,
    email: customer.email ?? null,
    deleted: false,
    defaultPaymentMethod: paymentMethodSummary(
      customer.invoice_settings?.default_payment_method as Stripe.PaymentMethod | string | null,
    ),
    balance: customer.balance ?? 0,
    currency: customer.currency ?? null,
    fetchedAt: ctx.fetchedAt,
    syncedAt: new Date(),
  };
}
