// A promotion code on a plan change: previewed with the discount Stripe computes, applied with the
// change, and shown afterwards as the discount on the next charge. On a change scheduled for the
// renewal it rides on the schedule's next phase and starts with the new plan. A code Stripe does not
// know is refused on the field. Against the emulator.
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangePreview } from '../../src/billing/changes';
import type { BillingSummary, NextCharge } from '../../src/billing/dashboard';
import { DAY } from '../../src/dev/stripe-emulator/testing';
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
let code: string;
beforeAll(async () => {
  world = await startBillingWorld();
  const coupon = await world.stripe.coupons.create({ percent_off: 20, duration: 'forever', name: 'Spring sale' });
  code = `SPRING${randomUUID().slice(0, 6).toUpperCase()}`;
  await world.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code });
});
afterAll(() => world?.close());

type User = Awaited<ReturnType<typeof verifiedUser>>;
const action = () => randomUUID().replaceAll('-', '');

function preview(user: User, input: Record<string, unknown>) {
  return trpc<ChangePreview>(world, user.cookie, 'query', 'billing.previewChange', input);
}

describe('promotion codes on a plan change', () => {
  it('the preview shows the discount, the change applies it, and the next charge carries it', async () => {
    const user = await verifiedUser(world);
    await subscribeThroughCheckout(world, user, 'pro');
    // Typed in lower case: Stripe matches codes without regard to case.
    const p = await preview(user, { planId: 'business', interval: 'month', promotionCode: code.toLowerCase() });
    expect(p.status, p.error?.message).toBe(200);
    // In the trial nothing is billed now: the preview is the first invoice, $49 less 20%.
    expect(p.data).toMatchObject({ billedNow: false, discount: 980, amountDue: 3920, promotionCode: code });
    const changed = await trpc<BillingSummary>(world, user.cookie, 'mutation', 'billing.changePlan', {
      planId: 'business',
      interval: 'month',
      prorationDate: p.data.prorationDate,
      promotionCode: code,
      actionId: action(),
    });
    expect(changed.status, changed.error?.message).toBe(200);
    expect(changed.data.plan.id).toBe('business');
    const next = await trpc<{ charge: NextCharge | null }>(world, user.cookie, 'query', 'billing.nextCharge');
    expect(next.data.charge).toMatchObject({
      amountDue: 3920,
      discount: 980,
      discounts: [{ name: 'Spring sale (20% off)', code }],
    });
    // The first invoice after the trial is what the preview said.
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle(world);
    const [first] = (await world.stripe.invoices.list({ customer, limit: 1 })).data;
    expect(first?.amount_due).toBe(3920);
  });

  it('a code is added to a coupon the subscription already has, in the preview and in the change', async () => {
    const user = await verifiedUser(world);
    await subscribeThroughCheckout(world, user, 'pro');
    const row = (await world.server.deps.db.c.subscriptions.findOne({ userId: user.id }))!;
    const loyal = await world.stripe.coupons.create({ percent_off: 10, duration: 'forever', name: 'Loyalty' });
    const before = await world.stripe.subscriptions.update(row._id, { discounts: [{ coupon: loyal.id }] });
    const kept = before.discounts[0] as string;
    const { preview: p } = await changePlan(world, user, { planId: 'business', interval: 'month', promotionCode: code });
    // $49 less 10% (the coupon kept), then 20% (the code): both discounts are on the invoice.
    expect(p).toMatchObject({ discount: 490 + 882, amountDue: 3528, promotionCode: code, keptDiscounts: 1 });
    const after = await world.stripe.subscriptions.retrieve(row._id, { expand: ['discounts'] });
    const discounts = after.discounts.map((d) => d as Stripe.Discount);
    expect(discounts.map((d) => d.id)).toContain(kept);
    expect(discounts).toHaveLength(2);
    expect(discounts.some((d) => d.promotion_code !== null)).toBe(true);
    const next = await trpc<{ charge: NextCharge | null }>(world, user.cookie, 'query', 'billing.nextCharge');
    expect(next.data.charge).toMatchObject({ amountDue: 3528, discount: 1372 });
  });

  it('a retry of a change with another promotion code is refused on the field, and a new action takes it', async () => {
    const user = await verifiedUser(world);
    await subscribeThroughCheckout(world, user, 'pro');
    // A code Stripe finds but refuses for this customer: the first try reaches Stripe and fails.
    const stranger = await world.stripe.customers.create({ email: 'someone-else@example.test' });
    const coupon = await world.stripe.coupons.create({ percent_off: 50, duration: 'once' });
    const theirs = `THEIRS${randomUUID().slice(0, 6).toUpperCase()}`;
    await world.stripe.promotionCodes.create({
      promotion: { type: 'coupon', coupon: coupon.id },
      code: theirs,
      customer: stranger.id,
    });
    const p = await preview(user, { planId: 'business', interval: 'month' });
    const actionId = action();
    const change = (promotionCode: string, id = actionId) =>
      trpc<BillingSummary>(world, user.cookie, 'mutation', 'billing.changePlan', {
        planId: 'business',
        interval: 'month',
        prorationDate: p.data.prorationDate,
        promotionCode,
        actionId: id,
      });
    expect((await change(theirs)).status).toBe(400);
    const retried = await change(code);
    expect(retried.status).toBe(400);
    expect(retried.error?.data).toMatchObject({
      fieldErrors: { promotionCode: expect.stringMatching(/already sent with a different promotion code/) },
    });
    const fresh = await change(code, action());
    expect(fresh.status, fresh.error?.message).toBe(200);
    expect(fresh.data.plan.id).toBe('business');
  });

  it('an unknown code is an error on the field, and the preview without it still works', async () => {
    const user = await verifiedUser(world);
    await subscribeThroughCheckout(world, user, 'pro');
    const p = await preview(user, { planId: 'business', interval: 'month', promotionCode: 'NOPE' });
    expect(p.status).toBe(400);
    expect(p.error?.data).toMatchObject({
      fieldErrors: { promotionCode: `"NOPE" isn't a valid promotion code, or it has expired.` },
    });
    expect((await preview(user, { planId: 'business', interval: 'month' })).status).toBe(200);
  });
});

describe('a promotion code on a change scheduled for the renewal', () => {
  /** A user on Business monthly whose trial is over: a downgrade now waits for the period end. */
  async function payingBusiness() {
    const user = await verifiedUser(world);
    await subscribeThroughCheckout(world, user, 'business');
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle(world);
    const row = (await world.server.deps.db.c.subscriptions.findOne({ userId: user.id }))!;
    expect(row.status).toBe('active');
    return { user, customer, row };
  }
  const pastRenewal = (row: { currentPeriodEnd: Date | null }) => ({ to: row.currentPeriodEnd!.getTime() / 1000 + 2 * 3600 });

  it('Business → Pro with a 20% code: previewed discounted, shown with the change, and the first Pro invoice is discounted', async () => {
    const { user, customer, row } = await payingBusiness();
    const { preview: p, summary: s } = await changePlan(world, user, {
      planId: 'pro',
      interval: 'month',
      promotionCode: code.toLowerCase(),
    });
    // Nothing now; the next invoice is Pro's $12 less 20%.
    expect(p).toMatchObject({
      billedNow: false,
      amountDue: 0,
      effectiveAt: row.currentPeriodEnd!.getTime() / 1000,
      discount: 240,
      total: 960,
      promotionCode: code,
      keptDiscounts: 0,
    });
    expect(s.plan.id).toBe('business');
    expect(s.subscription?.scheduledChange).toMatchObject({ planId: 'pro', promotionCode: code });
    const next = await trpc<{ charge: NextCharge | null }>(world, user.cookie, 'query', 'billing.nextCharge');
    expect(next.data.charge).toMatchObject({
      kind: 'scheduled_change',
      amountDue: 960,
      discount: 240,
      discounts: [{ name: 'Spring sale (20% off)', code }],
    });
    // Nothing redeemed, nothing on the subscription until the switch.
    expect((await world.stripe.subscriptions.retrieve(row._id)).discounts).toEqual([]);
    const email = await waitForEmail(user.email, /plan changes to Pro on/);
    expect(email.text).toContain(`with promotion code ${code} from then on`);

    await world.control.advanceCustomer(customer, pastRenewal(row));
    await settle(world);
    const after = await world.stripe.subscriptions.retrieve(row._id, { expand: ['discounts.promotion_code'] });
    expect(after.items.data[0]!.price.lookup_key).toBe('dropin_pro_monthly');
    expect((after.discounts as Stripe.Discount[]).map((d) => (d.promotion_code as Stripe.PromotionCode).code)).toEqual([code]);
    const [first] = (await world.stripe.invoices.list({ customer, limit: 1 })).data;
    expect(first).toMatchObject({ billing_reason: 'subscription_cycle', subtotal: 1200, total: 960, amount_due: 960 });
    expect(first!.total_discount_amounts?.map((d) => d.amount)).toEqual([240]);
    const summary = await trpc<BillingSummary>(world, user.cookie, 'query', 'billing.summary');
    expect(summary.data.plan.id).toBe('pro');
    expect(summary.data.subscription?.scheduledChange).toBeNull();
  });

  it("the subscription's own coupon stays beside the code, before and after the switch", async () => {
    const { user, customer, row } = await payingBusiness();
    const loyal = await world.stripe.coupons.create({ percent_off: 10, duration: 'forever', name: 'Loyalty' });
    const kept = (await world.stripe.subscriptions.update(row._id, { discounts: [{ coupon: loyal.id }] })).discounts[0] as string;
    await settle(world);
    const { preview: p } = await changePlan(world, user, { planId: 'pro', interval: 'month', promotionCode: code });
    // $12 less 10% (kept), then 20% (the code).
    expect(p).toMatchObject({ discount: 120 + 216, total: 864, keptDiscounts: 1 });
    // Business is still billed with its coupon until the switch.
    expect((await world.stripe.subscriptions.retrieve(row._id)).discounts).toEqual([kept]);

    await world.control.advanceCustomer(customer, pastRenewal(row));
    await settle(world);
    const after = await world.stripe.subscriptions.retrieve(row._id);
    expect(after.discounts).toHaveLength(2);
    expect(after.discounts[0]).toBe(kept);
    expect((await world.stripe.invoices.list({ customer, limit: 1 })).data[0]).toMatchObject({ subtotal: 1200, total: 864 });
  });

  it('undo drops the code with the schedule: Business renews at full price, the code unused', async () => {
    const { user, customer, row } = await payingBusiness();
    const promo = (await world.stripe.promotionCodes.list({ code, limit: 1 })).data[0]!;
    const used = promo.times_redeemed;
    await changePlan(world, user, { planId: 'pro', interval: 'month', promotionCode: code });
    const undone = await trpc<BillingSummary>(world, user.cookie, 'mutation', 'billing.undoScheduledChange', {
      actionId: action(),
    });
    expect(undone.status, undone.error?.message).toBe(200);
    expect(undone.data.subscription?.scheduledChange).toBeNull();

    await world.control.advanceCustomer(customer, pastRenewal(row));
    await settle(world);
    expect((await world.stripe.subscriptions.retrieve(row._id)).discounts).toEqual([]);
    expect((await world.stripe.invoices.list({ customer, limit: 1 })).data[0]).toMatchObject({ total: 4900 });
    expect((await world.stripe.promotionCodes.retrieve(promo.id)).times_redeemed).toBe(used);
  });

  it('an unknown code is refused on the field, and nothing is scheduled', async () => {
    const { user, row } = await payingBusiness();
    const p = await preview(user, { planId: 'pro', interval: 'month', promotionCode: 'NOPE' });
    expect(p.status).toBe(400);
    expect(p.error?.data).toMatchObject({
      fieldErrors: { promotionCode: `"NOPE" isn't a valid promotion code, or it has expired.` },
    });
    const changed = await trpc(world, user.cookie, 'mutation', 'billing.changePlan', {
      planId: 'pro',
      interval: 'month',
      prorationDate: Math.floor(Date.now() / 1000),
      promotionCode: 'NOPE',
      actionId: action(),
    });
    expect(changed.status).toBe(400);
    expect((await world.stripe.subscriptions.retrieve(row._id)).schedule).toBeNull();
  });

  it('a code Stripe refuses for this customer is refused on the field, in the preview and when the schedule is saved', async () => {
    const { user, row } = await payingBusiness();
    const other = await world.stripe.customers.create({ email: 'someone-else@example.test' });
    const coupon = await world.stripe.coupons.create({ percent_off: 50, duration: 'once' });
    const theirs = `THEIRS${randomUUID().slice(0, 6).toUpperCase()}`;
    await world.stripe.promotionCodes.create({
      promotion: { type: 'coupon', coupon: coupon.id },
      code: theirs,
      customer: other.id,
    });
    const p = await preview(user, { planId: 'pro', interval: 'month', promotionCode: theirs });
    expect(p.status).toBe(400);
    expect(p.error?.data).toMatchObject({ fieldErrors: { promotionCode: expect.stringMatching(/can't be used here/) } });
    const changed = await trpc(world, user.cookie, 'mutation', 'billing.changePlan', {
      planId: 'pro',
      interval: 'month',
      prorationDate: Math.floor(Date.now() / 1000),
      promotionCode: theirs,
      actionId: action(),
    });
    expect(changed.status).toBe(400);
    expect(changed.error?.data).toMatchObject({ fieldErrors: { promotionCode: expect.stringMatching(/can't be used here/) } });
    // No change is shown as scheduled, and Business renews as it is.
    const summary = await trpc<BillingSummary>(world, user.cookie, 'query', 'billing.summary');
    expect(summary.data.subscription?.scheduledChange).toBeNull();
    const live = await world.stripe.subscriptions.retrieve(row._id);
    expect(live.items.data[0]!.price.lookup_key).toBe('dropin_business_monthly');
    expect(live.schedule, 'no schedule left standing on the subscription').toBeNull();
  });
});
