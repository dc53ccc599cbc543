// Field-by-field comparison of a Stripe subscription with its mirror row. Pure: the expected row
// comes from the same subscriptionDoc mapping syncCustomer writes, so "in sync" means exactly
// "a sync now would not change these fields".
import type Stripe from 'stripe';
import type { SubscriptionDoc } from '../../db/collections';
import { paymentMethodSummary, subscriptionDoc } from '../mirror';
import { isOpen } from '../status';

/** The mirror fields the reconciler vouches for. */
export const COMPARED_FIELDS = [
  'status',
  'planId',
  'priceId',
  'quantity',
  'currentPeriodStart',
  'currentPeriodEnd',
  'trialEnd',
  'cancelAtPeriodEnd',
  'defaultPaymentMethod',
  // Rows mirrored before this field existed read as null, as Stripe does for a subscription without a schedule.
  'scheduledChange',
] as const satisfies readonly (keyof SubscriptionDoc)[];

export type DriftKind =
  /** Stripe has the subscription, the mirror has no row for it. */
  | 'missing_in_mirror'
  /** The mirror has a row for a subscription Stripe does not know. */
  | 'unknown_to_stripe'
  /** Stripe says the subscription ended; the mirror still shows it live. */
  | 'ended_in_stripe'
  /** Both know it, some compared fields differ. */
  | 'fields_differ';

export interface FieldDiff {
  field: string;
  mirror: unknown;
  stripe: unknown;
}

export type Expected = Omit<SubscriptionDoc, '_id'>;

/** JSON-friendly value for reports (dates as ISO strings, payment methods by id and card). */
export function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value === undefined) return null;
  return value;
}

const same = (a: unknown, b: unknown) => JSON.stringify(plain(a)) === JSON.stringify(plain(b));

/** What syncCustomer would write for `sub` (its customer expanded, with the default card). */
export function expectedRow(sub: Stripe.Subscription): { expected: Expected; userId: string | null } {
  const customer = typeof sub.customer === 'string' ? null : sub.customer;
  const live = customer && !customer.deleted ? customer : null;
  const userId = live?.metadata?.dropin_user_id ?? null;
  const customerDefault = paymentMethodSummary(
    live?.invoice_settings?.default_payment_method as Stripe.PaymentMethod | string | null,
  );
  const expected = subscriptionDoc(sub, { userId, customerDefault, fetchedAt: new Date(0) });
  return { expected, userId };
}

export function compareRow(expected: Expected, mirror: SubscriptionDoc | null): { kind: DriftKind; fields: FieldDiff[] } | null {
  if (!mirror) {
    return {
      kind: 'missing_in_mirror',
      fields: COMPARED_FIELDS.map((f) => ({ field: f, mirror: null, stripe: plain(expected[f]) })),
    };
  }
  const fields: FieldDiff[] = [];
  for (const f of COMPARED_FIELDS) {
    if (!same(mirror[f], expected[f])) fields.push({ field: f, mirror: plain(mirror[f]), stripe: plain(expected[f]) });
  }
  if (!fields.length) return null;
  const ended = !isOpen(expected.status) && isOpen(mirror.status);
  return { kind: ended ? 'ended_in_stripe' : 'fields_differ', fields };
}
