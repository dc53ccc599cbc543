// Subscription schedules through the SDK: a schedule made from a subscription, phases validated as
// Stripe validates them, the switch to the next phase at the renewal (no proration, the new price
// billed, usage of the ended period at the old rate), release, cancel, and the events each sends;
// discounts on a phase (checked when saved, redeemed onto the subscription when the phase starts).
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { advanceClock, DAY, startTestStripe, type TestStripe } from './testing.js';

let t: TestStripe;
let stripe: Stripe;
beforeAll(async () => {
  t = await startTestStripe();
  stripe = t.stripe;
});
afterAll(() => t.stop());
beforeEach(() => t.control.reset());

const T0 = Date.UTC(2027, 0, 15, 12) / 1000;
const FEB15 = Date.UTC(2027, 1, 15, 12) / 1000;
const MAR15 = Date.UTC(2027, 2, 15, 12) / 1000;

async function catalog() {
  const meter = await stripe.billing.meters.create({
    display_name: 'API calls',
    event_name: 'api_call',
    default_aggregation: { formula: 'sum' },
  });
  const product = await stripe.products.create({ name: 'DropIn' });
  const price = (unit_amount: number, interval: 'month' | 'year', lookup_key: string) =>
    stripe.prices.create({ product: product.id, currency: 'usd', unit_amount, recurring: { interval }, lookup_key });
  const usage = (unit_amount: number, interval: 'month' | 'year') =>
    stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount,
      recurring: { interval, usage_type: 'metered', meter: meter.id },
    });
  return {
    basic: await price(1000, 'month', 'basic_monthly'),
    pro: await price(3000, 'month', 'pro_monthly'),
    proYearly: await price(30000, 'year', 'pro_yearly'),
    basicUsage: await usage(2, 'month'),
    proUsage: await usage(1, 'month'),
    proYearlyUsage: await usage(1, 'year'),
  };
}

async function subscribed(items: { price: string }[]) {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: T0 });
  const customer = await stripe.customers.create({
    email: 'sched@x.io',
    test_clock: clock.id,
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  const sub = await stripe.subscriptions.create({ customer: customer.id, items });
  return { clock, customer, sub };
}

async function eventTypes(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of stripe.events.list({ limit: 100 })) if (e.type.startsWith(prefix)) out.push(e.type);
  return out.reverse();
}

/**
 * The change DropIn makes: the current items (and discounts) until the period ends, then `next`
 * (no proration), with `discounts` on the next phase when given.
 */
async function scheduleAtPeriodEnd(
  sub: Stripe.Subscription,
  next: { price: string; quantity?: number }[],
  discounts?: Stripe.SubscriptionScheduleUpdateParams.Phase.Discount[],
) {
  const sched = await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
  const current = sched.phases[0]!;
  return stripe.subscriptionSchedules.update(sched.id, {
    end_behavior: 'release',
    phases: [
      {
        items: current.items.map((i) => ({ price: i.price as string, quantity: i.quantity })),
        start_date: current.start_date,
        end_date: current.end_date,
        discounts: current.discounts.map((d) => ({ discount: d.discount as string })),
      },
      { items: next, proration_behavior: 'none', metadata: { plan: 'next' }, ...(discounts ? { discounts } : {}) },
    ],
  });
}

describe('creating a schedule from a subscription', () => {
  it('copies the subscription into one phase and attaches itself to it', async () => {
    const { pro, proUsage } = await catalog();
    const { sub } = await subscribed([{ price: pro.id }, { price: proUsage.id }]);
    const sched = await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    expect(sched).toMatchObject({
      object: 'subscription_schedule',
      status: 'active',
      subscription: sub.id,
      end_behavior: 'release',
      current_phase: { start_date: T0, end_date: FEB15 },
    });
    expect(sched.id).toMatch(/^sub_sched_/);
    expect(sched.phases).toHaveLength(1);
    expect(sched.phases[0]!.items.map((i) => [i.price, i.quantity])).toEqual([
      [pro.id, 1],
      [proUsage.id, undefined],
    ]);
    const live = await stripe.subscriptions.retrieve(sub.id, { expand: ['schedule.phases.items.price'] });
    const expanded = live.schedule as Stripe.SubscriptionSchedule;
    expect(expanded.id).toBe(sched.id);
    expect((expanded.phases[0]!.items[0]!.price as Stripe.Price).lookup_key).toBe('pro_monthly');
    expect((await stripe.subscriptionSchedules.retrieve(sched.id)).id).toBe(sched.id);
    expect(await eventTypes('subscription_schedule.')).toEqual(['subscription_schedule.created']);
  });

  it('refuses other parameters beside from_subscription, a second schedule, and unknown schedules', async () => {
    const { pro } = await catalog();
    const { sub } = await subscribed([{ price: pro.id }]);
    await expect(
      stripe.subscriptionSchedules.create({ from_subscription: sub.id, end_behavior: 'cancel' }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'end_behavior' });
    await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    await expect(stripe.subscriptionSchedules.create({ from_subscription: sub.id })).rejects.toMatchObject({
      param: 'from_subscription',
      message: expect.stringContaining('already attached to a schedule'),
    });
    await expect(stripe.subscriptionSchedules.retrieve('sub_sched_nope')).rejects.toMatchObject({
      statusCode: 404,
      message: "No such subscription schedule: 'sub_sched_nope'",
    });
  });
});

describe('updating phases', () => {
  it('validates phases like Stripe', async () => {
    const { pro, basic } = await catalog();
    const { sub } = await subscribed([{ price: pro.id }]);
    const sched = await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    const update = (phases: Stripe.SubscriptionScheduleUpdateParams.Phase[]) =>
      stripe.subscriptionSchedules.update(sched.id, { phases });
    await expect(update([{ items: [{ price: pro.id }], start_date: T0 + DAY, end_date: FEB15 }])).rejects.toMatchObject({
      param: 'phases[0][start_date]',
      message: 'You can not modify the start date of the current phase.',
    });
    await expect(update([{ items: [], start_date: T0, end_date: FEB15 }])).rejects.toMatchObject({
      param: 'phases[0][items]',
    });
    await expect(update([{ items: [{ price: pro.id }], start_date: T0, end_date: T0 - DAY }])).rejects.toMatchObject({
      param: 'phases[0][end_date]',
    });
    await expect(
      update([
        { items: [{ price: pro.id }], start_date: T0, end_date: FEB15 },
        { items: [{ price: basic.id }], start_date: FEB15 + DAY },
      ]),
    ).rejects.toMatchObject({ param: 'phases[1][start_date]' });
    await expect(
      update([{ items: [{ price: pro.id }], start_date: T0, end_date: FEB15 }, { items: [{ price: 'price_missing' }] }]),
    ).rejects.toMatchObject({ statusCode: 404, param: 'phases[1][items][0][price]' });
    await expect(
      update([{ items: [{ price: pro.id }], start_date: T0, end_date: FEB15, duration: { interval: 'month' } }]),
    ).rejects.toMatchObject({ param: 'phases[0][duration]' });
    // What the current phase bills now cannot change through the schedule here (that would be a prorated update).
    await expect(update([{ items: [{ price: basic.id }], start_date: T0, end_date: FEB15 }])).rejects.toMatchObject({
      code: 'parameter_unsupported_by_emulator',
    });
    const ok = await update([{ items: [{ price: pro.id }], start_date: T0, end_date: FEB15 }, { items: [{ price: basic.id }] }]);
    expect(ok.phases.map((ph) => [ph.start_date, ph.end_date])).toEqual([
      [T0, FEB15],
      [FEB15, MAR15],
    ]);
    expect(await eventTypes('subscription_schedule.')).toEqual([
      'subscription_schedule.created',
      'subscription_schedule.updated',
    ]);
  });

  it('owns the cancellation of its subscription: set on the schedule, refused on the subscription', async () => {
    const { pro } = await catalog();
    const { sub } = await subscribed([{ price: pro.id }]);
    const sched = await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    await expect(stripe.subscriptions.update(sub.id, { cancel_at_period_end: true })).rejects.toMatchObject({
      param: 'cancel_at_period_end',
      message: expect.stringContaining(`managed by the subscription schedule \`${sched.id}\``),
    });
    await stripe.subscriptionSchedules.update(sched.id, { end_behavior: 'cancel' });
    expect((await stripe.subscriptions.retrieve(sub.id)).cancel_at).toBe(FEB15);
    // Released, the schedule takes its cancellation with it.
    await stripe.subscriptionSchedules.release(sched.id);
    const released = await stripe.subscriptions.retrieve(sub.id);
    expect(released).toMatchObject({ schedule: null, cancel_at: null });
    await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
  });
});

describe('the switch to the next phase', () => {
  it('at the renewal: the new price with no proration, the ended period’s usage at the old rate, then released', async () => {
    const { pro, proUsage, basic, basicUsage } = await catalog();
    const { clock, customer, sub } = await subscribed([{ price: pro.id }, { price: proUsage.id }]);
    const sched = await scheduleAtPeriodEnd(sub, [{ price: basic.id, quantity: 1 }, { price: basicUsage.id }]);
    expect((await stripe.subscriptions.retrieve(sub.id)).schedule).toBe(sched.id);
    // The upcoming invoice already shows what the schedule will bill.
    const upcoming = await stripe.invoices.createPreview({ customer: customer.id, subscription: sub.id });
    expect(upcoming.lines.data.map((l) => l.pricing?.price_details?.price)).toEqual([basic.id, proUsage.id]);
    await advanceClock(stripe, clock.id, T0 + 10 * DAY);
    await stripe.billing.meterEvents.create({
      event_name: 'api_call',
      payload: { stripe_customer_id: customer.id, value: '100' },
    });
    const invoicesBefore = (await stripe.invoices.list({ subscription: sub.id })).data.length;

    await advanceClock(stripe, clock.id, FEB15 + 2 * 3600);
    const after = await stripe.subscriptions.retrieve(sub.id);
    expect(after.items.data.map((i) => i.price.id)).toEqual([basic.id, basicUsage.id]);
    expect(after.items.data[0]).toMatchObject({ current_period_start: FEB15, current_period_end: MAR15 });
    expect(after.metadata).toMatchObject({ plan: 'next' });
    const invoices = (await stripe.invoices.list({ subscription: sub.id })).data;
    expect(invoices).toHaveLength(invoicesBefore + 1);
    const renewal = invoices[0]!;
    expect(renewal.billing_reason).toBe('subscription_cycle');
    expect(renewal.lines.data.some((l) => l.parent?.subscription_item_details?.proration)).toBe(false);
    expect(renewal.lines.data.map((l) => [l.pricing?.price_details?.price, l.amount])).toEqual([
      [basic.id, 1000],
      [proUsage.id, 100],
    ]);
    expect(renewal.status).toBe('paid');
    const live = await stripe.subscriptionSchedules.retrieve(sched.id);
    expect(live).toMatchObject({ status: 'active', current_phase: { start_date: FEB15, end_date: MAR15 } });

    // The last phase ends at the next renewal: the subscription goes on, released.
    await advanceClock(stripe, clock.id, MAR15 + 2 * 3600);
    const done = await stripe.subscriptionSchedules.retrieve(sched.id);
    expect(done).toMatchObject({ status: 'released', released_subscription: sub.id, subscription: null, current_phase: null });
    const free = await stripe.subscriptions.retrieve(sub.id);
    expect(free.schedule).toBeNull();
    expect(free.items.data.map((i) => i.price.id)).toEqual([basic.id, basicUsage.id]);
    expect((await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!.total).toBe(1000);
    expect(await eventTypes('subscription_schedule.')).toEqual([
      'subscription_schedule.created',
      'subscription_schedule.updated',
      'subscription_schedule.updated',
      'subscription_schedule.released',
    ]);
    const updated = (await stripe.events.list({ type: 'customer.subscription.updated', limit: 100 })).data.find(
      (e) => (e.data.previous_attributes as { items?: unknown } | undefined)?.items !== undefined,
    );
    expect((updated!.data.object as Stripe.Subscription).items.data[0]!.price.id).toBe(basic.id);
  });

  it('a monthly → yearly phase starts a yearly billing cycle at the switch', async () => {
    const { pro, proUsage, proYearly, proYearlyUsage } = await catalog();
    const { clock, sub } = await subscribed([{ price: pro.id }, { price: proUsage.id }]);
    await scheduleAtPeriodEnd(sub, [{ price: proYearly.id }, { price: proYearlyUsage.id }]);
    await advanceClock(stripe, clock.id, FEB15 + 2 * 3600);
    const after = await stripe.subscriptions.retrieve(sub.id);
    expect(after.items.data.map((i) => i.price.id)).toEqual([proYearly.id, proYearlyUsage.id]);
    expect(after.items.data[0]).toMatchObject({
      current_period_start: FEB15,
      current_period_end: Date.UTC(2028, 1, 15, 12) / 1000,
    });
    expect(after.billing_cycle_anchor).toBe(FEB15);
    const renewal = (await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!;
    expect(renewal.lines.data[0]).toMatchObject({ amount: 30000 });
  });
});

describe('the end of the last phase', () => {
  it('end_behavior cancel ends the subscription there and completes the schedule', async () => {
    const { pro } = await catalog();
    const { clock, sub } = await subscribed([{ price: pro.id }]);
    const sched = await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    await stripe.subscriptionSchedules.update(sched.id, { end_behavior: 'cancel' });
    await advanceClock(stripe, clock.id, FEB15 + 3600);
    expect(await stripe.subscriptions.retrieve(sub.id)).toMatchObject({ status: 'canceled', ended_at: FEB15 });
    expect(await stripe.subscriptionSchedules.retrieve(sched.id)).toMatchObject({ status: 'completed', completed_at: FEB15 });
    expect(await eventTypes('subscription_schedule.')).toEqual([
      'subscription_schedule.created',
      'subscription_schedule.updated',
      'subscription_schedule.completed',
    ]);
  });
});

describe('ending a schedule early', () => {
  it('release keeps the subscription as it is now, without the pending phase', async () => {
    const { pro, basic } = await catalog();
    const { clock, sub } = await subscribed([{ price: pro.id }]);
    const sched = await scheduleAtPeriodEnd(sub, [{ price: basic.id }]);
    const released = await stripe.subscriptionSchedules.release(sched.id);
    expect(released).toMatchObject({ status: 'released', released_subscription: sub.id, subscription: null });
    expect((await stripe.subscriptions.retrieve(sub.id)).schedule).toBeNull();
    await expect(stripe.subscriptionSchedules.release(sched.id)).rejects.toMatchObject({
      message: expect.stringContaining('currently in the `released` status'),
    });
    await advanceClock(stripe, clock.id, FEB15 + 2 * 3600);
    const after = await stripe.subscriptions.retrieve(sub.id);
    expect(after.items.data[0]!.price.id).toBe(pro.id);
    expect((await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!.total).toBe(3000);
    expect(await eventTypes('subscription_schedule.')).toEqual([
      'subscription_schedule.created',
      'subscription_schedule.updated',
      'subscription_schedule.released',
    ]);
  });

  it('cancel ends the subscription now, and the schedule with it', async () => {
    const { pro, basic } = await catalog();
    const { sub } = await subscribed([{ price: pro.id }]);
    const sched = await scheduleAtPeriodEnd(sub, [{ price: basic.id }]);
    const canceled = await stripe.subscriptionSchedules.cancel(sched.id, { prorate: false });
    expect(canceled).toMatchObject({ status: 'canceled' });
    expect(canceled.canceled_at).toBe(T0);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
    expect(await eventTypes('subscription_schedule.')).toEqual([
      'subscription_schedule.created',
      'subscription_schedule.updated',
      'subscription_schedule.canceled',
    ]);
  });
});

describe('discounts on a phase', () => {
  async function spring(opts: { expiresAt?: number } = {}) {
    const coupon = await stripe.coupons.create({ percent_off: 20, duration: 'forever', name: 'Spring' });
    return stripe.promotionCodes.create({
      promotion: { type: 'coupon', coupon: coupon.id },
      code: `SPRING${Math.random().toString(36).slice(2, 8).toUpperCase()}`,
      ...(opts.expiresAt ? { expires_at: opts.expiresAt } : {}),
    });
  }

  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (err: Stripe.errors.StripeError) => ({ param: err.param, message: err.message }),
    );

  it('are checked when the schedule is saved, as Stripe checks them', async () => {
    const { pro, basic } = await catalog();
    const { sub } = await subscribed([{ price: pro.id }]);
    expect(await refusal(scheduleAtPeriodEnd(sub, [{ price: basic.id }], [{ promotion_code: 'promo_nope' }]))).toMatchObject({
      param: 'phases[1][discounts][0][promotion_code]',
    });
    // The refused update left the schedule as it was made from the subscription: one phase, no discounts.
    const sched = (await stripe.subscriptions.retrieve(sub.id)).schedule as string;
    expect((await stripe.subscriptionSchedules.retrieve(sched)).phases).toHaveLength(1);
    const expired = await spring({ expiresAt: T0 + 60 });
    const update = (discounts: Stripe.SubscriptionScheduleUpdateParams.Phase.Discount[]) =>
      stripe.subscriptionSchedules.update(sched, {
        phases: [
          { items: [{ price: pro.id, quantity: 1 }], start_date: T0, end_date: FEB15 },
          { items: [{ price: basic.id }], discounts },
        ],
      });
    await advanceClock(stripe, (await stripe.subscriptions.retrieve(sub.id)).test_clock as string, T0 + DAY);
    expect(await refusal(update([{ promotion_code: expired.id }]))).toMatchObject({
      param: 'phases[1][discounts][0][promotion_code]',
      message: 'This code has expired.',
    });
    const code = await spring();
    expect(await refusal(update([{ promotion_code: code.id, coupon: code.promotion.coupon as string }]))).toMatchObject({
      param: 'phases[1][discounts][0]',
    });
    expect(await refusal(update([{ coupon: 'nope' }]))).toMatchObject({ param: 'phases[1][discounts][0][coupon]' });
    expect(await refusal(update([{ discount: 'di_nope' }]))).toMatchObject({ param: 'phases[1][discounts][0][discount]' });
    // The current phase's discounts are the subscription's: changing them now is not emulated.
    expect(
      await refusal(
        stripe.subscriptionSchedules.update(sched, {
          phases: [
            {
              items: [{ price: pro.id, quantity: 1 }],
              start_date: T0,
              end_date: FEB15,
              discounts: [{ promotion_code: code.id }],
            },
          ],
        }),
      ),
    ).toMatchObject({ param: 'phases[0][discounts]' });
    const saved = await update([{ promotion_code: code.id }]);
    expect(saved.phases[1]!.discounts).toEqual([{ coupon: null, discount: null, promotion_code: code.id }]);
    // Saving a phase redeems nothing yet.
    expect((await stripe.promotionCodes.retrieve(code.id)).times_redeemed).toBe(0);
  });

  it('start with the phase: the code is redeemed onto the subscription beside the discount it keeps, and discounts the renewal', async () => {
    const { pro, basic } = await catalog();
    const { clock, customer, sub } = await subscribed([{ price: pro.id }]);
    const loyalty = await stripe.coupons.create({ percent_off: 10, duration: 'forever', name: 'Loyalty' });
    const loyal = await stripe.subscriptions.update(sub.id, { discounts: [{ coupon: loyalty.id }] });
    const kept = loyal.discounts[0] as string;
    const code = await spring();
    const sched = await scheduleAtPeriodEnd(loyal, [{ price: basic.id }], [{ discount: kept }, { promotion_code: code.id }]);
    expect(sched.phases[0]!.discounts).toEqual([{ coupon: null, discount: kept, promotion_code: null }]);
    // The upcoming invoice is the new phase's: $10 less 10%, then 20%.
    const upcoming = await stripe.invoices.createPreview({ customer: customer.id, subscription: sub.id });
    expect(upcoming.total).toBe(720);
    expect((await stripe.subscriptions.retrieve(sub.id)).discounts).toEqual([kept]);
    expect((await stripe.promotionCodes.retrieve(code.id)).times_redeemed).toBe(0);

    await advanceClock(stripe, clock.id, FEB15 + 2 * 3600);
    const after = await stripe.subscriptions.retrieve(sub.id, { expand: ['discounts'] });
    const discounts = after.discounts as Stripe.Discount[];
    expect(discounts.map((d) => d.id)[0]).toBe(kept);
    expect(discounts[1]).toMatchObject({ promotion_code: code.id, subscription: sub.id, start: FEB15 });
    expect((await stripe.promotionCodes.retrieve(code.id)).times_redeemed).toBe(1);
    const renewal = (await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!;
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', subtotal: 1000, total: 720, status: 'paid' });
    expect(renewal.discounts).toEqual([kept, discounts[1]!.id]);
    expect(renewal.total_discount_amounts?.map((d) => d.amount)).toEqual([100, 180]);

    const events = (await stripe.events.list({ limit: 100 })).data.reverse();
    const created = events.findIndex((e) => e.type === 'customer.discount.created');
    expect((events[created]!.data.object as Stripe.Discount).promotion_code).toBe(code.id);
    const updated = events.findIndex(
      (e) =>
        e.type === 'customer.subscription.updated' &&
        (e.data.previous_attributes as { discounts?: unknown } | undefined)?.discounts !== undefined &&
        (e.data.object as Stripe.Subscription).discounts.length === 2,
    );
    // As Stripe sends them: the discount first, then the subscription that carries it.
    expect(created).toBeGreaterThan(-1);
    expect(updated).toBeGreaterThan(created);
    expect((events[updated]!.data.previous_attributes as { discounts: string[] }).discounts).toEqual([kept]);
  });

  it('a phase without discounts leaves the subscription without its own, and release keeps them', async () => {
    const { pro, basic } = await catalog();
    const { clock, sub } = await subscribed([{ price: pro.id }]);
    const loyalty = await stripe.coupons.create({ percent_off: 10, duration: 'forever' });
    const loyal = await stripe.subscriptions.update(sub.id, { discounts: [{ coupon: loyalty.id }] });
    const code = await spring();
    const sched = await scheduleAtPeriodEnd(loyal, [{ price: basic.id }], [{ promotion_code: code.id }]);
    await stripe.subscriptionSchedules.release(sched.id);
    await advanceClock(stripe, clock.id, FEB15 + 2 * 3600);
    const after = await stripe.subscriptions.retrieve(sub.id);
    // Released before the switch: today's plan and discount go on, the code is never redeemed.
    expect(after.items.data[0]!.price.id).toBe(pro.id);
    expect(after.discounts).toEqual(loyal.discounts);
    expect((await stripe.promotionCodes.retrieve(code.id)).times_redeemed).toBe(0);

    const { clock: clock2, sub: sub2 } = await subscribed([{ price: pro.id }]);
    const loyal2 = await stripe.subscriptions.update(sub2.id, { discounts: [{ coupon: loyalty.id }] });
    await scheduleAtPeriodEnd(loyal2, [{ price: basic.id }], []);
    await advanceClock(stripe, clock2.id, FEB15 + 2 * 3600);
    expect((await stripe.subscriptions.retrieve(sub2.id)).discounts).toEqual([]);
    expect((await stripe.invoices.list({ subscription: sub2.id, limit: 1 })).data[0]!.total).toBe(1000);
  });
});
