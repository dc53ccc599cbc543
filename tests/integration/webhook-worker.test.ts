// The webhook worker under load: several workers on one inbox work each event once, and one
// customer's events are worked one batch at a time, in the order they arrived, while other
// customers' events are worked beside them.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../src/dev/stripe-emulator/index';
import { requeueEvent, startWebhookWorker } from '../../src/webhooks/worker';
import { enqueue } from '../../src/webhooks/inbox';
import type { WebhookEventDoc } from '../../src/db/collections';
import { startBillingWorld, waitFor, type BillingWorld } from '../setup/billing';

let world: BillingWorld;

beforeAll(async () => {
  world = await startBillingWorld();
  // The server's own worker stays out: each test starts the workers it means to watch.
  await world.server.worker.stop();
});
afterAll(() => world?.close());

/**
 * A signed delivery naming a customer Stripe does not know: the worker's sync finds the customer
 * gone and marks the event processed, two Stripe reads and no effects.
 */
async function deliver(customerId: string, created = Math.floor(Date.now() / 1000)): Promise<string> {
  const id = `evt_worker_${randomUUID().replaceAll('-', '')}`;
  const body = JSON.stringify({
    id,
    object: 'event',
    type: 'customer.updated',
    created,
    livemode: false,
    api_version: '2026-10-28.endive',
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: { id: customerId, object: 'customer' } },
  });
  const secret = world.server.env.STRIPE_WEBHOOK_SECRET as string;
  const res = await fetch(`${world.server.env.PUBLIC_URL}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body, secret, Math.floor(Date.now() / 1000)) },
    body,
  });
  expect(res.status, await res.text()).toBe(200);
  return id;
}

async function rows(ids: string[]): Promise<WebhookEventDoc[]> {
  const c = world.server.deps.db.c.webhookEvents;
  return Promise.all(ids.map(async (id) => (await c.findOne({ _id: id })) as WebhookEventDoc));
}

describe('webhook worker', () => {
  it('drops a queue row of an event already processed at once, without working it again', async () => {
    const id = await deliver(`cus_nobody_${randomUUID().slice(0, 8)}`);
    const worker = startWebhookWorker(world.server.deps);
    try {
      await worker.drain(30_000);
      const [done] = await rows([id]);
      expect(done?.status).toBe('processed');
      // What a sweep that read the inbox just before the event was done leaves: the event queued
      // again as it was when received.
      await enqueue(world.server.deps, [{ ...done!, attempts: 0 }]);
      // Within a claim's lease (a minute): the row is seen as stray, not as held by another worker.
      await worker.drain(10_000);
      expect(await world.server.deps.db.c.webhookQueue.findOne({ _id: id })).toBeNull();
      // Not worked again: no second attempt was claimed.
      expect(await world.server.deps.db.c.claims.findOne({ _id: `webhook:${id}#2` })).toBeNull();
      const [after] = await rows([id]);
      expect(after?.attempts).toBe(done?.attempts);
      expect(after?.processedAt).toEqual(done?.processedAt);
    } finally {
      await worker.stop();
    }
  });

  it('two workers on one inbox work every event exactly once', async () => {
    const customers = Array.from({ length: 5 }, (_, i) => `cus_nobody_${i}_${randomUUID().slice(0, 8)}`);
    const ids: string[] = [];
    for (let round = 0; round < 8; round++) for (const cus of customers) ids.push(await deliver(cus));

    const workers = [
      startWebhookWorker(world.server.deps, { customersAtOnce: 4 }),
      startWebhookWorker(world.server.deps, { customersAtOnce: 4 }),
    ];
    try {
      await Promise.all(workers.map((w) => w.drain(60_000)));
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }

    const done = await rows(ids);
    expect(done.map((r) => r.status)).toEqual(ids.map(() => 'processed'));
    // One attempt each: a second claim would mean a second worker ran the event again.
    expect(done.map((r) => r.attempts)).toEqual(ids.map(() => 1));
    const { claims, webhookQueue } = world.server.deps.db.c;
    for (const id of ids) {
      expect(await claims.findOne({ _id: `webhook:${id}#1` }), id).not.toBeNull();
      expect(await claims.findOne({ _id: `webhook:${id}#2` }), id).toBeNull();
      expect(await webhookQueue.findOne({ _id: id }), id).toBeNull();
    }
  });

  it("works one customer's events one batch at a time, in arrival order, other customers beside", async () => {
    const customers = Array.from({ length: 3 }, (_, i) => `cus_nobody_${i}_${randomUUID().slice(0, 8)}`);
    const worker = startWebhookWorker(world.server.deps, { customersAtOnce: 4, pollMs: 50 });
    const ids: string[] = [];
    try {
      // Events keep arriving while earlier ones are being worked on.
      const last = new Map<string, string>();
      for (let round = 0; round < 6; round++) {
        for (const cus of customers) {
          // The customer's previous event is being worked on (claimed) before the next arrives, so
          // the injected failures never pile up past the SDK's two retries.
          const previous = last.get(cus);
          if (previous)
            await waitFor(
              `${previous} claimed`,
              async () => !!(await world.server.deps.db.c.claims.findOne({ _id: `webhook:${previous}#1` })),
            );
          // A slow sync (Stripe answers 500 once, the SDK tries again), so later events arrive
          // while the customer's earlier ones are still being worked on.
          await world.control.injectApiFault({ status: 500, pathPrefix: `/v1/customers/${cus}`, method: 'GET' });
          const id = await deliver(cus);
          last.set(cus, id);
          ids.push(id);
          worker.kick();
        }
      }
      await worker.drain(60_000);
    } finally {
      await worker.stop();
      await world.control.clearFaults();
    }

    const done = await rows(ids);
    expect(done.map((r) => r.status)).toEqual(ids.map(() => 'processed'));
    const { claims } = world.server.deps.db.c;
    for (const cus of customers) {
      const mine = done.filter((r) => r.customerId === cus).sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
      // Arrival order: an event never finishes before one of the customer's events that arrived earlier.
      for (let i = 1; i < mine.length; i++)
        expect(mine[i]!.processedAt!.getTime(), `${cus} event ${i}`).toBeGreaterThanOrEqual(mine[i - 1]!.processedAt!.getTime());
      // One batch at a time: events finished together are one batch, from its first claim to its
      // finish; a customer's batches never overlap.
      const batches = new Map<number, { start: number; end: number }>();
      for (const r of mine) {
        const claim = await claims.findOne({ _id: `webhook:${r._id}#1` });
        const end = r.processedAt!.getTime();
        const b = batches.get(end) ?? { start: Number.POSITIVE_INFINITY, end };
        b.start = Math.min(b.start, claim!.at.getTime());
        batches.set(end, b);
      }
      const ordered = [...batches.values()].sort((a, b) => a.start - b.start);
      for (let i = 1; i < ordered.length; i++)
        expect(ordered[i]!.start, `${cus} batch ${i} starts after batch ${i - 1} ends`).toBeGreaterThanOrEqual(
          ordered[i - 1]!.end,
        );
    }
  });

  it("a replay of an event waiting out a failed attempt's backoff is worked now, its park threshold counted from the replay", async () => {
    const id = await deliver(`cus_nobody_${randomUUID().slice(0, 8)}`);
    const { webhookEvents, webhookQueue } = world.server.deps.db.c;
    // Where seven failed attempts leave an event: pending, due in an hour, queued for then.
    const later = new Date(Date.now() + 3_600_000);
    await webhookEvents.updateOne({ _id: id }, { $set: { attempts: 7, nextAttemptAt: later, lastError: 'boom' } });
    await webhookQueue.updateOne({ _id: id }, { $set: { attempts: 7, at: later } });

    expect(await requeueEvent(world.server.deps, id)).toBe(true);
    const queued = await webhookQueue.findOne({ _id: id });
    expect(queued?.at.getTime()).toBeLessThanOrEqual(Date.now());
    // The park threshold counts from the replay: one more failure retries, it does not park.
    expect(queued?.replayedFromAttempt).toBe(7);

    const worker = startWebhookWorker(world.server.deps);
    try {
      await worker.drain(30_000);
    } finally {
      await worker.stop();
    }
    const [done] = await rows([id]);
    expect(done?.status).toBe('processed');
    expect(done?.attempts).toBe(8);
    expect(await webhookQueue.findOne({ _id: id })).toBeNull();
  });

  it('refuses a replay while a worker has the event in hand', async () => {
    const id = await deliver(`cus_nobody_${randomUUID().slice(0, 8)}`);
    const { claims, webhookEvents } = world.server.deps.db.c;
    // A worker's claim of the next attempt, taken a moment ago.
    await claims.insertOne({ _id: `webhook:${id}#1`, owner: 'another-worker', at: new Date() });
    expect(await requeueEvent(world.server.deps, id)).toBe(false);
    expect((await webhookEvents.findOne({ _id: id }))?.replayedFromAttempt).toBeUndefined();
    // A claim older than a lease is a crashed worker's; a worker that found it so claimed the next
    // number, and has the event now.
    const longAgo = new Date(Date.now() - 120_000);
    await claims.updateOne({ _id: `webhook:${id}#1` }, { $set: { at: longAgo } });
    await claims.insertOne({ _id: `webhook:${id}#2`, owner: 'another-worker', at: new Date() });
    expect(await requeueEvent(world.server.deps, id)).toBe(false);
    // Once that one is old too, the replay goes ahead.
    await claims.updateOne({ _id: `webhook:${id}#2` }, { $set: { at: longAgo } });
    expect(await requeueEvent(world.server.deps, id)).toBe(true);
    await world.server.deps.db.c.webhookQueue.deleteOne({ _id: id });
  });

  it('queues again an event stored but never queued, and works it', async () => {
    const id = await deliver(`cus_nobody_${randomUUID().slice(0, 8)}`);
    // A process stopped between storing the event and queueing it.
    await world.server.deps.db.c.webhookQueue.deleteOne({ _id: id });
    const worker = startWebhookWorker(world.server.deps);
    try {
      await waitFor('the stranded event processed', async () => (await rows([id]))[0]!.status === 'processed');
    } finally {
      await worker.stop();
    }
  });
});
