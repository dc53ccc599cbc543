// Metered API overage end to end against the Stripe emulator: checkout adds the metered price, calls
// past Pro's included 10,000 are reported through the outbox as Billing Meter events exactly once
// even when the emulator fails calls (before or after doing them), and the renewal invoice's
// metered line equals our own count.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import {
  changePlan,
  settle,
  startBillingWorld,
  subscribeThroughCheckout,
  trpc,
  verifiedUser,
  waitFor,
  type BillingWorld,
} from '../setup/billing';
import { createUser } from '../../src/auth/users';
import type { SubscriberDetail } from '../../src/admin/subscribers';
import type { WebhookEventDoc } from '../../src/db/collections';
import { syncCustomer } from '../../src/billing/sync';
import { flushMeter, fillAllOverage, fillOverage } from '../../src/usage/meter';
import { planState } from '../../src/usage/entitlements';
import { API_METER, plans } from '../../src/billing/plans';
import type { UsageSummary } from '../../src/usage/summary';
import { sumUnits } from '../../src/usage/units';

let world: BillingWorld;
beforeAll(async () => {
  world = await startBillingWorld();
});
afterAll(() => world?.close());

const deps = () => world.server.deps;

async function subscribePro(user: { id: string; cookie: string }) {
  await subscribeThroughCheckout(world, user);
  const customer = (await deps().db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
  const sub = (await deps().db.c.subscriptions.findOne({ userId: user.id }))!;
  // Stripe bills no usage on the invoice that ends a trial: start the paid period now.
  await world.stripe.subscriptions.update(sub._id, { trial_end: 'now' });
  await syncCustomer(deps(), customer, { source: 'user.action' });
  return { customer, subId: sub._id };
}

/** Makes `n` API calls' worth of rows as the counter would (the first 10,000 are not the point). */
async function priorCalls(userId: string, n: number) {
  const state = await planState(deps(), userId);
  const rows = Array.from({ length: n }, (_, i) => ({
    _id: `api:fixture:${userId}:${i}`,
    userId,
    metric: 'api_call' as const,
    periodStart: state.period.start,
    periodEnd: state.period.end,
    planId: state.plan,
    at: new Date(),
    ref: null,
    units: 1,
  }));
  for (let i = 0; i < rows.length; i += 2_000) await deps().db.c.usageEvents.insertMany(rows.slice(i, i + 2_000));
  return state;
}

/** Flushes until no row is pending; retried rows back off 2, 4, 8… s, so allow well over a minute. */
async function flushUntilSent(userId: string, timeoutMs = 120_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    await flushMeter(deps());
    const pending = await deps().db.c.meterOutbox.countDocuments({ userId, status: 'pending' });
    if (!pending || Date.now() > until) return pending;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('metered overage', () => {
  it('checkout puts the metered overage price on the subscription beside the plan', async () => {
    const user = await verifiedUser(world);
    const { subId } = await subscribePro(user);
    const sub = await world.stripe.subscriptions.retrieve(subId);
    const prices = sub.items.data.map((i) => ({ key: i.price.lookup_key, usage: i.price.recurring?.usage_type }));
    expect(prices).toEqual(
      expect.arrayContaining([
        { key: 'dropin_pro_monthly', usage: 'licensed' },
        { key: 'dropin_pro_api_overage_monthly', usage: 'metered' },
      ]),
    );
    // The mirror still reads the plan from the licensed item.
    expect((await deps().db.c.subscriptions.findOne({ _id: subId }))?.planId).toBe('pro');
  });

  it("a plan change moves the metered item too (one interval per subscription; the new plan's rate)", async () => {
    const user = await verifiedUser(world);
    const { subId } = await subscribePro(user);
    await changePlan(world, user, { planId: 'business', interval: 'year' });
    const sub = await world.stripe.subscriptions.retrieve(subId);
    expect(sub.items.data.map((i) => i.price.lookup_key).sort()).toEqual([
      'dropin_business_api_overage_yearly',
      'dropin_business_yearly',
    ]);
  });

  it.each([
    ['without its metered item', 'missing'],
    ['with a second metered item', 'extra'],
  ] as const)('a plan change on a subscription %s ends with exactly one, at the new rate', async (_label, kind) => {
    const user = await verifiedUser(world);
    const { subId } = await subscribePro(user);
    const metered = (await world.stripe.subscriptions.retrieve(subId)).items.data.find(
      (i) => i.price.recurring?.usage_type === 'metered',
    )!;
    // Made on Stripe's side (the dashboard): the app never leaves a subscription like this itself.
    if (kind === 'missing') await world.stripe.subscriptionItems.del(metered.id);
    else {
      const otherOverage = (await world.stripe.prices.list({ lookup_keys: ['dropin_business_api_overage_monthly'] })).data[0]!;
      await world.stripe.subscriptionItems.create({ subscription: subId, price: otherOverage.id });
    }
    await syncCustomer(deps(), (await deps().db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!, { source: 'user.action' });
    // The change itself is a pending update, which Stripe lets change existing items only.
    await changePlan(world, user, { planId: 'business', interval: 'year' });
    const sub = await world.stripe.subscriptions.retrieve(subId);
    expect(sub.items.data.map((i) => i.price.lookup_key).sort()).toEqual([
      'dropin_business_api_overage_yearly',
      'dropin_business_yearly',
    ]);
  });

  it('a plan switched in the billing portal moves the metered item to the new rate too', { timeout: 120_000 }, async () => {
    const user = await verifiedUser(world);
    const { subId } = await subscribePro(user);
    const before = await world.stripe.subscriptions.retrieve(subId);
    const planItem = before.items.data.find((i) => i.price.recurring?.usage_type !== 'metered')!;
    const business = (await world.stripe.prices.list({ lookup_keys: ['dropin_business_monthly'] })).data[0]!;
    // What the portal does: swap the plan item's price and nothing else.
    await world.stripe.subscriptions.update(subId, { items: [{ id: planItem.id, price: business.id }] });
    // The app moves the metered item when the webhook reaches it: wait for that, however long.
    const until = Date.now() + 60_000;
    let keys: (string | null)[] = [];
    while (Date.now() < until) {
      const sub = await world.stripe.subscriptions.retrieve(subId);
      keys = sub.items.data.map((i) => i.price.lookup_key).sort();
      if (keys.includes('dropin_business_api_overage_monthly')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(keys).toEqual(['dropin_business_api_overage_monthly', 'dropin_business_monthly']);
    expect((await deps().db.c.subscriptions.findOne({ _id: subId }))?.planId).toBe('business');
  });

  it('overage reaches Stripe exactly once through failures, and the renewal invoice bills our count', {
    timeout: 240_000,
  }, async () => {
    const user = await verifiedUser(world);
    const { customer, subId } = await subscribePro(user);
    const included = plans.pro.limits.apiCallsIncluded;
    const state = await priorCalls(user.id, included - 5);

    const created = await trpc<{ key: string }>(world, user.cookie, 'mutation', 'apiKeys.create', { name: 'overage' });
    const key = created.data.key;
    const base = world.server.env.PUBLIC_URL;
    // 30 calls in parallel: 5 within the quota, 25 billed as overage, none refused.
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        fetch(`${base}/api/v1/content?q=pricing`, { headers: { authorization: `Bearer ${key}` } }),
      ),
    );
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const total = await sumUnits(deps(), { userId: user.id, metric: 'api_call' });
    expect(total).toBe(included + 25);

    // Stripe fails: 500s answered before anything runs (the SDK retries, then our backoff), and
    // lost responses after the event was recorded (the retry replays, never a second event).
    await world.control.injectApiFault({ status: 500, count: 7, pathPrefix: '/v1/billing/meter_events' });
    await world.control.injectApiFault({ status: 500, count: 3, pathPrefix: '/v1/billing/meter_events', afterExecution: true });
    // The periodic sweep finds the period on its own; then two fillers at once (two processes)
    // add nothing: each unit exists once.
    await fillAllOverage(deps());
    expect(await deps().db.c.meterOutbox.countDocuments({ userId: user.id })).toBe(25);
    await Promise.all([
      fillOverage(deps(), { userId: user.id, periodStart: state.period.start }),
      fillOverage(deps(), { userId: user.id, periodStart: state.period.start }),
    ]);
    expect(await deps().db.c.meterOutbox.countDocuments({ userId: user.id })).toBe(25);
    expect(await flushUntilSent(user.id)).toBe(0);
    await world.control.clearFaults();

    // A row whose "sent" mark was lost is resent: Stripe refuses the duplicate identifier.
    const one = (await deps().db.c.meterOutbox.findOne({ userId: user.id }))!;
    await deps().db.c.meterOutbox.updateOne({ _id: one._id }, { $set: { status: 'pending', nextAttemptAt: new Date(0) } });
    await flushMeter(deps());
    expect((await deps().db.c.meterOutbox.findOne({ _id: one._id }))?.status).toBe('sent');

    const meter = (await world.stripe.billing.meters.list({ status: 'active' })).data.find(
      (m) => m.event_name === API_METER.eventName,
    )!;
    const now = Math.floor(Date.now() / 1000);
    const summaries = await world.stripe.billing.meters.listEventSummaries(meter.id, {
      customer,
      start_time: Math.floor(state.period.start.getTime() / 60_000) * 60,
      end_time: (Math.floor(now / 60) + 60) * 60,
    });
    expect(summaries.data.reduce((s, x) => s + x.aggregated_value, 0)).toBe(25);

    const summary = await trpc<UsageSummary>(world, user.cookie, 'query', 'usage.summary');
    expect(summary.data.metrics.find((m) => m.metric === 'api_call')).toMatchObject({
      used: included + 25,
      overage: 25,
      overageAmount: 50,
    });
    expect(summary.data.overageReported).toBe(25);

    // Renewal: the invoice's metered line is our count at Pro's overage price.
    await world.control.advanceCustomer(customer, { seconds: 31 * DAY });
    const invoices = await world.stripe.invoices.list({ customer, subscription: subId, limit: 10 });
    const renewal = invoices.data.find((i) => i.billing_reason === 'subscription_cycle')!;
    expect(renewal).toBeDefined();
    const lines = await world.stripe.invoices.listLineItems(renewal.id as string, { limit: 100 });
    const metered = lines.data.filter((l) => l.pricing?.price_details?.price && l.amount !== 1200 && l.quantity === 25);
    expect(metered).toHaveLength(1);
    expect(metered[0]?.amount).toBe(25 * plans.pro.overage!.unitAmount);
  });
});

describe('meter error reports (v1.billing.meter.error_report_triggered)', () => {
  /** `n` calls past Pro's quota this period, as one row of units (the count is all that matters here). */
  async function callsPastQuota(userId: string, n: number) {
    // The paid period subscribePro started, once its webhooks are in: not a cached trial period.
    await settle(world);
    deps().caches.plans.delete(userId);
    const state = await planState(deps(), userId);
    await deps().db.c.usageEvents.insertOne({
      _id: `api:fixture:${userId}:bulk`,
      userId,
      metric: 'api_call',
      periodStart: state.period.start,
      periodEnd: state.period.end,
      planId: state.plan,
      at: new Date(),
      ref: null,
      units: plans.pro.limits.apiCallsIncluded + n,
    });
    return state;
  }

  it('units Stripe could not apply are recorded, shown to admins, and sent again to the account’s customer', {
    timeout: 120_000,
  }, async () => {
    const user = await verifiedUser(world);
    const { customer } = await subscribePro(user);
    const email = `admin-${randomUUID().slice(0, 8)}@example.test`;
    const adminUser = await createUser(deps(), {
      email,
      password: 'admin test password',
      name: 'Ada',
      emailVerified: true,
      role: 'admin',
    });
    const admin = (await deps().sessions.create(adminUser._id, { ip: '127.0.0.1', userAgent: 'test' })).cookie.split(';')[0]!;
    // Three units past the quota, queued while the account pointed at a customer Stripe does not
    // have (a customer deleted and replaced, say); then the account has its real one again.
    const state = await callsPastQuota(user.id, 3);
    await deps().db.c.users.updateOne({ _id: user.id }, { $set: { stripeCustomerId: 'cus_replaced' } });
    await fillOverage(deps(), { userId: user.id, periodStart: state.period.start });
    await deps().db.c.users.updateOne({ _id: user.id }, { $set: { stripeCustomerId: customer } });
    // Stripe accepts the three (sent here or by the server's own sender), then reports them
    // through the event destination.
    await flushMeter(deps());
    await waitFor('the error report recorded and the units sent again', async () => {
      await flushMeter(deps());
      const rows = await deps().db.c.meterOutbox.find({ userId: user.id }).toArray();
      const errors = await deps().db.c.meterErrors.find({ userId: user.id }).toArray();
      return (
        rows.length === 3 &&
        rows.every((r) => r.status === 'sent' && r.customerId === customer && r.sendAs) &&
        errors.reduce((n, e) => n + e.requeuedUnits, 0) === 3
      );
    });
    // Each unit is billed once, to the account's customer.
    const meter = (await world.stripe.billing.meters.list()).data.find((m) => m.event_name === API_METER.eventName)!;
    const summaries = await world.stripe.billing.meters.listEventSummaries(meter.id, {
      customer,
      start_time: Math.floor(state.period.start.getTime() / 60_000) * 60,
      end_time: (Math.floor(Date.now() / 60_000) + 60) * 60,
    });
    expect(summaries.data.reduce((s, x) => s + x.aggregated_value, 0)).toBe(3);

    const detail = await trpc<SubscriberDetail>(world, admin, 'query', 'admin.subscriber', { userId: user.id });
    expect(detail.status, detail.error?.message).toBe(200);
    expect(detail.data.meterErrors.length).toBeGreaterThanOrEqual(1);
    expect(detail.data.meterErrors[0]).toMatchObject({
      code: 'meter_event_customer_not_found',
      message: expect.stringContaining('cus_replaced'),
      rejectedUnits: expect.any(Number),
    });
    expect(detail.data.meterErrors.reduce((n, e) => n + e.requeuedUnits, 0)).toBe(3);
    expect(detail.data.usage?.overageReported).toBe(3);
  });

  it('a customer-wide error moves only the units of its window; a unit too old for Stripe is parked, not retried', {
    timeout: 120_000,
  }, async () => {
    const user = await verifiedUser(world);
    const { customer } = await subscribePro(user);
    const state = await callsPastQuota(user.id, 2);
    // A unit of an earlier period, sent (and billed) long ago to the customer the report will name.
    const longAgo = new Date(Date.now() - 50 * DAY * 1000);
    const old = {
      _id: `meter:${user.id}:${longAgo.getTime()}:1`,
      userId: user.id,
      customerId: 'cus_gone',
      periodStart: longAgo,
      ordinal: 1,
      timestamp: Math.floor(longAgo.getTime() / 1000),
      status: 'sent' as const,
      attempts: 1,
      nextAttemptAt: longAgo,
      lastError: null,
      createdAt: longAgo,
      sentAt: longAgo,
    };
    // And one still queued for it whose time is already past what Stripe accepts.
    const stale = { ...old, _id: `meter:${user.id}:${longAgo.getTime()}:2`, ordinal: 2, status: 'pending' as const };
    await deps().db.c.meterOutbox.insertMany([old, stale]);
    await deps().db.c.users.updateOne({ _id: user.id }, { $set: { stripeCustomerId: 'cus_gone' } });
    await fillOverage(deps(), { userId: user.id, periodStart: state.period.start });
    await deps().db.c.users.updateOne({ _id: user.id }, { $set: { stripeCustomerId: customer } });
    await waitFor('the two current units sent again to the real customer', async () => {
      await flushMeter(deps());
      const rows = await deps().db.c.meterOutbox.find({ userId: user.id, periodStart: state.period.start }).toArray();
      return rows.length === 2 && rows.every((r) => r.status === 'sent' && r.customerId === customer && r.sendAs);
    });
    // The long-billed unit is left as it was; the stale one is parked with its reason, never sent.
    expect(await deps().db.c.meterOutbox.findOne({ _id: old._id })).toMatchObject({ status: 'sent', customerId: 'cus_gone' });
    const parked = await deps().db.c.meterOutbox.findOne({ _id: stale._id });
    expect(parked).toMatchObject({ status: 'parked', lastError: expect.stringMatching(/more than 35 days ago/) });
    expect(parked?.attempts).toBe(1);
  });

  it('a meter error notification is stored and answered at once; the worker reads it, retrying when Stripe fails', {
    timeout: 120_000,
  }, async () => {
    const user = await verifiedUser(world);
    await subscribePro(user);
    const real = (await deps().db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    const state = await callsPastQuota(user.id, 1);
    await deps().db.c.users.updateOne({ _id: user.id }, { $set: { stripeCustomerId: 'cus_missing' } });
    await fillOverage(deps(), { userId: user.id, periodStart: state.period.start });
    // Reading the event from Stripe fails (every retry the SDK makes): the delivery is still answered.
    await world.control.injectApiFault({ status: 500, count: 3, pathPrefix: '/v2/core/events' });
    await flushMeter(deps());
    expect((await world.control.waitForDeliveries(30_000)).pending).toBe(0);
    // The unit is marked rejected while the event is worked on; the event is marked done after.
    let stored: WebhookEventDoc | null = null;
    await waitFor('the report worked on by the worker, on a later attempt', async () => {
      const row = await deps().db.c.meterOutbox.findOne({ userId: user.id });
      stored = await deps().db.c.webhookEvents.findOne({
        type: 'v1.billing.meter.error_report_triggered',
        attempts: { $gt: 1 },
      });
      return row?.status === 'rejected' && stored?.status === 'processed';
    });
    expect(await deps().db.c.meterErrors.countDocuments({ eventId: stored!._id })).toBe(1);
    await deps().db.c.users.updateOne({ _id: user.id }, { $set: { stripeCustomerId: real } });
  });

  it('a unit whose customer is still unknown stays rejected: not counted as reported', { timeout: 120_000 }, async () => {
    const user = await verifiedUser(world);
    await subscribePro(user);
    const real = (await deps().db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    const state = await callsPastQuota(user.id, 2);
    await deps().db.c.users.updateOne({ _id: user.id }, { $set: { stripeCustomerId: 'cus_unknown' } });
    await fillOverage(deps(), { userId: user.id, periodStart: state.period.start });
    await flushMeter(deps());
    await waitFor('both units rejected', async () => {
      const rows = await deps().db.c.meterOutbox.find({ userId: user.id }).toArray();
      return rows.length === 2 && rows.every((r) => r.status === 'rejected');
    });
    const rows = await deps().db.c.meterOutbox.find({ userId: user.id }).toArray();
    expect(rows.map((r) => r.lastError)).toEqual([
      expect.stringContaining('meter_event_customer_not_found'),
      expect.stringContaining('meter_event_customer_not_found'),
    ]);
    await deps().db.c.users.updateOne({ _id: user.id }, { $set: { stripeCustomerId: real } });
  });
});
