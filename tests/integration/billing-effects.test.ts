// One change has the same effects, once, whatever told us about it: a webhook, checkout, the
// subscriber's own action, an admin's action, a payment retry or the reconciler. Each source is
// driven with every other source silenced (webhooks dropped unless the webhook is the source), then
// everything Stripe sent is delivered and replayed, and the effects must not change.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import { runReconcile } from '../../src/billing/reconcile/run';
import {
  settle,
  startBillingWorld,
  subscribeThroughCheckout,
  trpc,
  verifiedUser,
  waitFor,
  type BillingWorld,
} from '../setup/billing';

let world: BillingWorld;
let admin: { cookie: string };

beforeAll(async () => {
  world = await startBillingWorld();
  admin = await verifiedUser(world, 'Ada Admin', { role: 'admin' });
});
afterAll(() => world?.close());

const deps = () => world.server.deps;
const action = () => randomUUID().replaceAll('-', '');
type User = Awaited<ReturnType<typeof verifiedUser>>;

async function ok<T>(cookie: string, proc: string, input?: unknown): Promise<T> {
  const res = await trpc<T>(world, cookie, 'mutation', proc, input);
  expect(res.status, `${proc}: ${res.error?.message}`).toBe(200);
  return res.data;
}

async function subscription(user: User) {
  const row = await deps().db.c.subscriptions.findOne({ userId: user.id });
  expect(row).not.toBeNull();
  return row!;
}

/** Runs `change` with no webhook reaching the app unless `webhooks` is set. */
async function withWebhooks(webhooks: boolean, change: () => Promise<void>) {
  if (!webhooks) await world.control.injectWebhookFault({ action: 'drop', count: 100_000 });
  try {
    await change();
  } finally {
    await world.control.clearFaults();
  }
  if (webhooks) await settle(world);
}

/**
 * What followed the changes for this user: each email key (ids replaced by their kind, so two
 * subscribers compare) with how many rows it has, and whether the admin's failed-payments list
 * shows them.
 */
async function effects(user: User) {
  const rows = await deps().db.c.emailOutbox.find({ to: user.email }).toArray();
  const keys = rows.map((r) => r._id.replace(/(sub|in|price)_[A-Za-z0-9]+/g, '$1_*').replace(/:\d+/g, ':#'));
  const failing = await trpc<{ rows: { userId: string | null }[] }>(world, admin.cookie, 'query', 'admin.failedPayments', {});
  return { emails: keys.sort(), failing: failing.data.rows.some((r) => r.userId === user.id) };
}

/** Every event Stripe sent is delivered or replayed, and the reconciler finds nothing left. */
async function everythingDelivered() {
  await settle(world);
  await runReconcile(deps(), { backoffBaseMs: 20, rps: 100 });
  await settle(world);
}

/**
 * Asserts what followed: `emails` (normalized keys, each exactly once) and the failed-payments list;
 * and that the admin's subscriber list and figures follow the mirror: the row the list shows for
 * each of the user's subscriptions has its status, and the figures count it with that status (the
 * figures job folds within a second).
 */
async function expectEffects(user: User, expected: { emails: string[]; failing: boolean }) {
  const got = await effects(user);
  expect(got).toEqual({ emails: [...expected.emails].sort(), failing: expected.failing });
  const mirror = await deps().db.c.subscriptions.find({ userId: user.id }).toArray();
  const listed = await trpc<{ rows: { subscriptionId: string; status: string }[] }>(
    world,
    admin.cookie,
    'query',
    'admin.subscribers',
    { search: user.email },
  );
  const statuses = (rows: { subscriptionId?: string; _id?: string; status: string }[]) =>
    rows.map((r) => `${r.subscriptionId ?? r._id}:${r.status}`).sort();
  expect(statuses(listed.data.rows)).toEqual(statuses(mirror));
  const subjects = deps().db.db.collection<{ _id: string; contribution: { status: string } | null }>('admin_figure_subjects');
  const counted = async () =>
    (await Promise.all(mirror.map((s) => subjects.findOne({ _id: `sub:${s._id}` }))))
      .map((d, i) => `${mirror[i]!._id}:${d?.contribution?.status ?? 'none'}`)
      .sort();
  await waitFor('the figures to count the change', async () => (await counted()).join() === statuses(mirror).join(), 10_000);
}

describe('a change has the same effects, once, whatever its source', () => {
  it.each(['checkout', 'webhook'] as const)('starting a subscription (%s): one welcome', async (source) => {
    const user = await verifiedUser(world);
    // From checkout: no webhook arrives until it is done. From webhooks: they land first, and
    // completing Checkout finds nothing new.
    await withWebhooks(source === 'webhook', () => subscribeThroughCheckout(world, user));
    const expected = { emails: ['welcome:sub_*'], failing: false };
    await expectEffects(user, expected);
    await everythingDelivered();
    await expectEffects(user, expected);
  });

  it.each(['webhook', 'admin.action', 'reconciler'] as const)('the subscription ends (%s): one "ended"', async (source) => {
    const user = await verifiedUser(world);
    await subscribeThroughCheckout(world, user);
    await settle(world);
    const sub = await subscription(user);
    await withWebhooks(source === 'webhook', async () => {
      if (source === 'admin.action')
        await ok(admin.cookie, 'admin.cancelSubscription', { subscriptionId: sub._id, refund: false, actionId: action() });
      else await world.stripe.subscriptions.cancel(sub._id);
    });
    if (source === 'reconciler') await runReconcile(deps(), { backoffBaseMs: 20, rps: 100 });
    expect((await subscription(user)).status).toBe('canceled');
    const expected = { emails: ['welcome:sub_*', 'ended:sub_*'], failing: false };
    await expectEffects(user, expected);
    await everythingDelivered();
    await expectEffects(user, expected);
  });

  it.each(['user.action', 'webhook', 'reconciler'] as const)(
    'a plan change (%s): one "plan changed", and the overage item follows',
    async (source) => {
      const user = await verifiedUser(world);
      await subscribeThroughCheckout(world, user);
      await settle(world);
      const sub = await subscription(user);
      await withWebhooks(source === 'webhook', async () => {
        if (source === 'user.action') {
          const preview = await trpc<{ prorationDate: number }>(world, user.cookie, 'query', 'billing.previewChange', {
            planId: 'business',
            interval: 'month',
          });
          await ok(user.cookie, 'billing.changePlan', {
            planId: 'business',
            interval: 'month',
            prorationDate: preview.data.prorationDate,
            actionId: action(),
          });
        } else {
          // Changed on Stripe's side (the billing portal, Stripe's dashboard): only the plan item.
          const business = (await world.stripe.prices.list({ lookup_keys: ['dropin_business_monthly'] })).data[0]!;
          await world.stripe.subscriptions.update(sub._id, {
            items: [{ id: sub.itemId, price: business.id }],
            proration_behavior: 'always_invoice',
          });
        }
      });
      if (source === 'reconciler') await runReconcile(deps(), { backoffBaseMs: 20, rps: 100 });
      expect((await subscription(user)).planId).toBe('business');
      const expected = { emails: ['welcome:sub_*', 'plan-changed:sub_*:price_*:price_*:in_*'], failing: false };
      await expectEffects(user, expected);
      await everythingDelivered();
      await expectEffects(user, expected);
      const items = (await world.stripe.subscriptions.retrieve(sub._id)).items.data.map((i) => i.price.lookup_key).sort();
      expect(items).toEqual(['dropin_business_api_overage_monthly', 'dropin_business_monthly']);
    },
  );

  it.each(['payment.retry', 'webhook', 'reconciler'] as const)(
    'a failed renewal is paid (%s): one receipt, off the failed-payments list',
    async (source) => {
      const user = await verifiedUser(world);
      await subscribeThroughCheckout(world, user);
      await settle(world);
      const { customerId, defaultPaymentMethod } = await subscription(user);
      // Past the trial (its first charge paid), then a renewal whose charge fails once.
      await world.control.advanceCustomer(customerId, { seconds: 15 * DAY });
      await settle(world);
      await world.control.setCardBehavior(defaultPaymentMethod!.id, 'decline_insufficient_funds');
      await world.control.advanceCustomer(customerId, { seconds: 31 * DAY });
      await settle(world);
      const failing = await subscription(user);
      expect(failing.status).toBe('past_due');
      await expectEffects(user, {
        emails: ['welcome:sub_*', 'receipt:in_*', 'payment-failed:in_*:#'],
        failing: true,
      });
      await world.control.setCardBehavior(defaultPaymentMethod!.id, 'succeed');

      await withWebhooks(source === 'webhook', async () => {
        if (source === 'payment.retry')
          await ok(admin.cookie, 'admin.retryPayment', { invoiceId: failing.latestInvoice!.id, actionId: action() });
        // Stripe's own retry, a few days later.
        else await world.control.advanceCustomer(customerId, { seconds: 4 * DAY });
      });
      if (source === 'reconciler') await runReconcile(deps(), { backoffBaseMs: 20, rps: 100 });
      expect((await subscription(user)).status).toBe('active');
      expect(await deps().db.c.emailOutbox.countDocuments({ _id: `receipt:${failing.latestInvoice!.id}` })).toBe(1);
      const expected = {
        emails: ['welcome:sub_*', 'receipt:in_*', 'payment-failed:in_*:#', 'receipt:in_*'],
        failing: false,
      };
      await expectEffects(user, expected);
      await everythingDelivered();
      await expectEffects(user, expected);
    },
  );
});
