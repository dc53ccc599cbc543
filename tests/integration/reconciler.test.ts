// The reconciler against the Stripe emulator's fault injection: dropped, reordered and duplicated
// webhooks, objects changed behind the app's back, a stopped worker, a subscription the mirror never
// heard of (one on a test clock), and one Stripe no longer knows. One run must make the mirror equal
// Stripe; a second must find nothing. Plus dry runs, two runners at once, a 429 storm, an outage.
// The reconciler compares the whole Stripe account with the whole mirror, so each test gets a world
// of its own (emulator and database) and makes the subscriptions it needs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { payCheckout } from '../../src/dev/stripe-emulator/testing';
import { createUser } from '../../src/auth/users';
import { COMPARED_FIELDS, compareRow, expectedRow } from '../../src/billing/reconcile/compare';
import { collections } from '../../src/db/collections';
import { latestRuns, runReconcile, type ReconcileReport } from '../../src/billing/reconcile/run';
import { SCHEDULE_CODE_EXPAND, SCHEDULE_EXPAND } from '../../src/billing/mirror';
import { mirrorWrittenSubscription } from '../../src/billing/sync';
import { acquireLease } from '../../src/db/lease';
import { isHandledEventType } from '../../src/webhooks/event-types';
import { allStripeSubscriptions, startBillingWorld, trpc, verifiedUser, type BillingWorld } from '../setup/billing';

let world: BillingWorld;
beforeEach(async () => {
  world = await startBillingWorld();
});
afterEach(() => world?.close());

const deps = () => world.server.deps;
const EXPAND = ['data.customer.invoice_settings.default_payment_method', 'data.default_payment_method'];
const action = () => randomUUID().replaceAll('-', '');
// Fast backoff so fault tests take seconds, not minutes.
const fast = { backoffBaseMs: 20, rps: 100 };

async function subscribe(planId: 'pro' | 'business') {
  const user = await verifiedUser(world);
  const start = await trpc<{ url: string }>(world, user.cookie, 'mutation', 'billing.startCheckout', {
    planId,
    interval: 'month',
    actionId: action(),
  });
  expect(start.status, start.error?.message).toBe(200);
  const paid = await payCheckout(start.data.url, { number: '4242424242424242' });
  expect(paid.status).toBe(303);
  const sessionId = new URL(paid.location as string).searchParams.get('session_id');
  const done = await trpc(world, user.cookie, 'mutation', 'billing.completeCheckout', { sessionId });
  expect(done.status, done.error?.message).toBe(200);
  const row = await deps().db.c.subscriptions.findOne({ userId: user.id });
  expect(row).not.toBeNull();
  return { user, subId: row!._id, customerId: row!.customerId };
}

/** One subscription per plan, made one after the other (as people would), webhooks all handled. */
async function subscribed<const P extends readonly ('pro' | 'business')[]>(plans: P) {
  const subs: Awaited<ReturnType<typeof subscribe>>[] = [];
  for (const plan of plans) subs.push(await subscribe(plan));
  await settle();
  return subs as { [K in keyof P]: Awaited<ReturnType<typeof subscribe>> };
}

/** Every Stripe subscription has an equal mirror row, and the mirror has nothing else. */
async function expectConverged() {
  const subs = await allStripeSubscriptions(world);
  const rows = await deps().db.c.subscriptions.find({}).toArray();
  const byId = new Map(rows.map((r) => [r._id, r]));
  for (const sub of subs) expect(compareRow(expectedRow(sub).expected, byId.get(sub.id) ?? null), sub.id).toBeNull();
  expect(rows.map((r) => r._id).sort()).toEqual(subs.map((s) => s.id).sort());
}

/** Test data deleted in Stripe: a customer and its subscription gone, with no event. */
async function deleteTestData(s: { subId: string; customerId: string }) {
  await world.control.deleteObject(s.subId);
  await world.control.deleteObject(s.customerId);
}

/** A run finds the row Stripe no longer has, repairs it by removing it, and leaves the mirror equal to Stripe. */
async function expectOrphanRemoved(subId: string) {
  const report = await runReconcile(deps(), fast);
  expect(report.status, report.errors.join('; ')).toBe('succeeded');
  const drift = report.drifts.find((d) => d.subscriptionId === subId);
  expect(drift).toMatchObject({ kind: 'unknown_to_stripe', error: null, repaired: true });
  expect(await deps().db.c.subscriptions.findOne({ _id: subId })).toBeNull();
  await expectConverged();
}

/** Waits until the emulator has delivered every webhook it owes (a busy machine is slow, not broken). */
async function deliveriesDone() {
  const { pending } = await world.control.waitForDeliveries(30_000);
  expect(pending, 'webhook deliveries still pending').toBe(0);
}

/** Polls `check` until it holds; the deadline only bounds a test that would otherwise hang. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The emulator's API faults still armed, with how many calls each will still fail. */
async function apiFaults(): Promise<{ pathPrefix?: string; remaining: number }[]> {
  const res = await fetch(`${world.emulatorUrl}/_emulator/faults`);
  return ((await res.json()) as { api: { pathPrefix?: string; remaining: number }[] }).api;
}

/** Every webhook delivered and processed by the app's worker. */
async function settle() {
  await deliveriesDone();
  await world.server.worker.drain(30_000);
}

describe('the reconciler', () => {
  it('finds nothing to do when webhooks all arrived', async () => {
    await subscribed(['pro', 'business', 'pro']);
    const report = await runReconcile(deps(), fast);
    expect(report.status, report.errors.join('; ')).toBe('succeeded');
    expect(report.counts.checked).toBe(3);
    expect(report.counts.drifted).toBe(0);
    expect(report.stripeCalls).toBeGreaterThan(0);
  });

  it('a dry run reports drift and writes nothing', async () => {
    const [patched] = await subscribed(['pro', 'business']);
    await world.control.patchObject(patched.subId, { cancel_at_period_end: true });
    const mirrorBefore = await deps().db.c.subscriptions.find({}).sort({ _id: 1 }).toArray();
    const inboxBefore = await deps().db.c.webhookEvents.countDocuments();
    const runsBefore = await deps().db.c.reconcileRuns.countDocuments();
    const claimsBefore = await deps().db.c.claims.countDocuments({ _id: /^reconciler:/ });

    const report = await runReconcile(deps(), { ...fast, dryRun: true });
    expect(report.status).toBe('succeeded');
    expect(report.dryRun).toBe(true);
    const drift = report.drifts.find((d) => d.subscriptionId === patched.subId);
    expect(drift?.fields).toEqual([{ field: 'cancelAtPeriodEnd', mirror: false, stripe: true, after: null }]);
    expect(drift?.repaired).toBe(false);
    expect(report.counts.repaired).toBe(0);

    expect(await deps().db.c.subscriptions.find({}).sort({ _id: 1 }).toArray()).toEqual(mirrorBefore);
    expect(await deps().db.c.webhookEvents.countDocuments()).toBe(inboxBefore);
    expect(await deps().db.c.reconcileRuns.countDocuments()).toBe(runsBefore);
    expect(await deps().db.c.claims.countDocuments({ _id: /^reconciler:/ })).toBe(claimsBefore);
  });

  it('one run makes the mirror equal Stripe after every kind of loss; a second run finds no drift', {
    timeout: 120_000,
  }, async () => {
    const { stripe, control } = world;
    const [s1, s2, s3, s4, s5] = await subscribed(['business', 'pro', 'business', 'pro', 'pro']);

    // Dropped webhooks: Stripe changes, our endpoint never hears of it.
    await control.injectWebhookFault({ action: 'drop', count: 1_000 });
    await stripe.subscriptions.update(s1.subId, { cancel_at_period_end: true });
    await stripe.subscriptions.update(s2.subId, { trial_end: 'now' });
    // A subscription made straight in Stripe for a user (linked through customer metadata only).
    const loner = await createUser(deps(), {
      email: `loner-${action()}@example.test`,
      password: 'a long test password',
      name: 'Loner',
      emailVerified: true,
    });
    const price = (await stripe.prices.list({ lookup_keys: ['dropin_business_monthly'] })).data[0]!;
    const lonerCustomer = await stripe.customers.create({
      email: loner.email,
      metadata: { dropin_user_id: loner._id },
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const lonerSub = await stripe.subscriptions.create({ customer: lonerCustomer.id, items: [{ price: price.id }] });
    // One on a test clock: listed only when its clock is asked for.
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000) });
    const clockCustomer = await stripe.customers.create({
      test_clock: clock.id,
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const clockSub = await stripe.subscriptions.create({ customer: clockCustomer.id, items: [{ price: price.id }] });
    await deliveriesDone();
    await control.clearFaults();

    // Reordered and duplicated deliveries.
    await control.injectWebhookFault({ action: 'reorder', count: 4 });
    await control.injectWebhookFault({ action: 'duplicate', count: 10 });
    await stripe.subscriptions.update(s3.subId, {
      items: [{ id: (await stripe.subscriptions.retrieve(s3.subId)).items.data[0]!.id, quantity: 3 }],
    });
    await settle();
    await control.clearFaults();

    // Changes behind the app's back: no event at all.
    await control.patchObject(s4.subId, { status: 'past_due' });
    await control.deleteObject(s5.subId);

    // The worker stops mid-way: events land in the inbox and stay there.
    await world.server.worker.stop();
    await stripe.subscriptions.update(s4.subId, { metadata: { note: 'worker is down' } });
    await deliveriesDone();

    const report = await runReconcile(deps(), fast);
    expect(report.status, report.errors.join('; ')).toBe('succeeded');
    const kinds = Object.fromEntries(report.drifts.map((d) => [d.subscriptionId, d.kind]));
    expect(kinds[s1.subId]).toBe('fields_differ');
    expect(kinds[s2.subId]).toBe('fields_differ');
    expect(kinds[s4.subId]).toBe('fields_differ');
    expect(kinds[s5.subId]).toBe('unknown_to_stripe');
    expect(kinds[lonerSub.id]).toBe('missing_in_mirror');
    expect(kinds[clockSub.id]).toBe('missing_in_mirror');
    expect(report.drifts.find((d) => d.subscriptionId === lonerSub.id)?.userId).toBe(loner._id);
    const s1Drift = report.drifts.find((d) => d.subscriptionId === s1.subId)!;
    expect(s1Drift.fields).toContainEqual({ field: 'cancelAtPeriodEnd', mirror: false, stripe: true, after: true });
    expect(report.drifts.every((d) => d.repaired && d.error === null)).toBe(true);
    expect(report.counts.repaired).toBe(report.counts.drifted);
    expect(report.counts.failed).toBe(0);
    // The dropped events reached the inbox for the worker.
    expect(report.eventsReplayed).toBeGreaterThan(0);
    const dropped = await control.deliveries({ status: 'dropped' });
    const inbox = await deps()
      .db.c.webhookEvents.find({ _id: { $in: dropped.map((d) => d.event) } })
      .toArray();
    expect(inbox).toHaveLength(new Set(dropped.map((d) => d.event)).size);

    await expectConverged();
    expect((await deps().db.c.subscriptions.findOne({ _id: lonerSub.id }))?.userId).toBe(loner._id);

    const stored = await deps().db.c.reconcileRuns.findOne({ _id: report._id });
    expect(stored?.status).toBe('succeeded');
    expect(stored?.drifts).toHaveLength(report.drifts.length);

    const second = await runReconcile(deps(), fast);
    expect(second.status).toBe('succeeded');
    expect(second.counts.drifted).toBe(0);
    expect(second.counts.checked).toBe(report.counts.checked - 1); // s5 is gone for good
    expect(second.eventsReplayed).toBe(0);
    expect((await latestRuns(deps()))[0]?._id).toBe(second._id);
  });

  it('removes a row mirrored from a write of a customer never synced, once Stripe no longer has it', async () => {
    const { stripe, control } = world;
    // Stripe's events never arrive, and the app mirrored the subscription from a write's answer
    // alone: the customer has no row of its own listing the subscription.
    await control.injectWebhookFault({ action: 'drop', count: 1_000 });
    const user = await createUser(deps(), {
      email: `orphan-${action()}@example.test`,
      password: 'a long test password',
      name: 'Orphan',
      emailVerified: true,
    });
    const customer = await stripe.customers.create({
      email: user.email,
      metadata: { dropin_user_id: user._id },
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const price = (await stripe.prices.list({ lookup_keys: ['dropin_pro_monthly'] })).data[0]!;
    const fetchedAt = new Date();
    const created = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const sub = await stripe.subscriptions.retrieve(created.id, {
      expand: ['default_payment_method', 'latest_invoice', SCHEDULE_EXPAND, SCHEDULE_CODE_EXPAND],
    });
    await mirrorWrittenSubscription(deps(), sub, { fetchedAt, cause: { source: 'reconciler' } });
    expect(await deps().db.c.subscriptions.findOne({ _id: sub.id })).not.toBeNull();
    expect(await deps().db.c.billingCustomers.findOne({ _id: customer.id })).toBeNull();
    await deliveriesDone();
    await control.deleteObject(sub.id);

    await expectOrphanRemoved(sub.id);
  });

  it("removes the subscription of a customer Stripe no longer has at all, once, and leaves the user's account be", async () => {
    const [gone] = await subscribed(['pro', 'business'] as const);
    await deleteTestData(gone);

    await expectOrphanRemoved(gone.subId);
    expect(await deps().db.c.users.findOne({ _id: gone.user.id })).not.toBeNull();

    const second = await runReconcile(deps(), fast);
    expect(second.status, second.errors.join('; ')).toBe('succeeded');
    expect(second.drifts).toEqual([]);
  });

  it("removes nothing when Stripe has none of the mirror: another account's key would make every row look gone", async () => {
    const [only] = await subscribed(['pro'] as const);
    await deleteTestData(only);

    const report = await runReconcile(deps(), fast);
    const drift = report.drifts.find((d) => d.subscriptionId === only.subId);
    expect(drift).toMatchObject({ kind: 'unknown_to_stripe', repaired: false });
    expect(drift?.error).toContain(`Stripe has no customer ${only.customerId}`);
    expect(drift?.error).toContain('STRIPE_SECRET_KEY');
    expect(await deps().db.c.subscriptions.findOne({ _id: only.subId })).not.toBeNull();
  });

  it('counts every drift it saw: missed events reach the worker only after the compare', { timeout: 120_000 }, async () => {
    const { stripe, control } = world;
    // Subscriptions on a test clock, which the run lists after everything else: holding that
    // listing up gives the worker all the time it wants before they are compared.
    const price = (await stripe.prices.list({ lookup_keys: ['dropin_pro_monthly'] })).data[0]!;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000) });
    const subIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const customer = await stripe.customers.create({
        test_clock: clock.id,
        payment_method: 'pm_card_visa',
        invoice_settings: { default_payment_method: 'pm_card_visa' },
      });
      subIds.push((await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] })).id);
    }
    await settle();
    expect(await deps().db.c.subscriptions.countDocuments({ _id: { $in: subIds } })).toBe(subIds.length);
    // The endpoint misses every change; the worker keeps running, as beside a live server.
    await control.injectWebhookFault({ action: 'drop', count: 1_000 });
    for (const id of subIds) await stripe.subscriptions.update(id, { cancel_at_period_end: true });
    await deliveriesDone();
    await control.clearFaults();

    await control.injectApiFault({ status: 429, count: 10_000, pathPrefix: '/v1/test_helpers/test_clocks' });
    const run = runReconcile(deps(), { ...fast, maxAttempts: 1_000 });
    try {
      await until('the test-clock listing is held up', async () => (await apiFaults()).some((f) => f.remaining < 10_000));
      // Whatever the inbox holds by now, the worker processes.
      await world.server.worker.drain(30_000);
    } finally {
      await control.clearFaults();
    }
    const report = await run;

    expect(report.status, report.errors.join('; ')).toBe('succeeded');
    expect(report.drifts.map((d) => d.subscriptionId).sort()).toEqual([...subIds].sort());
    expect(report.counts.drifted).toBe(subIds.length);
    expect(report.counts.repaired).toBe(subIds.length);
    expect(report.eventsReplayed).toBeGreaterThanOrEqual(subIds.length);
    // The replayed events change nothing more once the worker has them.
    await world.server.worker.drain(30_000);
    await expectConverged();
  });

  it('a drift fixed by someone else between the compare and the repair counts as found and already fixed', async () => {
    const [fixedMeanwhile, repairedByRun] = await subscribed(['pro', 'business']);
    await world.control.injectWebhookFault({ action: 'drop', count: 1_000 });
    for (const s of [fixedMeanwhile, repairedByRun])
      await world.stripe.subscriptions.update(s.subId, { cancel_at_period_end: true });
    await deliveriesDone();
    await world.control.clearFaults();
    // What a sync would write now, for the fields the reconciler compares.
    const current = await world.stripe.subscriptions.retrieve(fixedMeanwhile.subId, {
      expand: EXPAND.map((e) => e.slice('data.'.length)),
    });
    const { expected } = expectedRow(current);
    const fixed = Object.fromEntries(COMPARED_FIELDS.map((f) => [f, expected[f]]));

    // The repair of that one customer is held up (429) until the test has fixed its row.
    await world.control.injectApiFault({ status: 429, count: 10_000, pathPrefix: `/v1/customers/${fixedMeanwhile.customerId}` });
    const run = runReconcile(deps(), { ...fast, maxAttempts: 1_000 });
    try {
      await until('the repair is held up', async () => (await apiFaults()).some((f) => f.remaining < 10_000));
      await deps().db.c.subscriptions.updateOne({ _id: fixedMeanwhile.subId }, { $set: fixed });
    } finally {
      await world.control.clearFaults();
    }
    const report = await run;

    expect(report.status, report.errors.join('; ')).toBe('succeeded');
    expect(report.counts.drifted).toBe(2);
    expect(report.counts.repaired).toBe(1);
    expect(report.counts.alreadyFixed).toBe(1);
    expect(report.counts.failed).toBe(0);
    const meanwhile = report.drifts.find((d) => d.subscriptionId === fixedMeanwhile.subId);
    expect(meanwhile).toMatchObject({ repaired: false, alreadyFixed: true, error: null });
    expect(meanwhile?.fields).toContainEqual({ field: 'cancelAtPeriodEnd', mirror: false, stripe: true, after: true });
    expect(report.drifts.find((d) => d.subscriptionId === repairedByRun.subId)).toMatchObject({
      repaired: true,
      alreadyFixed: false,
      error: null,
    });
    expect(report.counts.byKind.fields_differ).toEqual({ found: 2, repaired: 1, alreadyFixed: 1, failed: 0 });
    await expectConverged();
  });

  it('replays missed events with one inbox lookup per page of events', { timeout: 120_000 }, async () => {
    const [s] = await subscribed(['pro']);
    await world.control.injectWebhookFault({ action: 'drop', count: 1_000 });
    // More missed events than one page holds (no drift: metadata is not mirrored).
    for (let i = 0; i < 150; i++) await world.stripe.subscriptions.update(s.subId, { metadata: { step: String(i) } });
    await deliveriesDone();
    await world.control.clearFaults();
    const dropped = new Set((await world.control.deliveries({ status: 'dropped' })).map((d) => d.event));
    let events = 0;
    let handled = 0;
    for await (const e of world.stripe.events.list({ limit: 100 })) {
      events++;
      if (isHandledEventType(e.type)) handled++;
    }

    // The same run, through a client that counts the inbox lookups.
    const env = world.server.env;
    const client = new MongoClient(env.MONGODB_URI as string, { monitorCommands: true });
    const lookups: number[] = [];
    client.on('commandStarted', (e) => {
      const filter = e.command.filter as { _id?: { $in?: unknown[] } } | undefined;
      if (e.commandName === 'find' && e.command.find === 'webhook_events' && filter?._id?.$in)
        lookups.push(filter._id.$in.length);
    });
    try {
      await client.connect();
      const db = client.db(env.MONGODB_DB);
      const report = await runReconcile({ ...deps(), db: { ...deps().db, client, db, c: collections(db) } }, fast);
      expect(report.status, report.errors.join('; ')).toBe('succeeded');
      expect(report.counts.drifted).toBe(0);
      // The dropped deliveries; events of types the endpoint does not receive are not replayed.
      expect(report.eventsReplayed).toBe(dropped.size);
      // Every event of a type the endpoint receives was looked up once, a page at a time; the
      // failed-delivery listing, which repeats the dropped ones, needed no lookup of its own.
      const pages = Math.ceil(events / 100);
      expect(lookups).toHaveLength(pages);
      expect(lookups.reduce((a, b) => a + b, 0)).toBe(handled);
      // Stripe: one subscription page, one test-clock page (read once per run), and the pages of the
      // two event listings.
      expect(report.stripeCalls).toBeLessThanOrEqual(1 + 1 + 2 * pages);
    } finally {
      await client.close();
    }
  });

  it('retries parked inbox rows', async () => {
    await subscribed(['pro']);
    const row = await deps().db.c.webhookEvents.findOne({ customerId: { $ne: null } });
    await deps().db.c.webhookEvents.updateOne({ _id: row!._id }, { $set: { status: 'parked', lastError: 'test' } });
    const report = await runReconcile(deps(), fast);
    expect(report.parkedRetried).toBe(1);
    // Back in the queue, and the worker processes it this time.
    expect((await deps().db.c.webhookEvents.findOne({ _id: row!._id }))?.status).not.toBe('parked');
    await world.server.worker.drain(30_000);
    expect((await deps().db.c.webhookEvents.findOne({ _id: row!._id }))?.status).toBe('processed');
  });

  it('two runners started together: one runs, one skips', async () => {
    await subscribed(['pro']);
    const [a, b] = await Promise.all([runReconcile(deps(), fast), runReconcile(deps(), fast)]);
    expect([a.status, b.status].sort()).toEqual(['skipped', 'succeeded']);
    const stored = await deps()
      .db.c.reconcileRuns.find({ _id: { $in: [a._id, b._id] } })
      .toArray();
    expect(stored.map((r) => r.status).sort()).toEqual(['skipped', 'succeeded']);
  });

  it('a crashed runner’s lease expires', async () => {
    const leaseMs = 300;
    // The lease's periods follow this clock, which the test moves: a period ends when the test
    // says so, however slowly the machine runs.
    let clock = 1_000 * leaseMs;
    const now = () => clock;
    const epoch = 1_000;
    const claims = deps().db.c.claims;
    // A runner that took the lease and died: its rows stay, nobody renews them.
    await claims.insertMany([
      { _id: `reconciler:${epoch}`, owner: 'dead', at: new Date() },
      { _id: `reconciler:${epoch + 1}`, owner: 'dead', at: new Date() },
    ]);
    expect(await acquireLease(deps().db.c, { leaseMs, now })).toBeNull();
    clock += 2 * leaseMs;
    const lease = await acquireLease(deps().db.c, { leaseMs, now });
    expect(lease).not.toBeNull();
    // It renews while held: once its next period has begun, the one after is taken as well, so a
    // third runner then still finds the lease held.
    clock += leaseMs;
    await until(
      `period ${epoch + 4} renewed`,
      async () => (await claims.findOne({ _id: `reconciler:${epoch + 4}` }))?.owner === lease!.owner,
    );
    clock += leaseMs;
    expect(lease!.lost).toBe(false);
    expect(await acquireLease(deps().db.c, { leaseMs, now })).toBeNull();
    await lease!.release();
    expect(await acquireLease(deps().db.c, { leaseMs, now }).then((l) => l?.release().then(() => true))).toBe(true);
  });

  it('a 429 storm slows the run down without failing it', async () => {
    await subscribed(['pro']);
    const calm = await runReconcile(deps(), fast);
    await world.control.injectApiFault({ status: 429, count: 6 });
    const started = Date.now();
    const stormy = await runReconcile(deps(), fast);
    expect(stormy.status, stormy.errors.join('; ')).toBe('succeeded');
    expect(stormy.counts.checked).toBe(calm.counts.checked);
    expect(stormy.stripeCalls).toBe(calm.stripeCalls + 6);
    expect(Date.now() - started).toBeGreaterThan(20 * (1 + 2 + 4) * 0.75);
  });

  it('a Stripe outage ends the run failed, with its report stored', async () => {
    await subscribed(['pro']);
    await world.control.injectApiFault({ status: 500, count: 10_000 });
    try {
      const report = await runReconcile(deps(), { ...fast, maxAttempts: 2 });
      expect(report.status).toBe('failed');
      expect(report.errors.join(' ')).toMatch(/Stripe unavailable/);
      const stored = await deps().db.c.reconcileRuns.findOne({ _id: report._id });
      expect(stored?.status).toBe('failed');
      expect(stored?.endedAt).toBeInstanceOf(Date);
      // The lease was released: the next run is not skipped.
    } finally {
      await world.control.clearFaults();
    }
    expect((await runReconcile(deps(), fast)).status).toBe('succeeded');
  });

  async function cli(args: string[], env: Record<string, string | undefined>) {
    const root = path.resolve(import.meta.dirname, '..', '..');
    const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['reconciler/cli.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: 'test', MONGODB_DB: world.server.env.MONGODB_DB, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    return { code, stdout, stderr };
  }

  it('npm run reconcile -- --json prints the report as JSON', async () => {
    await subscribed(['pro']);
    const env = world.server.env;
    const { code, stdout, stderr } = await cli(['--json'], {
      MONGODB_URI: env.MONGODB_URI,
      SMTP_URL: env.SMTP_URL,
      STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY,
      STRIPE_API_BASE: env.STRIPE_API_BASE,
    });
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as ReconcileReport;
    expect(report.status).toBe('succeeded');
    expect(report.counts.drifted).toBe(0);
    expect(report.counts.checked).toBeGreaterThan(0);
  }, 90_000);

  it('with no variables set, the CLI uses the services npm start wrote down, and prints a summary table', async () => {
    const env = world.server.env;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dropin-reconcile-cli-'));
    try {
      writeFileSync(
        path.join(dataDir, 'local-services.json'),
        JSON.stringify({
          mongodbUri: env.MONGODB_URI,
          stripeApiBase: env.STRIPE_API_BASE,
          stripeSecretKey: env.STRIPE_SECRET_KEY,
          smtpUrl: env.SMTP_URL,
        }),
      );
      const { code, stdout, stderr } = await cli(['--dry-run'], { DROPIN_DATA_DIR: dataDir });
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/Reconcile succeeded \(dry run: nothing written\)/);
      expect(stdout).toMatch(/checked\s+\d+/);
      expect(stdout).toMatch(/in sync\s+\d+/);
      expect(stderr).toBe(''); // no progress bar without a TTY
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('the reconciler process runs on its cron schedule and stops cleanly on SIGTERM', async () => {
    const env = world.server.env;
    const root = path.resolve(import.meta.dirname, '..', '..');
    const before = await deps().db.c.reconcileRuns.countDocuments();
    const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['reconciler/index.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        MONGODB_URI: env.MONGODB_URI,
        MONGODB_DB: env.MONGODB_DB,
        SMTP_URL: env.SMTP_URL,
        STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY,
        STRIPE_API_BASE: env.STRIPE_API_BASE,
        RECONCILE_CRON: '*/2 * * * * *', // every two seconds (node-cron's seconds field)
      },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    try {
      // The first tick comes within two seconds of the process being up; starting tsx on a busy
      // machine can take much longer than that.
      await until(
        'a finished scheduled run',
        async () => (await deps().db.c.reconcileRuns.countDocuments({ status: { $ne: 'running' } })) > before,
        60_000,
      );
      const [latest] = await latestRuns(deps(), { limit: 1 });
      expect(latest?.status, stderr).toBe('succeeded');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
  }, 90_000);
});
