// Each resource through the SDK: customers, products, prices, payment methods, coupons and
// promotion codes, billing meters and meter events, portal sessions, test clocks, control drift.
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStripe, type TestStripe } from './testing.js';

let t: TestStripe;
let stripe: Stripe;
beforeAll(async () => {
  t = await startTestStripe();
  stripe = t.stripe;
});
afterAll(() => t.stop());
beforeEach(() => t.control.reset());

describe('customers', () => {
  it('create, retrieve, update (metadata merge), list by email, delete', async () => {
    const c = await stripe.customers.create({ email: 'c@x.io', name: 'Cee', metadata: { a: '1', b: '2' } });
    expect(c).toMatchObject({ object: 'customer', email: 'c@x.io', name: 'Cee', livemode: false, test_clock: null, balance: 0 });
    const u = await stripe.customers.update(c.id, { metadata: { a: '', c: '3' }, phone: '+100' });
    expect(u.metadata).toEqual({ b: '2', c: '3' });
    expect(u.phone).toBe('+100');
    await stripe.customers.create({ email: 'other@x.io' });
    expect((await stripe.customers.list({ email: 'c@x.io' })).data.map((x) => x.id)).toEqual([c.id]);
    expect(await stripe.customers.del(c.id)).toEqual(expect.objectContaining({ id: c.id, deleted: true }));
    expect(await stripe.customers.retrieve(c.id)).toMatchObject({ deleted: true });
    await expect(stripe.customers.update(c.id, { name: 'x' })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('deleting a customer cancels their subscriptions', async () => {
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 100,
      recurring: { interval: 'month' },
      product_data: { name: 'P' },
    });
    const c = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const sub = await stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }] });
    await stripe.customers.del(c.id);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
  });

  it('customers on test clocks are listed only with their clock', async () => {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1_800_000_000, name: 'demo' });
    const onClock = await stripe.customers.create({ test_clock: clock.id });
    expect(onClock.created).toBe(1_800_000_000);
    await stripe.customers.create({});
    expect((await stripe.customers.list()).data.map((c) => c.id)).not.toContain(onClock.id);
    expect((await stripe.customers.list({ test_clock: clock.id })).data.map((c) => c.id)).toEqual([onClock.id]);
    expect((await stripe.testHelpers.testClocks.list()).data).toHaveLength(1);
  });
});

describe('products and prices', () => {
  it('create product with default price; list prices by lookup_keys and product', async () => {
    const product = await stripe.products.create({
      name: 'Plus',
      default_price_data: { currency: 'usd', unit_amount: 900, recurring: { interval: 'month' } },
    });
    expect(product.default_price).toMatch(/^price_/);
    const yearly = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 9000,
      recurring: { interval: 'year' },
      lookup_key: 'plus_yearly',
      nickname: 'Plus yearly',
    });
    expect(yearly).toMatchObject({
      type: 'recurring',
      recurring: { interval: 'year', interval_count: 1, usage_type: 'licensed', meter: null },
    });
    expect(String(yearly.unit_amount_decimal)).toBe('9000'); // a decimal string on the wire, coerced by the SDK
    expect((await stripe.prices.list({ lookup_keys: ['plus_yearly'] })).data.map((p) => p.id)).toEqual([yearly.id]);
    expect((await stripe.prices.list({ product: product.id })).data).toHaveLength(2);
    expect((await stripe.prices.list({ recurring: { interval: 'year' } })).data.map((p) => p.id)).toEqual([yearly.id]);
    const updated = await stripe.products.update(product.id, { name: 'Plus+', metadata: { tier: 'plus' } });
    expect(updated).toMatchObject({ name: 'Plus+', metadata: { tier: 'plus' } });
    expect((await stripe.products.list({ active: true })).data).toHaveLength(1);
    await expect(stripe.products.del(product.id)).rejects.toMatchObject({ statusCode: 400 });
  });

  it('lookup keys are unique unless transferred', async () => {
    const a = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 100,
      recurring: { interval: 'month' },
      product_data: { name: 'A' },
      lookup_key: 'plan',
    });
    await expect(
      stripe.prices.create({
        currency: 'usd',
        unit_amount: 200,
        recurring: { interval: 'month' },
        product_data: { name: 'B' },
        lookup_key: 'plan',
      }),
    ).rejects.toMatchObject({ param: 'lookup_key' });
    const b = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 200,
      recurring: { interval: 'month' },
      product_data: { name: 'B' },
      lookup_key: 'plan',
      transfer_lookup_key: true,
    });
    expect((await stripe.prices.retrieve(a.id)).lookup_key).toBeNull();
    expect((await stripe.prices.list({ lookup_keys: ['plan'] })).data.map((p) => p.id)).toEqual([b.id]);
  });

  it('metered prices need a meter', async () => {
    await expect(
      stripe.prices.create({
        currency: 'usd',
        unit_amount: 1,
        recurring: { interval: 'month', usage_type: 'metered' },
        product_data: { name: 'M' },
      }),
    ).rejects.toMatchObject({ param: 'recurring[meter]' });
    const meter = await stripe.billing.meters.create({
      display_name: 'Tokens',
      event_name: 'tokens',
      default_aggregation: { formula: 'sum' },
    });
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1,
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
      product_data: { name: 'M' },
    });
    expect(price.recurring).toMatchObject({ usage_type: 'metered', meter: meter.id });
  });
});

describe('payment methods', () => {
  it('attach test cards, list by customer, set default, detach clears the default', async () => {
    const c = await stripe.customers.create({});
    const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: c.id });
    expect(visa).toMatchObject({ type: 'card', customer: c.id, card: { brand: 'visa', last4: '4242' } });
    expect(visa.id).not.toBe('pm_card_visa');
    const mc = await stripe.paymentMethods.attach('pm_card_mastercard', { customer: c.id });
    expect((await stripe.customers.listPaymentMethods(c.id)).data.map((p) => p.id)).toEqual([mc.id, visa.id]);
    expect((await stripe.paymentMethods.list({ customer: c.id, type: 'card' })).data).toHaveLength(2);
    const updated = await stripe.customers.update(c.id, { invoice_settings: { default_payment_method: visa.id } });
    expect(updated.invoice_settings.default_payment_method).toBe(visa.id);
    await stripe.paymentMethods.detach(visa.id);
    expect(((await stripe.customers.retrieve(c.id)) as Stripe.Customer).invoice_settings.default_payment_method).toBeNull();
    await expect(stripe.paymentMethods.detach(visa.id)).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      stripe.customers.update(c.id, { invoice_settings: { default_payment_method: 'pm_unknown' } }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  it('cards that always decline cannot be attached', async () => {
    const c = await stripe.customers.create({});
    await expect(stripe.paymentMethods.attach('pm_card_visa_chargeDeclined', { customer: c.id })).rejects.toMatchObject({
      type: 'StripeCardError',
      decline_code: 'generic_decline',
    });
    await expect(
      stripe.paymentMethods.attach('pm_card_chargeDeclinedInsufficientFunds', { customer: c.id }),
    ).rejects.toMatchObject({ decline_code: 'insufficient_funds' });
    await expect(stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: c.id })).resolves.toMatchObject({
      customer: c.id,
    });
    const fromToken = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
    expect(fromToken.card?.last4).toBe('4242');
  });
});

describe('subscription items', () => {
  it('add, update (with prorations) and delete items through the items endpoints', async () => {
    const seat = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1000,
      recurring: { interval: 'month' },
      product_data: { name: 'Seat' },
    });
    const addon = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 500,
      recurring: { interval: 'month' },
      product_data: { name: 'Add-on' },
    });
    const c = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const sub = await stripe.subscriptions.create({ customer: c.id, items: [{ price: seat.id }] });
    const added = await stripe.subscriptionItems.create({
      subscription: sub.id,
      price: addon.id,
      quantity: 2,
      proration_behavior: 'none',
    });
    expect(added).toMatchObject({ object: 'subscription_item', quantity: 2, subscription: sub.id, price: { id: addon.id } });
    const updated = await stripe.subscriptionItems.update(sub.items.data[0]!.id, { quantity: 3, proration_behavior: 'none' });
    expect(updated.quantity).toBe(3);
    expect((await stripe.subscriptionItems.list({ subscription: sub.id })).data).toHaveLength(2);
    expect(await stripe.subscriptionItems.del(added.id, { proration_behavior: 'none' })).toMatchObject({ deleted: true });
    const after = await stripe.subscriptions.retrieve(sub.id);
    expect(after.items.data.map((i) => [i.price.id, i.quantity])).toEqual([[seat.id, 3]]);
    await expect(stripe.subscriptionItems.del(after.items.data[0]!.id)).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('coupons and promotion codes', () => {
  it('percent and amount coupons, promotion codes, list by code', async () => {
    const pct = await stripe.coupons.create({
      percent_off: 25,
      duration: 'repeating',
      duration_in_months: 3,
      name: 'Quarter off',
    });
    expect(pct).toMatchObject({ percent_off: 25, duration: 'repeating', duration_in_months: 3, valid: true, times_redeemed: 0 });
    const amt = await stripe.coupons.create({ id: 'FIVE', amount_off: 500, currency: 'usd', duration: 'once' });
    expect(amt.id).toBe('FIVE');
    await expect(stripe.coupons.create({ duration: 'once' })).rejects.toMatchObject({ statusCode: 400 });
    const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: pct.id }, code: 'SPRING' });
    expect(promo).toMatchObject({ code: 'SPRING', active: true, promotion: { coupon: pct.id } });
    expect((await stripe.promotionCodes.list({ code: 'SPRING' })).data.map((p) => p.id)).toEqual([promo.id]);
    expect((await stripe.promotionCodes.update(promo.id, { active: false })).active).toBe(false);
    expect(await stripe.coupons.del(amt.id)).toMatchObject({ deleted: true });
  });

  it('a once coupon discounts the first invoice only', async () => {
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 2000,
      recurring: { interval: 'month' },
      product_data: { name: 'P' },
    });
    const once = await stripe.coupons.create({ amount_off: 500, currency: 'usd', duration: 'once' });
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1_800_000_000 });
    const c = await stripe.customers.create({
      test_clock: clock.id,
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const sub = await stripe.subscriptions.create({
      customer: c.id,
      items: [{ price: price.id }],
      discounts: [{ coupon: once.id }],
      expand: ['latest_invoice'],
    });
    expect((sub.latest_invoice as Stripe.Invoice).total).toBe(1500);
    const preview = await stripe.invoices.createPreview({ customer: c.id, subscription: sub.id });
    expect(preview.total).toBe(2000);
  });
});

describe('billing meters', () => {
  it('create, list, validate events, summaries by day, deactivate', async () => {
    const meter = await stripe.billing.meters.create({
      display_name: 'Exports',
      event_name: 'export',
      default_aggregation: { formula: 'count' },
    });
    expect(meter).toMatchObject({
      object: 'billing.meter',
      status: 'active',
      customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
      value_settings: { event_payload_key: 'value' },
    });
    await expect(
      stripe.billing.meters.create({ display_name: 'Dup', event_name: 'export', default_aggregation: { formula: 'sum' } }),
    ).rejects.toMatchObject({ param: 'event_name' });
    const c = await stripe.customers.create({});
    const now = Math.floor(Date.now() / 1000);
    await expect(
      stripe.billing.meterEvents.create({
        event_name: 'export',
        payload: { stripe_customer_id: c.id },
        timestamp: now - 40 * 86_400,
      }),
    ).rejects.toMatchObject({ param: 'timestamp' });
    await expect(
      stripe.billing.meterEvents.create({ event_name: 'export', payload: { stripe_customer_id: c.id }, timestamp: now + 600 }),
    ).rejects.toMatchObject({ param: 'timestamp' });
    const ev = await stripe.billing.meterEvents.create({
      event_name: 'export',
      payload: { stripe_customer_id: c.id },
      identifier: 'exp-1',
    });
    expect(ev).toMatchObject({ object: 'billing.meter_event', identifier: 'exp-1' });
    await stripe.billing.meterEvents.create({ event_name: 'export', payload: { stripe_customer_id: c.id } });
    const dayStart = Math.floor(now / 86_400) * 86_400;
    const summaries = await stripe.billing.meters.listEventSummaries(meter.id, {
      customer: c.id,
      start_time: dayStart - 86_400,
      end_time: dayStart + 86_400,
      value_grouping_window: 'day',
    });
    expect(summaries.data.map((s) => s.aggregated_value)).toEqual([2, 0]);
    expect((await stripe.billing.meters.list({ status: 'active' })).data).toHaveLength(1);
    expect((await stripe.billing.meters.deactivate(meter.id)).status).toBe('inactive');
  });
});

describe('portal sessions and drift', () => {
  it('creates a portal session for a customer', async () => {
    const c = await stripe.customers.create({});
    await t.control.saveDefaultPortalConfiguration();
    const s = await stripe.billingPortal.sessions.create({ customer: c.id, return_url: 'https://app.example/account' });
    expect(s).toMatchObject({ object: 'billing_portal.session', customer: c.id, return_url: 'https://app.example/account' });
    await expect(stripe.billingPortal.sessions.create({ customer: 'cus_nope' })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('the control API changes an object behind the app’s back, with no event', async () => {
    const c = await stripe.customers.create({ email: 'true@x.io' });
    const before = (await stripe.events.list()).data.length;
    await t.control.patchObject(c.id, { email: 'drifted@x.io', metadata: { drift: 'yes' } });
    expect(((await stripe.customers.retrieve(c.id)) as Stripe.Customer).email).toBe('drifted@x.io');
    expect((await stripe.events.list()).data.length).toBe(before);
    const state = await t.control.state();
    expect((state.customers as unknown[]).length).toBe(1);
    await t.control.deleteObject(c.id);
    await expect(stripe.customers.retrieve(c.id)).rejects.toMatchObject({ statusCode: 404 });
  });
});
