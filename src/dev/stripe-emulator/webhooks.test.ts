// Webhooks: signatures the SDK's constructEvent accepts, retries with backoff, the delivery log,
// injected faults (drop, duplicate, reorder, delay), events API filters, and persistence.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStripeEmulator } from './index.js';
import { advanceClock, sdkFor, startTestStripe, webhookReceiver, type TestStripe } from './testing.js';

let t: TestStripe;
let stripe: Stripe;
beforeAll(async () => {
  t = await startTestStripe();
  stripe = t.stripe;
});
afterAll(() => t.stop());
beforeEach(() => t.control.reset());

describe('webhook endpoints', () => {
  it('creates with a whsec_ secret shown once; lists, updates and deletes', async () => {
    const we = await stripe.webhookEndpoints.create({ url: 'http://127.0.0.1:9/hook', enabled_events: ['*'] });
    expect(we.secret).toMatch(/^whsec_/);
    expect(we.status).toBe('enabled');
    const got = await stripe.webhookEndpoints.retrieve(we.id);
    expect(got.secret).toBeUndefined();
    const updated = await stripe.webhookEndpoints.update(we.id, { enabled_events: ['invoice.paid'], disabled: true });
    expect(updated).toMatchObject({ enabled_events: ['invoice.paid'], status: 'disabled' });
    expect((await stripe.webhookEndpoints.list()).data).toHaveLength(1);
    expect(await stripe.webhookEndpoints.del(we.id)).toMatchObject({ deleted: true });
    await expect(stripe.webhookEndpoints.create({ url: 'not a url', enabled_events: ['*'] })).rejects.toMatchObject({
      param: 'url',
    });
  });
});

describe('deliveries', () => {
  it('are signed so stripe.webhooks.constructEvent accepts them, and carry the event', async () => {
    const receiver = await webhookReceiver();
    const we = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    const customer = await stripe.customers.create({ email: 'hook@x.io' });
    await t.control.waitForDeliveries();
    expect(receiver.received).toHaveLength(1);
    const { body, signature } = receiver.received[0]!;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const event = stripe.webhooks.constructEvent(body, signature, we.secret!);
    expect(event).toMatchObject({
      type: 'customer.created',
      api_version: '2026-10-28.endive',
      data: { object: { id: customer.id } },
    });
    expect(() => stripe.webhooks.constructEvent(body, signature, 'whsec_wrong')).toThrow();
    expect(() => stripe.webhooks.constructEvent(body.replace('hook@x.io', 'evil@x.io'), signature, we.secret!)).toThrow();
    const retrieved = await stripe.events.retrieve(event.id);
    expect(retrieved.pending_webhooks).toBe(0);
    expect(retrieved.request?.id).toMatch(/^req_/);
    await receiver.close();
  });

  it('only sends the enabled event types', async () => {
    const receiver = await webhookReceiver();
    await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['product.created'] });
    await stripe.customers.create({});
    await stripe.products.create({ name: 'Only me' });
    await t.control.waitForDeliveries();
    expect(receiver.received.map((r) => r.event.type)).toEqual(['product.created']);
    await receiver.close();
  });

  it('retries non-2xx answers with backoff and logs every attempt', async () => {
    const receiver = await webhookReceiver((n) => (n < 2 ? 500 : 200));
    await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    const customer = await stripe.customers.create({});
    await t.control.waitForDeliveries();
    const [delivery] = await t.control.deliveries({ type: 'customer.created' });
    expect(delivery).toMatchObject({ status: 'succeeded' });
    expect(delivery!.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(receiver.received[0]!.event.data.object).toMatchObject({ id: customer.id });
    await receiver.close();
  });

  it('gives up after the schedule and reports the event as not delivered', async () => {
    const receiver = await webhookReceiver(() => 503);
    await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    await stripe.customers.create({});
    await t.control.waitForDeliveries();
    const [delivery] = await t.control.deliveries();
    expect(delivery).toMatchObject({ status: 'failed' });
    expect(delivery!.attempts).toHaveLength(4); // first try + 3 retries of the test schedule
    const failed = await stripe.events.list({ delivery_success: false });
    expect(failed.data.map((e) => e.type)).toEqual(['customer.created']);
    expect((await stripe.events.list({ delivery_success: true })).data).toHaveLength(0);
    await receiver.close();
  });

  it('faults: drop, duplicate, reorder and delay', async () => {
    const receiver = await webhookReceiver();
    await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['customer.created'] });

    await t.control.injectWebhookFault({ action: 'drop', count: 1 });
    await stripe.customers.create({ email: 'dropped@x.io' });
    await t.control.waitForDeliveries();
    expect(receiver.received).toHaveLength(0);
    expect((await t.control.deliveries())[0]!.status).toBe('dropped');

    await t.control.injectWebhookFault({ action: 'duplicate', count: 1 });
    const dup = await stripe.customers.create({ email: 'twice@x.io' });
    await t.control.waitForDeliveries();
    expect(receiver.received.map((r) => r.event.data.object)).toMatchObject([{ id: dup.id }, { id: dup.id }]);

    receiver.received.length = 0;
    await t.control.injectWebhookFault({ action: 'reorder', count: 3 });
    const a = await stripe.customers.create({ email: 'a@x.io' });
    const b = await stripe.customers.create({ email: 'b@x.io' });
    const c = await stripe.customers.create({ email: 'c@x.io' });
    await t.control.waitForDeliveries();
    expect(receiver.received.map((r) => (r.event.data.object as Stripe.Customer).id)).toEqual([c.id, b.id, a.id]);

    receiver.received.length = 0;
    await t.control.injectWebhookFault({ action: 'delay', count: 1, delayMs: 150 });
    const started = Date.now();
    await stripe.customers.create({ email: 'late@x.io' });
    expect(receiver.received).toHaveLength(0);
    await t.control.waitForDeliveries();
    expect(receiver.received).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await receiver.close();
  });
});

describe('events API', () => {
  it('lists by type, wildcard, types[] and created, and retrieves with previous_attributes', async () => {
    const customer = await stripe.customers.create({ email: 'before@x.io' });
    await stripe.customers.update(customer.id, { email: 'after@x.io' });
    await stripe.products.create({ name: 'P' });
    const updated = await stripe.events.list({ type: 'customer.updated' });
    expect(updated.data).toHaveLength(1);
    expect(updated.data[0]!.data.previous_attributes).toEqual({ email: 'before@x.io' });
    expect((await stripe.events.list({ type: 'customer.*' })).data).toHaveLength(2);
    expect((await stripe.events.list({ types: ['customer.created', 'product.created'] })).data).toHaveLength(2);
    const all = await stripe.events.list();
    expect(all.data.map((e) => e.type)).toEqual(['product.created', 'customer.updated', 'customer.created']);
    expect((await stripe.events.list({ created: { gt: all.data[0]!.created + 10 } })).data).toHaveLength(0);
    // Events are snapshots: later changes never rewrite them.
    const created = (await stripe.events.list({ type: 'customer.created' })).data[0]!;
    expect((created.data.object as Stripe.Customer).email).toBe('before@x.io');
  });
});

describe('persistence', () => {
  it('keeps billing going after a restart: a clock advance renews a subscription made before it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stripe-emu-'));
    const dataFile = path.join(dir, 'stripe.json');
    try {
      const first = await startStripeEmulator({ port: 0, dataFile, tickIntervalMs: 0 });
      const s1 = sdkFor(first);
      const clock = await s1.testHelpers.testClocks.create({ frozen_time: 1_800_000_000 });
      const customer = await s1.customers.create({
        test_clock: clock.id,
        payment_method: 'pm_card_visa',
        invoice_settings: { default_payment_method: 'pm_card_visa' },
      });
      const price = await s1.prices.create({
        currency: 'usd',
        unit_amount: 700,
        recurring: { interval: 'month' },
        product_data: { name: 'Kept' },
      });
      const sub = await s1.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      await first.stop();
      const second = await startStripeEmulator({ port: 0, dataFile, tickIntervalMs: 0 });
      const s2 = sdkFor(second);
      await advanceClock(s2, clock.id, sub.items.data[0]!.current_period_end + 7200);
      const invoices = await s2.invoices.list({ subscription: sub.id });
      expect(invoices.data.map((i) => [i.billing_reason, i.status])).toEqual([
        ['subscription_cycle', 'paid'],
        ['subscription_create', 'paid'],
      ]);
      // Events written before the restart are still readable (their compression dictionary is persisted too).
      expect((await s2.events.list({ limit: 100 })).data.length).toBeGreaterThan(20);
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('saves to the data file and reloads the same state on restart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stripe-emu-'));
    const dataFile = path.join(dir, 'stripe.json');
    try {
      const first = await startStripeEmulator({ port: 0, dataFile, tickIntervalMs: 0 });
      const s1 = sdkFor(first);
      const customer = await s1.customers.create({ email: 'kept@x.io', payment_method: 'pm_card_visa' });
      await first.stop();
      expect(JSON.parse(readFileSync(dataFile, 'utf8')).format).toBe(1);
      const second = await startStripeEmulator({ port: 0, dataFile, tickIntervalMs: 0 });
      const s2 = sdkFor(second);
      expect(((await s2.customers.retrieve(customer.id)) as Stripe.Customer).email).toBe('kept@x.io');
      expect((await s2.customers.listPaymentMethods(customer.id)).data).toHaveLength(1);
      expect((await s2.events.list({ type: 'customer.created' })).data).toHaveLength(1);
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('event destinations (API v2 thin events)', () => {
  it('a meter event for an unknown customer is accepted, then reported as v1.billing.meter.error_report_triggered', async () => {
    const receiver = await webhookReceiver();
    try {
      const destination = await stripe.v2.core.eventDestinations.create({
        name: 'meter errors',
        type: 'webhook_endpoint',
        event_payload: 'thin',
        enabled_events: ['v1.billing.meter.error_report_triggered'],
        webhook_endpoint: { url: receiver.url },
        include: ['webhook_endpoint.signing_secret'],
      });
      const secret = destination.webhook_endpoint!.signing_secret!;
      expect(secret).toMatch(/^whsec_/);
      expect((await stripe.v2.core.eventDestinations.retrieve(destination.id)).webhook_endpoint?.signing_secret).toBeUndefined();
      const meter = await stripe.billing.meters.create({
        display_name: 'API calls',
        event_name: 'api_call',
        default_aggregation: { formula: 'sum' },
      });
      const known = await stripe.customers.create({});
      await stripe.billing.meterEvents.create({
        event_name: 'api_call',
        identifier: 'ok-1',
        payload: { stripe_customer_id: known.id },
      });
      const accepted = await stripe.billing.meterEvents.create({
        event_name: 'api_call',
        identifier: 'lost-1',
        payload: { stripe_customer_id: 'cus_gone' },
      });
      expect(accepted.identifier).toBe('lost-1');
      await t.control.waitForDeliveries();
      expect(receiver.received).toHaveLength(1);
      const { body, signature } = receiver.received[0]!;
      const notification = stripe.parseEventNotification(body, signature, secret);
      expect(notification).toMatchObject({
        type: 'v1.billing.meter.error_report_triggered',
        related_object: { id: meter.id, type: 'billing.meter' },
      });
      expect(JSON.parse(body).data).toBeUndefined();
      if (notification.type !== 'v1.billing.meter.error_report_triggered') throw new Error(notification.type);
      const event = await notification.fetchEvent();
      expect(event.data.reason.error_types).toEqual([
        {
          code: 'meter_event_customer_not_found',
          error_count: 1,
          sample_errors: [{ error_message: expect.stringContaining('cus_gone'), request: { identifier: 'lost-1' } }],
        },
      ]);
      expect((await notification.fetchRelatedObject()).id).toBe(meter.id);
      expect(() => stripe.parseEventNotification(body, signature, 'whsec_other')).toThrow();
    } finally {
      await receiver.close();
    }
  });
});
