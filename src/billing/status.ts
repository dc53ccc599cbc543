// What a Stripe subscription status means for DropIn, and the plan an account gets from its
// subscription. Every "does this status …?" question is answered here, on the server and in the web
// app alike, so this file stays pure: it imports nothing but the plan catalog.
import { plans, type PlanId } from './plans';

/** Every status Stripe gives a subscription, in the order the admin's filters list them. */
export const SUBSCRIPTION_STATUSES = [
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'incomplete',
  'incomplete_expired',
  'canceled',
  'paused',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * Grant the plan's entitlements. past_due keeps access while Stripe retries the payment; unpaid,
 * incomplete, paused and ended subscriptions fall back to Free.
 */
export const ACCESS_STATUSES = ['trialing', 'active', 'past_due'] as const;

/**
 * Still the customer's subscription, whether or not it grants access: everything but ended. An
 * account's current subscription is its newest open one, and a new checkout waits until it ends.
 */
export const OPEN_STATUSES = ['trialing', 'active', 'past_due', 'unpaid', 'incomplete', 'paused'] as const;

/** Ended for good: Stripe neither bills nor revives it; a new subscription starts afresh. */
export const ENDED_STATUSES = ['incomplete_expired', 'canceled'] as const;

/**
 * Started and running: Stripe keeps invoicing it, paid or not. Not yet started (incomplete), paused
 * and ended subscriptions are not running. Billing emails use it: a subscription that starts running
 * gets a welcome, a plan change or scheduled cancel between running states gets a notice.
 */
export const RUNNING_STATUSES = ['trialing', 'active', 'past_due', 'unpaid'] as const;

/**
 * A payment is owed and has failed or waits on the customer: past_due and unpaid (renewals Stripe
 * could not charge) and incomplete (a first payment not made). The billing banner and the admin's
 * failed-payments list show these.
 */
export const PAYMENT_TROUBLE_STATUSES = ['past_due', 'unpaid', 'incomplete'] as const;
export type PaymentTroubleStatus = (typeof PAYMENT_TROUBLE_STATUSES)[number];

/** Billed at the plan's price now (trials are not yet): MRR and the admin's "active subscribers". */
export const PAYING_STATUSES = ['active', 'past_due'] as const;

const within = (group: readonly string[], status: string) => group.includes(status);

export const grantsAccess = (status: string): boolean => within(ACCESS_STATUSES, status);
export const isOpen = (status: string): boolean => within(OPEN_STATUSES, status);
export const isEnded = (status: string): boolean => within(ENDED_STATUSES, status);
export const isRunning = (status: string): boolean => within(RUNNING_STATUSES, status);
export const isPaying = (status: string): boolean => within(PAYING_STATUSES, status);
export const hasPaymentTrouble = (status: string): status is PaymentTroubleStatus => within(PAYMENT_TROUBLE_STATUSES, status);

/**
 * The plan whose entitlements an account has, given its current subscription (the newest open one,
 * or null): that subscription's plan while it grants access, otherwise Free. A plan id the catalog
 * does not know (a price made outside it) grants nothing either.
 */
export function effectivePlan(sub: { planId: string | null; status: string } | null): PlanId {
  if (!sub?.planId || !Object.hasOwn(plans, sub.planId) || !grantsAccess(sub.status)) return 'free';
  return sub.planId as PlanId;
}
