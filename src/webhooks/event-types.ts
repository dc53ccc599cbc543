// The Stripe event types DropIn's webhook endpoint subscribes to: the one list the local endpoint is
// registered with, `npm run stripe:doctor` checks the production endpoint against, and
// docs/deployment.md names. Each one names a customer whose state the worker then syncs from the
// API (src/webhooks/worker.ts); a few also carry what the sync cannot read back: a failed charge's
// reason, a trial ending, an authentication request, a refund to email about. Credit notes issued in
// the Dashboard arrive as `credit_note.*`: the sync reads the balance they credited, and the invoice
// list reads the credit notes themselves from Stripe.
import type Stripe from 'stripe';

export const HANDLED_EVENT_TYPES = [
  'checkout.session.completed',
  'customer.updated',
  'customer.deleted',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.trial_will_end',
  'customer.subscription.pending_update_applied',
  'customer.subscription.pending_update_expired',
  'subscription_schedule.created',
  'subscription_schedule.updated',
  'subscription_schedule.released',
  'subscription_schedule.canceled',
  'subscription_schedule.completed',
  'invoice.created',
  'invoice.finalized',
  'invoice.updated',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.payment_failed',
  'invoice.payment_action_required',
  'invoice.upcoming',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'payment_intent.payment_failed',
  'payment_method.attached',
  'payment_method.detached',
  'payment_method.updated',
  'charge.refunded',
  'refund.created',
  'refund.updated',
  'credit_note.created',
  'credit_note.updated',
  'credit_note.voided',
] as const satisfies readonly Stripe.WebhookEndpointCreateParams.EnabledEvent[];

export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];

const handled: ReadonlySet<string> = new Set(HANDLED_EVENT_TYPES);

/** Whether DropIn's endpoint receives this type (the reconciler replays only those). */
export function isHandledEventType(type: string): boolean {
  return handled.has(type);
}

/** The handled types an endpoint's `enabled_events` leaves out (none when it has `*`). */
export function missingEventTypes(enabled: readonly string[]): HandledEventType[] {
  if (enabled.includes('*')) return [];
  return HANDLED_EVENT_TYPES.filter((t) => !enabled.includes(t));
}

/**
 * The v2 (thin) event types the event destination at `/webhooks/stripe/events` subscribes to: what
 * Stripe reports only that way.
 */
export const HANDLED_THIN_EVENT_TYPES = ['v1.billing.meter.error_report_triggered'] as const;

/**
 * The v2 thin event types DropIn's event destination sends (`/webhooks/stripe/events`). Each is
 * stored in the inbox like a v1 event and worked on by a handler the worker is given; a worker
 * without that handler leaves the event to retry, never marks it done.
 */
export const THIN_EVENT_TYPES = ['v1.billing.meter.error_report_triggered'] as const;
