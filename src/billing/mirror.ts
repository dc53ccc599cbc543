// Maps Stripe objects to the mirror's shapes. Pure functions: no I/O, easy to test, and the one
// place that knows where this API version keeps things (periods on items, invoice payments).
import type Stripe from 'stripe';
import type { BillingCustomerDoc, InvoiceSummary, PaymentMethodSummary, SubscriptionDoc } from '../db/collections';
import { planForLookupKey } from './plans';

const date = (unix: number | null | undefined): Date | null => (unix ? new Date(unix * 1000) : null);

export function paymentMethodSummary(pm: string | Stripe.PaymentMethod | null | undefined): PaymentMethodSummary | null {
  if (!pm || typeof pm === 'string' || !pm.card) return null;
  return { id: pm.id, brand: pm.card.brand, last4: pm.card.last4, expMonth: pm.card.exp_month, expYear: pm.card.exp_year };
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
    fetchedAt: ctx.fetchedAt,
    syncedAt: new Date(),
  };
}
