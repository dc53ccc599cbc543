// Helpers for the emulator's own tests (and any test that wants a local Stripe): an emulator with a
// real SDK client, a webhook receiver, a test-clock advance that waits like real code must, and a
// way to fill the hosted Checkout form over plain HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { emulatorControl, type EmulatorControl } from './control.js';
import { startStripeEmulator, type StripeEmulator, type StripeEmulatorOptions } from './index.js';

export interface TestStripe {
  emulator: StripeEmulator;
  stripe: Stripe;
  control: EmulatorControl;
  stop(): Promise<void>;
}

export function sdkFor(emulator: StripeEmulator, key = emulator.secretKey, maxNetworkRetries = 2): Stripe {
  return new Stripe(key, { host: emulator.host, port: emulator.port, protocol: 'http', maxNetworkRetries });
}

export async function startTestStripe(opts: StripeEmulatorOptions = {}): Promise<TestStripe> {
  const emulator = await startStripeEmulator({ port: 0, tickIntervalMs: 0, webhookRetrySchedule: [50, 100, 200], ...opts });
  return { emulator, stripe: sdkFor(emulator), control: emulatorControl(emulator.url), stop: () => emulator.stop() };
}

/** Advance a test clock and wait until it is `ready`, as code against real Stripe has to. */
export async function advanceClock(stripe: Stripe, clockId: string, frozenTime: number): Promise<Stripe.TestHelpers.TestClock> {
  let clock = await stripe.testHelpers.testClocks.advance(clockId, { frozen_time: frozenTime });
  for (let i = 0; i < 500 && clock.status !== 'ready'; i++) {
    await new Promise((r) => setTimeout(r, 10));
    clock = await stripe.testHelpers.testClocks.retrieve(clockId);
  }
  if (clock.status !== 'ready') throw new Error(`test clock ${clockId} did not become ready (${clock.status})`);
  return clock;
}

export interface ReceivedWebhook {
  body: string;
  signature: string;
  event: Stripe.Event;
}

/** A local HTTP endpoint that records webhook deliveries; answer with `respond` (status per request). */
export async function webhookReceiver(
  respond: (n: number) => number = () => 200,
): Promise<{ url: string; received: ReceivedWebhook[]; close(): Promise<void> }> {
  const received: ReceivedWebhook[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = respond(n++);
      if (status >= 200 && status < 300)
        received.push({ body, signature: String(req.headers['stripe-signature']), event: JSON.parse(body) as Stripe.Event });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/stripe`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface CardInput {
  number: string;
  expiry?: string;
  cvc?: string;
  name?: string;
  email?: string;
  promotionCode?: string;
}

/** POST a hosted form the way a browser would; returns status, Location and HTML. */
export async function postForm(
  url: string,
  fields: Record<string, string>,
): Promise<{ status: number; location: string | null; html: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}

export function cardFields(card: CardInput): Record<string, string> {
  const fields: Record<string, string> = {
    card_number: card.number,
    expiry: card.expiry ?? '12 / 34',
    cvc: card.cvc ?? '123',
    name: card.name ?? 'Ada Lovelace',
  };
  if (card.email) fields.email = card.email;
  if (card.promotionCode) fields.promotion_code = card.promotionCode;
  return fields;
}

/** Fill and submit the hosted Checkout page; `authenticate` answers a 3-D Secure step if one appears. */
export async function payCheckout(sessionUrl: string, card: CardInput, authenticate: 'complete' | 'fail' = 'complete') {
  const first = await postForm(sessionUrl, { ...cardFields(card), action: 'pay' });
  if (first.status === 200 && first.html.includes('Complete authentication')) {
    const carry = cardFields(card);
    return { ...(await postForm(`${sessionUrl}/authenticate`, { ...carry, decision: authenticate })), authenticated: true };
  }
  return { ...first, authenticated: false };
}

export const DAY = 86_400;
