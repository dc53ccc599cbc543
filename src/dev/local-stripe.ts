// Development and tests only: a Stripe emulator ready for a DropIn server on `serverPort` — the
// plan catalog pushed and the server's webhook endpoint registered — and the STRIPE_* variables
// that point the app at it. `npm start`, the test harness, benchmarks and screenshot scripts all
// wire the emulator this way.
import Stripe from 'stripe';
import { pushCatalog } from '../billing/catalog';
import { HANDLED_EVENT_TYPES, HANDLED_THIN_EVENT_TYPES } from '../webhooks/event-types';
import { startStripeEmulator, type StripeEmulator, type StripeEmulatorOptions } from './stripe-emulator/index';

export interface LocalStripe {
  emulator: StripeEmulator;
  stripe: Stripe;
  /** STRIPE_SECRET_KEY, STRIPE_API_BASE and the two signing secrets for the server's env. */
  env: Record<'STRIPE_SECRET_KEY' | 'STRIPE_API_BASE' | 'STRIPE_WEBHOOK_SECRET' | 'STRIPE_EVENTS_WEBHOOK_SECRET', string>;
  /** Prices the catalog push created or replaced (0 when the emulator already had them). */
  pricesPushed: number;
}

export async function startLocalStripe(opts: { serverPort: number } & StripeEmulatorOptions): Promise<LocalStripe> {
  const { serverPort, ...emulatorOpts } = opts;
  const emulator = await startStripeEmulator({ port: 0, ...emulatorOpts });
  const stripe = new Stripe(emulator.secretKey, { host: emulator.host, port: emulator.port, protocol: 'http' });
  const catalog = await pushCatalog(stripe);
  const url = `http://127.0.0.1:${serverPort}/webhooks/stripe`;
  // A persisted emulator may remember an endpoint from an earlier start; its secret is not ours.
  for await (const endpoint of stripe.webhookEndpoints.list({ limit: 100 })) {
    if (endpoint.url === url) await stripe.webhookEndpoints.del(endpoint.id);
  }
  // The same event types production subscribes to, so local runs and tests see what it sees.
  const endpoint = await stripe.webhookEndpoints.create({
    url,
    enabled_events: [...HANDLED_EVENT_TYPES],
    description: 'DropIn (local)',
  });
  // And the event destination for v2 thin events (meter error reports).
  const destination = await stripe.v2.core.eventDestinations.create({
    name: 'DropIn (local)',
    type: 'webhook_endpoint',
    event_payload: 'thin',
    enabled_events: [...HANDLED_THIN_EVENT_TYPES],
    webhook_endpoint: { url: `${url}/events` },
    include: ['webhook_endpoint.signing_secret'],
  });
  return {
    emulator,
    stripe,
    env: {
      STRIPE_SECRET_KEY: emulator.secretKey,
      STRIPE_API_BASE: emulator.url,
      STRIPE_WEBHOOK_SECRET: endpoint.secret as string,
      STRIPE_EVENTS_WEBHOOK_SECRET: destination.webhook_endpoint?.signing_secret as string,
    },
    pricesPushed: catalog.prices.filter((p) => p.action !== 'unchanged').length,
  };
}
