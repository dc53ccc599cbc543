// POST /webhooks/stripe. A plain Hono route, not tRPC: the signature is computed over the raw
// body. Verify (SDK helper, 300 s tolerance) → store in the inbox → answer 2xx at once; a worker
// does the processing. If the database cannot take the event we answer 503 so Stripe retries.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import type { AppEnv } from '../http/app-env';
import { jsonError } from '../http/errors';
import { recordEvent } from './inbox';

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
  return app;
}
