// The webhook route and inbox: signatures, size limits, duplicates, reordering, and a database
// outage during delivery (Stripe retries; nothing acknowledged is lost).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payCheckout } from '../../src/dev/stripe-emulator/testing';
import { signPayload } from '../../src/dev/stripe-emulator/index';
import type { BillingSummary } from '../../src/billing/dashboard';
import { freePort, startFerretDB, type Service } from '../../scripts/services';
import { inboxRow, recordRow } from '../../src/webhooks/inbox';
import { startBillingWorld, trpc, verifiedUser, type BillingWorld } from '../setup/billing';

// This file runs its own FerretDB so it can stop and restart it.
let dataDir: string;
let ferretPort: number;
let ferret: Service;
let world: BillingWorld;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'dropin-webhooks-'));
  ferretPort = await freePort();
  ferret = await startFerretDB({ dataDir, port: ferretPort });
  world = await startBillingWorld({ MONGODB_URI: ferret.url });
});
afterAll(async () => {
  await world?.close();
  await ferret?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const action = () => randomUUID().replaceAll('-', '');
const url = () => `${world.server.env.PUBLIC_URL}/webhooks/stripe`;
const secret = () => world.server.env.STRIPE_WEBHOOK_SECRET as string;

function fakeEvent(id = `evt_test_${action()}`) {
  return JSON.stringify({
    id,
    object: 'event',
    type: 'customer.updated',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    api_version: '2026-10-28.endive',
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: { id: 'cus_nobody', object: 'customer' } },
  });
}

async function post(body: string, signature: string | null) {
  return fetch(url(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
    body,
  });
}

describe('signature checks', () => {
  it('accepts a correctly signed event and stores it once', async () => {
    const body = fakeEvent();
    const sig = signPayload(body, secret(), Math.floor(Date.now() / 1000));
    const first = await post(body, sig);
    expect(first.status).toBe(200);
    const second = await post(body, sig);
    expect(await second.json()).toEqual({ received: true, duplicate: true });
    const id = JSON.parse(body).id;
    expect(await world.server.deps.db.c.webhookDuplicates.countDocuments({ eventId: id })).toBe(1);
  });

  it('deliveries arriving together are each stored and worked once; repeats of one event among them are duplicates', async () => {
    const { webhookEvents, webhookDuplicates } = world.server.deps.db.c;
    const bodies = Array.from({ length: 60 }, () => fakeEvent());
    const repeated = bodies[0]!;
    const now = Math.floor(Date.now() / 1000);
    const sent = [...bodies, repeated, repeated, repeated];
    const answers = await Promise.all(sent.map((b) => post(b, signPayload(b, secret(), now))));
    const json = await Promise.all(answers.map((r) => r.json() as Promise<{ received: boolean; duplicate: boolean }>));
    expect(answers.map((r) => r.status)).toEqual(sent.map(() => 200));
    // One of the four deliveries of the repeated event stored it; the other three are duplicates.
    expect(json.filter((j) => j.duplicate)).toHaveLength(3);
    const ids = bodies.map((b) => JSON.parse(b).id as string);
    expect(await webhookDuplicates.countDocuments({ eventId: ids[0] })).toBe(3);
    // Every one was queued: the worker works each, once.
    await world.server.worker.drain(30_000);
    const rows = await Promise.all(ids.map((id) => webhookEvents.findOne({ _id: id })));
    expect(rows.map((r) => [r?.status, r?.attempts])).toEqual(ids.map(() => ['processed', 1]));
  });

  it('rows recorded while a write is in flight go in one batch, a repeat in the same batch answered as a duplicate', async () => {
    const deps = world.server.deps;
    const row = (id: string) => inboxRow(JSON.parse(fakeEvent(id)), fakeEvent(id), new Date());
    const [x, a, b] = ['x', 'a', 'b'].map((k) => `evt_batch_${k}_${action()}`);
    // The first starts a write; the next three, recorded in the same tick, wait for it and go together.
    const results = await Promise.all([x!, a!, b!, a!].map((id) => recordRow(deps, row(id))));
    expect(results).toEqual(['new', 'new', 'new', 'duplicate']);
    for (const id of [x!, a!, b!]) expect(await deps.db.c.webhookEvents.countDocuments({ _id: id }), id).toBe(1);
    expect(await deps.db.c.webhookDuplicates.countDocuments({ eventId: a })).toBe(1);
    await world.server.worker.drain(30_000);
    for (const id of [x!, a!, b!]) expect((await deps.db.c.webhookEvents.findOne({ _id: id }))?.status, id).toBe('processed');
  });

  it('a signed event without a data object is a 400 and stores nothing', async () => {
    const event = JSON.parse(fakeEvent());
    delete event.data;
    const body = JSON.stringify(event);
    const res = await post(body, signPayload(body, secret(), Math.floor(Date.now() / 1000)));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: expect.stringMatching(/no data object/) });
    expect(await world.server.deps.db.c.webhookEvents.countDocuments({ _id: event.id })).toBe(0);
  });

  it('rejects missing, malformed and wrong signatures, and stale timestamps, storing nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string | null][] = [
      ['missing', null],
      ['malformed', 'not-a-signature'],
      ['wrong secret', signPayload('x', 'whsec_wrong', now)],
      ['older than 5 minutes', 'placeholder'],
    ];
    for (const [name, sig] of cases) {
      const body = fakeEvent();
      const signature =
        name === 'wrong secret'
          ? signPayload(body, 'whsec_wrong', now)
          : name === 'older than 5 minutes'
            ? signPayload(body, secret(), now - 301)
            : sig;
      const res = await post(body, signature);
      expect(res.status, name).toBe(400);
      expect(await world.server.deps.db.c.webhookEvents.countDocuments({ _id: JSON.parse(body).id }), name).toBe(0);
    }
  });

  it('refuses oversized bodies with 413', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(600 * 1024) });
    // A connection of its own: the server stops reading at the limit, so this socket is not reused.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        url(),
        {
          method: 'POST',
          agent: false,
          headers: {
            'content-type': 'application/json',
            'stripe-signature': signPayload(body, secret(), Math.floor(Date.now() / 1000)),
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(413);
  });
});

describe('delivery order and outages', () => {
  it('reordered deliveries still leave the mirror equal to Stripe', async () => {
    const user = await verifiedUser(world);
    await world.control.injectWebhookFault({ action: 'reorder', count: 6 });
    const start = await trpc<{ url: string }>(world, user.cookie, 'mutation', 'billing.startCheckout', {
      planId: 'pro',
      interval: 'month',
      actionId: action(),
    });
    await payCheckout(start.data.url, { number: '4242424242424242' });
    expect((await world.control.waitForDeliveries(30_000)).pending, 'deliveries still pending').toBe(0);
    await world.server.worker.drain();
    await world.control.clearFaults();
    const summary = await trpc<BillingSummary>(world, user.cookie, 'query', 'billing.summary');
    expect(summary.data.subscription?.status).toBe('trialing');
    const stripeSub = await world.stripe.subscriptions.retrieve(summary.data.subscription!.id);
    expect(summary.data.subscription?.status).toBe(stripeSub.status);
  });

  it('while the database is down the route answers 503; Stripe retries and the event is applied once it is back', {
    timeout: 240_000,
  }, async () => {
    const user = await verifiedUser(world);
    const start = await trpc<{ url: string }>(world, user.cookie, 'mutation', 'billing.startCheckout', {
      planId: 'business',
      interval: 'month',
      actionId: action(),
    });
    // Slow retries so the outage spans several attempts, spread over a minute and a half so the
    // last ones come after FerretDB is back however long its restart takes on a busy machine.
    await world.control.updateSettings({ webhookRetrySchedule: [500, 1000, 2000, 4000, 8000, 16000, 32000, 32000] });
    await ferret.stop();
    const paid = await payCheckout(start.data.url, { number: '4242424242424242' });
    expect(paid.status).toBe(303);
    let failed: Awaited<ReturnType<typeof world.control.deliveries>>[number] | undefined;
    const deadline = Date.now() + 60_000;
    while (!failed?.attempts.some((a) => a.status === 503) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      failed = (await world.control.deliveries({ type: 'checkout.session.completed' })).at(-1);
    }
    expect(failed?.attempts.some((a) => a.status === 503)).toBe(true);

    ferret = await startFerretDB({ dataDir, port: ferretPort });
    expect((await world.control.waitForDeliveries(120_000)).pending, 'deliveries still pending').toBe(0);
    await world.server.worker.drain(60_000);
    const row = await world.server.deps.db.c.webhookEvents.findOne({ _id: failed!.event });
    expect(row?.status).toBe('processed');
    const summary = await trpc<BillingSummary>(world, user.cookie, 'query', 'billing.summary');
    expect(summary.data.plan.id).toBe('business');
  });
});
