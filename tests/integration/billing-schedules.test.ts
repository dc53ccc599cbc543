// Downgrades and interval switches wait for the end of the paid period (a Stripe subscription
// schedule); upgrades stay immediate. Against the Stripe emulator with real webhooks, FerretDB and
// Mailpit: nothing is invoiced when the change is scheduled, the mirror shows it, and the renewal
// after the period end bills the new plan with its overage price.
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import type { BillingSummary } from '../../src/billing/dashboard';
import { compareRow, expectedRow } from '../../src/billing/reconcile/compare';
import {
  changePlan,
  settle,
  startBillingWorld,
  subscribeThroughCheckout,
  trpc,
  verifiedUser,
  type BillingWorld,
} from '../setup/billing';
import { waitForEmail } from '../setup/mailpit';

let world: BillingWorld;
beforeAll(async () => {
  world = await startBillingWorld();
});
afterAll(() => world?.close());

const action = () => randomUUID().replaceAll('-', '');
type User = Awaited<ReturnType<typeof verifiedUser>>;

async function summary(user: User) {
  const res = await trpc<BillingSummary>(world, user.cookie, 'query', 'billing.summary');
  expect(res.status, res.error?.message).toBe(200);
  return res.data;
}

/** A user on `planId` monthly whose trial is over: the first paid period has started. */
async function payingUser(planId: 'pro' | 'business') {
  const user = await verifiedUser(world);
  await subscribeThroughCheckout(world, user, planId);
  const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
  await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
  await settle(world);
  const s = await summary(user);
  expect(s.subscription?.status).toBe('active');
  return { user, customer, sub: s.subscription! };
}

const change = (user: User, planId: 'pro' | 'business', interval: 'month' | 'year') =>
  changePlan(world, user, { planId, interval });

const invoicesOf = async (customer: string) => (await world.stripe.invoices.list({ customer, limit: 100 })).data;
const live = (id: string) => world.stripe.subscriptions.retrieve(id, { expand: ['schedule'] });
const lookupKeys = (sub: Stripe.Subscription) => sub.items.data.map((i) => i.price.lookup_key);

describe('a downgrade', () => {
  it('Business → Pro is scheduled for the period end, then the renewal bills Pro and its overage price', async () => {
    const { user, customer, sub } = await payingUser('business');
    const invoicesBefore = (await invoicesOf(customer)).length;

    const { preview: p, summary: s } = await change(user, 'pro', 'month');
    expect(p).toMatchObject({ direction: 'downgrade', billedNow: false, amountDue: 0, total: 1200 });
    expect(p.effectiveAt).toBe(Date.parse(sub.currentPeriodEnd!) / 1000);
    // Nothing changes now: still Business, nothing invoiced, the change shown with its date.
    expect(s.plan.id).toBe('business');
    expect(s.subscription?.scheduledChange).toEqual({
      planId: 'pro',
      planName: 'Pro',
      interval: 'month',
      unitAmount: 1200,
      at: sub.currentPeriodEnd,
      promotionCode: null,
    });
    expect((await invoicesOf(customer)).length).toBe(invoicesBefore);
    const row = await world.server.deps.db.c.subscriptions.findOne({ _id: sub.id });
    expect(row?.scheduledChange).toMatchObject({ planId: 'pro', at: new Date(sub.currentPeriodEnd!) });
    await settle(world);
    expect((await summary(user)).subscription?.scheduledChange?.planId).toBe('pro');

    await world.control.advanceCustomer(customer, { to: Date.parse(sub.currentPeriodEnd!) / 1000 + 2 * 3600 });
    await settle(world);
    const after = await summary(user);
    expect(after.plan.id).toBe('pro');
    expect(after.subscription).toMatchObject({ interval: 'month', unitAmount: 1200, scheduledChange: null });
    const renewal = (await invoicesOf(customer))[0]!;
    expect(renewal.billing_reason).toBe('subscription_cycle');
    expect(renewal.lines.data.some((l) => l.parent?.subscription_item_details?.proration)).toBe(false);
    expect(renewal.lines.data.map((l) => l.amount)).toContain(1200);
    expect(renewal.total).toBe(1200);
    expect(lookupKeys(await live(sub.id))).toEqual(['dropin_pro_monthly', 'dropin_pro_api_overage_monthly']);
    await waitForEmail(user.email, /plan is now Pro/);
  });

  it('undo before the period end keeps Business', async () => {
    const { user, customer, sub } = await payingUser('business');
    await change(user, 'pro', 'month');
    const undone = await trpc<BillingSummary>(world, user.cookie, 'mutation', 'billing.undoScheduledChange', {
      actionId: action(),
    });
    expect(undone.status, undone.error?.message).toBe(200);
    expect(undone.data.subscription?.scheduledChange).toBeNull();
    expect((await live(sub.id)).schedule).toBeNull();
    // Nothing left to undo: said plainly.
    const again = await trpc(world, user.cookie, 'mutation', 'billing.undoScheduledChange', { actionId: action() });
    expect(again.status).toBe(409);

    await world.control.advanceCustomer(customer, { to: Date.parse(sub.currentPeriodEnd!) / 1000 + 2 * 3600 });
    await settle(world);
    const after = await summary(user);
    expect(after.plan.id).toBe('business');
    expect((await invoicesOf(customer))[0]!.total).toBe(4900);
  });
});

describe('an interval switch', () => {
  it('monthly → yearly is scheduled the same way and starts a yearly period at the switch', async () => {
    const { user, customer, sub } = await payingUser('business');
    const { preview: p, summary: s } = await change(user, 'business', 'year');
    expect(p).toMatchObject({ direction: 'interval', billedNow: false, amountDue: 0, total: 49_000 });
    expect(s.subscription?.scheduledChange).toMatchObject({ planId: 'business', interval: 'year', at: sub.currentPeriodEnd });
    expect(s.subscription?.interval).toBe('month');

    const boundary = Date.parse(sub.currentPeriodEnd!) / 1000;
    await world.control.advanceCustomer(customer, { to: boundary + 2 * 3600 });
    await settle(world);
    const after = (await summary(user)).subscription!;
    expect(after).toMatchObject({ planId: 'business', interval: 'year', unitAmount: 49_000, scheduledChange: null });
    expect(Date.parse(after.currentPeriodEnd!) / 1000 - boundary).toBeGreaterThanOrEqual(365 * DAY);
    expect((await invoicesOf(customer))[0]!.total).toBe(49_000);
    expect(lookupKeys(await live(sub.id))).toEqual(['dropin_business_yearly', 'dropin_business_api_overage_yearly']);
  });
});

describe('what stays immediate, and what replaces a scheduled change', () => {
  it('an upgrade is charged now, prorated, and replaces a scheduled switch', async () => {
    const { user, sub } = await payingUser('pro');
    await change(user, 'pro', 'year');
    expect((await live(sub.id)).schedule).not.toBeNull();

    const { preview: p, summary: s } = await change(user, 'business', 'month');
    expect(p).toMatchObject({ direction: 'upgrade', billedNow: true, effectiveAt: null });
    expect(p.lines.some((l) => l.proration)).toBe(true);
    expect(s.plan.id).toBe('business');
    expect(s.subscription?.scheduledChange).toBeNull();
    const now = await live(sub.id);
    expect(now.schedule).toBeNull();
    expect(lookupKeys(now)).toEqual(['dropin_business_monthly', 'dropin_business_api_overage_monthly']);
  });

  it('cancelling at the period end drops the scheduled change (Stripe: the schedule is released first)', async () => {
    const { user, sub } = await payingUser('business');
    await change(user, 'pro', 'month');
    const res = await trpc<BillingSummary>(world, user.cookie, 'mutation', 'billing.cancel', {
      reason: null,
      comment: '',
      actionId: action(),
    });
    expect(res.status, res.error?.message).toBe(200);
    expect(res.data.subscription).toMatchObject({ cancelAtPeriodEnd: true, scheduledChange: null });
    expect((await live(sub.id)).schedule).toBeNull();
    // A plan set to end has no renewal to change at.
    const refused = await trpc(world, user.cookie, 'query', 'billing.previewChange', { planId: 'pro', interval: 'month' });
    expect(refused.status).toBe(409);
    expect(refused.error?.message).toMatch(/Resume it first/);
  });
});

describe('the reconciler', () => {
  it('compares the scheduled change, and a row mirrored before the field existed is not drift', async () => {
    const { user, sub } = await payingUser('business');
    const expand = ['customer.invoice_settings.default_payment_method', 'default_payment_method', 'schedule.phases.items.price'];
    const rowsColl = world.server.deps.db.c.subscriptions;
    // No schedule: an old row without the field matches Stripe.
    await rowsColl.updateOne({ _id: sub.id }, { $unset: { scheduledChange: '' } });
    let stripeSub = await world.stripe.subscriptions.retrieve(sub.id, { expand });
    expect(compareRow(expectedRow(stripeSub).expected, await rowsColl.findOne({ _id: sub.id }))).toBeNull();

    // A scheduled change the mirror missed (a lost webhook) is drift on that field alone.
    await change(user, 'pro', 'month');
    stripeSub = await world.stripe.subscriptions.retrieve(sub.id, { expand });
    expect(compareRow(expectedRow(stripeSub).expected, await rowsColl.findOne({ _id: sub.id }))).toBeNull();
    // Drift by hand once the change's webhooks are in, or their sync would put the field back.
    await settle(world);
    await rowsColl.updateOne({ _id: sub.id }, { $set: { scheduledChange: null } });
    const drift = compareRow(expectedRow(stripeSub).expected, await rowsColl.findOne({ _id: sub.id }));
    expect(drift?.kind).toBe('fields_differ');
    expect(drift?.fields.map((f) => f.field)).toEqual(['scheduledChange']);
  });
});
