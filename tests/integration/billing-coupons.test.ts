// A promotion code on a plan change: previewed with the discount Stripe computes, applied with the
// change, and shown afterwards as the discount on the next charge. A code Stripe does not know, and
// a code on a change scheduled for the renewal, are refused on the field. Against the emulator.
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangePreview } from '../../src/billing/changes';
import type { BillingSummary, NextCharge } from '../../src/billing/dashboard';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import { settle, startBillingWorld, subscribeThroughCheckout, trpc, verifiedUser, type BillingWorld } from '../setup/billing';

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
    const p = await preview(user, { planId: 'business', interval: 'month', promotionCode: code });
    expect(p.status, p.error?.message).toBe(200);
    // $49 less 10% (the coupon kept), then 20% (the code): both discounts are on the invoice.
    expect(p.data).toMatchObject({ discount: 490 + 882, amountDue: 3528, promotionCode: code, keptDiscounts: 1 });
    const changed = await trpc<BillingSummary>(world, user.cookie, 'mutation', 'billing.changePlan', {
      planId: 'business',
      interval: 'month',
      prorationDate: p.data.prorationDate,
      promotionCode: code,
      actionId: action(),
    });
    expect(changed.status, changed.error?.message).toBe(200);
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

  it('a change scheduled for the renewal cannot carry a code, and says so on the field', async () => {
    const user = await verifiedUser(world);
    await subscribeThroughCheckout(world, user, 'business');
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle(world);
    const p = await preview(user, { planId: 'pro', interval: 'month', promotionCode: code });
    expect(p.status).toBe(400);
    expect(p.error?.data).toMatchObject({ fieldErrors: { promotionCode: expect.stringMatching(/not to a change scheduled/) } });
  });
});
