// Everything that follows a change to a customer's billing, decided in one place. syncCustomer
// calls it after every mirror write, whatever started the sync (webhook events, checkout, a plan
// change, a cancel, an admin action, a payment retry, the reconciler), so no path can skip an effect.
// Each effect is idempotent: emails go through the outbox keyed by what they report (a receipt per
// paid invoice, a failure notice per failed attempt), the overage item alignment carries an
// idempotency key, and the failure record is keyed by customer.
import type { AppDeps } from '../deps';
import { recordPaymentFailure } from './payment-failures';
import { alignOverageItems } from './overage';
import { notifyBillingChanges } from './notifications';
import { notifyRefunds } from './refunds';
import { notifyCreditNotes } from './credit-notes';
import { recordFigureChanges } from './figures/record';
import { projectSubscriberRows } from './figures/subscriber-rows';
import { objectIdsOf, type SyncCause, type SyncResult } from './sync-result';

/**
 * The event types whose stored payload an effect reads (the failed attempt's number and next try,
 * the decline reason); of every other event only its type, ids and time are used, so the webhook
 * worker reads the payload of these alone.
 */
export const EVENTS_READ_FROM_PAYLOAD: ReadonlySet<string> = new Set(['invoice.payment_failed', 'payment_intent.payment_failed']);

export async function applyBillingEffects(deps: AppDeps, result: SyncResult, cause: SyncCause): Promise<void> {
  const events = cause.source === 'webhook' ? cause.events : [];
  // What the account may do follows at once in this process (others re-read within seconds).
  for (const change of result.changes) if (change.userId) deps.caches.plans.delete(change.userId);
  // The admin's figures (MRR, movements, recoveries) and its subscriber list follow every change;
  // first, so every web process shows the change while the emails below are still being written.
  await recordFigureChanges(deps, result, cause);
  await projectSubscriberRows(deps, result);
  // Notices: from the mirror's before/after, from what Stripe says of each invoice an event or the
  // action names, and from the event types that call for one on their own.
  await notifyBillingChanges(deps, result, { events, invoiceIds: invoicesNamed(cause) });
  // A plan switched anywhere (the billing portal included) moves the metered overage item along.
  await alignOverageItems(deps, result.changes);
  // Why a charge failed, for the admin's failed-payments list (the one thing kept from a payload).
  for (const event of events) await recordPaymentFailure(deps, event);
  // A refund email per refund the cause names (refund events, or the refund an admin just made),
  // and one per credit note issued, unless a refund's email says it all.
  await notifyRefunds(deps, result, cause);
  await notifyCreditNotes(deps, result, cause);
}

/** The invoices a cause is about: those its invoice events name, or the one the action acted on. */
function invoicesNamed(cause: SyncCause): string[] {
  if (cause.source !== 'webhook') return cause.invoiceId ? [cause.invoiceId] : [];
  return objectIdsOf(cause.events, (type) => type.startsWith('invoice.'));
}
