// Everything that follows a change to a customer's billing, decided in one place. syncCustomer
// calls it after every mirror write, whatever started the sync (a webhook, checkout, a plan change,
// a cancel, an admin action, a payment retry, the reconciler), so no path can skip an effect.
// Each effect is idempotent: emails go through the outbox keyed by what they report, the overage
// item alignment carries an idempotency key, and the failure record is keyed by customer.
import type { AppDeps } from '../deps';
import type { WebhookEventDoc } from '../db/collections';
import { recordPaymentFailure } from '../admin/failing';
import { alignOverageItems } from '../usage/meter';
import { notifySubscriptionChanges } from './notifications';
import type { SyncResult } from './sync';

/** What started a sync: a webhook event (with its stored row), or an action named by its source. */
export type SyncCause =
  | { source: 'webhook'; event: Pick<WebhookEventDoc, '_id' | 'type' | 'customerId' | 'payload' | 'created'> }
  | { source: 'checkout' | 'user.action' | 'admin.action' | 'payment.retry' | 'reconciler' | 'account.deletion'; key?: string };

export async function applyBillingEffects(deps: AppDeps, result: SyncResult, cause: SyncCause): Promise<void> {
  const event = cause.source === 'webhook' ? cause.event : null;
  // Notices: from the mirror's before/after, plus the event types that call for one on their own.
  await notifySubscriptionChanges(deps, result.changes, {
    source: event?.type ?? cause.source,
    customerId: result.customerId,
  });
  // A plan switched anywhere (the billing portal included) moves the metered overage item along.
  await alignOverageItems(deps, result.changes, {
    cause: event?._id ?? `${cause.source}:${('key' in cause && cause.key) || result.customerId}`,
  });
  // Why a charge failed, for the admin's failed-payments list (the one thing kept from a payload).
  if (event) await recordPaymentFailure(deps, event);
}
