// POST /webhooks/stripe (v1 events) and /webhooks/stripe/events (v2 thin events). A plain Hono route, not tRPC: the signature is computed over the raw
// body. Verify (SDK helper, 300 s tolerance) → store in the inbox → answer 2xx at once; a worker
// does the processing. If the database cannot take the event we answer 503 so Stripe retries.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import type { AppEnv } from '../http/app-env';
import { jsonError } from '../http/errors';
import { THIN_EVENT_TYPES } from './event-types';
import { notificationRow, recordEvent, recordRow } from './inbox';

export const WEBHOOK_BODY_LIMIT = 512 * 1024;

export function stripeWebhookRoutes(deps: AppDeps, opts: { onRecorded?: () => void } = {}) {
  const app = new Hono<AppEnv>();
  app.post(
    '/stripe',
    bodyLimit({ maxSize: WEBHOOK_BODY_LIMIT, onError: (c) => jsonError(c, 413, 'Payload too large.') }),
    async (c) => {
      const secret = deps.env.STRIPE_WEBHOOK_SECRET;
      if (!deps.stripe || !secret) return jsonError(c, 503, 'Stripe webhooks are not configured.');
      const signature = c.req.header('stripe-signature');
      if (!signature) return jsonError(c, 400, 'Missing Stripe-Signature header.');
      const raw = await c.req.text();
      let event: Stripe.Event;
      try {
        event = deps.stripe.webhooks.constructEvent(raw, signature, secret, 300);
      } catch (err) {
        c.get('log').warn({ reason: err instanceof Error ? err.message : String(err) }, 'rejected webhook signature');
        return jsonError(c, 400, 'Invalid signature or timestamp.');
      }
      // Signed but not an event we can process (no data object): refused with 400 and nothing stored.
      // Stripe never sends one, so it is a bug or a misuse of the signing secret; parking it would
      // keep a row no worker can act on, and a 503 would have Stripe retry it for days.
      if (!isProcessable(event)) {
        c.get('log').warn({ event: (event as { id?: unknown }).id }, 'signed webhook event without data');
        return jsonError(c, 400, 'The event has no data object; it was not stored.');
      }
      try {
        const result = await recordEvent(deps, event, raw);
        if (result === 'new') opts.onRecorded?.();
        return c.json({ received: true, duplicate: result === 'duplicate' });
      } catch (err) {
        c.get('log').error({ err, event: event.id }, 'could not store webhook event');
        return jsonError(c, 503, 'Temporarily unable to accept the event.');
      }
    },
  );
  // v2 thin events from the event destination (its own secret): the notification (id, type, related
  // object) is stored in the inbox and queued like a v1 event, and the worker reads the event from
  // Stripe and works on it. If the database cannot take it we answer 503 so Stripe retries.
  app.post(
    '/stripe/events',
    bodyLimit({ maxSize: WEBHOOK_BODY_LIMIT, onError: (c) => jsonError(c, 413, 'Payload too large.') }),
    async (c) => {
      const secret = deps.env.STRIPE_EVENTS_WEBHOOK_SECRET;
      if (!deps.stripe || !secret) return jsonError(c, 503, 'Stripe event destinations are not configured.');
      const signature = c.req.header('stripe-signature');
      if (!signature) return jsonError(c, 400, 'Missing Stripe-Signature header.');
      const raw = await c.req.text();
      let notification: ReturnType<Stripe['parseEventNotification']>;
      try {
        notification = deps.stripe.parseEventNotification(raw, signature, secret, 300);
      } catch (err) {
        c.get('log').warn({ reason: err instanceof Error ? err.message : String(err) }, 'rejected event notification signature');
        return jsonError(c, 400, 'Invalid signature or timestamp.');
      }
      if (!(THIN_EVENT_TYPES as readonly string[]).includes(notification.type)) {
        c.get('log').info(
          { event: notification.id, type: notification.type },
          'event notification of a type DropIn does not handle',
        );
        return c.json({ received: true, handled: false });
      }
      try {
        const result = await recordRow(deps, notificationRow(notification, raw, new Date()));
        if (result === 'new') opts.onRecorded?.();
        return c.json({ received: true, handled: true, duplicate: result === 'duplicate' });
      } catch (err) {
        c.get('log').error({ err, event: notification.id }, 'could not store an event notification');
        return jsonError(c, 503, 'Temporarily unable to accept the event.');
      }
    },
  );
  return app;
}

function isProcessable(event: Stripe.Event): boolean {
  const e = event as unknown as { id?: unknown; type?: unknown; data?: { object?: unknown } };
  return (
    typeof e.id === 'string' &&
    typeof e.type === 'string' &&
    typeof e.data === 'object' &&
    e.data !== null &&
    typeof e.data.object === 'object' &&
    e.data.object !== null
  );
}
