// The failed-payments projection, kept by billing as it happens: a small collection with one row per
// subscription with payment trouble (status.ts), keyed by subscription id and written by
// syncCustomer as it mirrors each subscription, and the last payment failure per customer, written
// by the billing effects of a payment_intent.payment_failed event. The admin's failed-payments page
// reads these few rows (admin/payments.ts) instead of filtering the whole mirror and the inbox,
// which may each be a scan of the collection (src/db/reads.ts); admin/failing.ts rebuilds them.
import type { Collection } from 'mongodb';
import type { AppDeps } from '../deps';
import type { InvoiceSummary, SubscriptionDoc, WebhookEventDoc } from '../db/collections';
import { replaceOrInsert } from '../db/writes';
import { newId } from '../lib/ids';
import { hasPaymentTrouble } from './status';

export interface FailingSubscriptionDoc {
  /** The subscription id. */
  _id: string;
  customerId: string;
  userId: string | null;
  /** The customer's email at Stripe when it was synced (the account's, for rows a rebuild wrote). */
  email: string | null;
  planId: string | null;
  status: string;
  currency: string;
  latestInvoice: InvoiceSummary | null;
  created: Date;
  /** The subscription row's fetchedAt: a repair never overwrites a newer sync. */
  fetchedAt: Date;
}

export interface PaymentFailureDoc {
  /** The customer id. */
  _id: string;
  reason: string;
  /** When Stripe created the event: an older failure never replaces a newer one. */
  at: Date;
  eventId: string;
}

export const failingSubscriptions = (deps: AppDeps): Collection<FailingSubscriptionDoc> =>
  deps.db.db.collection<FailingSubscriptionDoc>('admin_failing_subscriptions');
export const paymentFailures = (deps: AppDeps): Collection<PaymentFailureDoc> =>
  deps.db.db.collection<PaymentFailureDoc>('admin_payment_failures');

/**
 * A stamp that changes after every change to what the failed-payments page shows: a failing row, a
 * failure reason, a dunning email queued. Each writer writes first and stamps after, and a reader
 * reads the stamp before the rows, so a view read under a stamp that still holds is current
 * (src/admin/payments.ts). Racing writers each leave a new stamp, which is all it needs.
 */
const failingVersions = (deps: AppDeps) => deps.db.db.collection<{ _id: string; stamp: string }>('admin_failing_version');

export async function failingVersion(deps: AppDeps): Promise<string> {
  return (await failingVersions(deps).findOne({ _id: 'failing' }))?.stamp ?? 'none';
}

export async function bumpFailingVersion(deps: AppDeps): Promise<void> {
  await replaceOrInsert(failingVersions(deps), { _id: 'failing', stamp: newId() });
}

/** The row kept for a subscription with payment trouble. */
export function failingRow(sub: SubscriptionDoc, email: string | null): FailingSubscriptionDoc {
  return {
    _id: sub._id,
    customerId: sub.customerId,
    userId: sub.userId,
    email,
    planId: sub.planId,
    status: sub.status,
    currency: sub.currency,
    latestInvoice: sub.latestInvoice,
    created: sub.created,
    fetchedAt: sub.fetchedAt,
  };
}

/**
 * Called by syncCustomer for every subscription row it wrote (`sub`) or removed (`null`). One write
 * by _id in a small collection: a failing subscription is upserted, any other is deleted (a no-op
 * for the many that never failed).
 */
export async function projectFailing(
  deps: AppDeps,
  id: string,
  sub: SubscriptionDoc | null,
  email: string | null,
): Promise<void> {
  const c = failingSubscriptions(deps);
  if (!sub || !hasPaymentTrouble(sub.status)) {
    if ((await c.deleteOne({ _id: id })).deletedCount) await bumpFailingVersion(deps);
    return;
  }
  // Two syncs may race to create the row: either one's write stands.
  await replaceOrInsert(c, failingRow(sub, email));
  await bumpFailingVersion(deps);
}

/** Called by the billing effects for each webhook event; keeps the reason of a payment_intent.payment_failed. */
export async function recordPaymentFailure(
  deps: AppDeps,
  event: Pick<WebhookEventDoc, '_id' | 'type' | 'customerId' | 'payload' | 'created'>,
): Promise<void> {
  if (event.type !== 'payment_intent.payment_failed' || !event.customerId) return;
  const c = paymentFailures(deps);
  const current = await c.findOne({ _id: event.customerId });
  // Events arrive in any order: keep the newest failure (a lost race is repaired by the next one).
  if (current && current.at > event.created) return;
  const doc: PaymentFailureDoc = {
    _id: event.customerId,
    reason: failureReason(event.payload),
    at: event.created,
    eventId: event._id,
  };
  await replaceOrInsert(c, doc);
  await bumpFailingVersion(deps);
}

export function failureReason(payload: string): string {
  try {
    const event = JSON.parse(payload) as {
      data?: { object?: { last_payment_error?: { message?: string; decline_code?: string; code?: string } } };
    };
    const err = event.data?.object?.last_payment_error;
    if (!err) return 'Unknown';
    return [err.message, err.decline_code ?? err.code].filter(Boolean).join(' — ');
  } catch {
    return 'Unknown';
  }
}
