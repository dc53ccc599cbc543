// The billing engine through the SDK: prorations (preview equals what the update bills), billing
// cycle resets, cancellation, metered usage, incomplete payments, dunning, and a full year of a
// subscription's life on a test clock.
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

const T0 = Date.UTC(2027, 0, 15, 12) / 1000; // a fixed, deterministic start (mid-month, no clamping)

async function catalog() {
  const product = await stripe.products.create({ name: 'DropIn' });
  const basic = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 1000,
    recurring: { interval: 'month' },
    lookup_key: 'basic_monthly',
  });
  const pro = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 3000,
    recurring: { interval: 'month' },
    lookup_key: 'pro_monthly',
  });
  const yearly = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 30000,
    recurring: { interval: 'year' },
    lookup_key: 'pro_yearly',
  });
  return { product, basic, pro, yearly };
}

async function clockCustomer(pm = 'pm_card_visa') {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: T0 });
  const customer = await stripe.customers.create({
    email: 'clock@x.io',
    test_clock: clock.id,
    payment_method: pm,
    invoice_settings: { default_payment_method: pm },
  });
  return { clock, customer };
}

async function eventsOf(type: string): Promise<Stripe.Event[]> {
  const out: Stripe.Event[] = [];
  for await (const e of stripe.events.list({ type, limit: 100 })) out.push(e);
  return out;
}

const prorationLines = (inv: Stripe.Invoice) =>
  inv.lines.data
    .filter((l) => l.parent?.subscription_item_details?.proration)
    .map((l) => ({ amount: l.amount, description: l.description, period: l.period }));

describe('subscription changes', () => {
  it('the proration preview equals what the upgrade then invoices (always_invoice)', async () => {
    const { basic, pro } = await catalog();
    const { clock, customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    expect(sub.status).toBe('active');
    await advanceClock(stripe, clock.id, T0 + 10 * DAY);
    const prorationDate = T0 + 10 * DAY;
    const items = [{ id: sub.items.data[0]!.id, price: pro.id }];
    const preview = await stripe.invoices.createPreview({
      customer: customer.id,
      subscription: sub.id,
      subscription_details: { items, proration_date: prorationDate, proration_behavior: 'always_invoice' },
    });
    const expected = prorationLines(preview);
    expect(expected).toHaveLength(2);
    expect(expected[0]!.amount).toBeLessThan(0); // unused basic time, credited
    expect(expected[1]!.amount).toBeGreaterThan(0); // remaining pro time, charged
    expect(preview.parent?.subscription_details?.subscription_proration_date).toBe(prorationDate);

    const updated = await stripe.subscriptions.update(sub.id, {
      items,
      proration_date: prorationDate,
      proration_behavior: 'always_invoice',
      expand: ['latest_invoice'],
    });
    const invoice = updated.latest_invoice as Stripe.Invoice;
    expect(invoice.billing_reason).toBe('subscription_update');
    expect(prorationLines(invoice)).toEqual(expected);
    expect(invoice.total).toBe(preview.total);
    expect(invoice.status).toBe('paid');
    expect(updated.items.data[0]!.price.id).toBe(pro.id);
    // Periods live on the items in this API version and do not move on a same-interval swap.
    expect(updated.items.data[0]!.current_period_end).toBe(sub.items.data[0]!.current_period_end);
    const updates = await eventsOf('customer.subscription.updated');
    expect(updates.some((e) => (e.data.previous_attributes as Record<string, unknown> | undefined)?.items !== undefined)).toBe(
      true,
    );
  });

  it('create_prorations leaves pending items that the next renewal invoices, as previewed', async () => {
    const { basic } = await catalog();
    const { clock, customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id, quantity: 1 }] });
    await advanceClock(stripe, clock.id, T0 + 15 * DAY);
    const items = [{ id: sub.items.data[0]!.id, quantity: 3 }];
    const prorationDate = T0 + 15 * DAY;
    const preview = await stripe.invoices.createPreview({
      customer: customer.id,
      subscription: sub.id,
      subscription_details: { items, proration_date: prorationDate },
    });
    await stripe.subscriptions.update(sub.id, { items, proration_date: prorationDate });
    const upcoming = await stripe.invoices.createPreview({ customer: customer.id, subscription: sub.id });
    expect(prorationLines(upcoming)).toEqual(prorationLines(preview));
    await advanceClock(stripe, clock.id, sub.items.data[0]!.current_period_end + 2 * 3600);
    const renewal = (await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!;
    expect(renewal.billing_reason).toBe('subscription_cycle');
    expect(prorationLines(renewal)).toEqual(prorationLines(preview));
    expect(renewal.total).toBe(preview.total);
    expect(renewal.status).toBe('paid');
  });

  it('switching monthly → yearly resets the billing cycle and invoices now', async () => {
    const { basic, yearly } = await catalog();
    const { clock, customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    await advanceClock(stripe, clock.id, T0 + 5 * DAY);
    const updated = await stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: yearly.id }],
      expand: ['latest_invoice'],
    });
    const item = updated.items.data[0]!;
    expect(item.current_period_start).toBe(T0 + 5 * DAY);
    expect(item.current_period_end - item.current_period_start).toBe(365 * DAY);
    const inv = updated.latest_invoice as Stripe.Invoice;
    expect(inv.lines.data.some((l) => l.amount === 30000)).toBe(true);
    expect(inv.lines.data.some((l) => l.amount < 0)).toBe(true);
  });

  it('proration_behavior none changes the price without any invoice line', async () => {
    const { basic, pro } = await catalog();
    const { customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    const updated = await stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: pro.id }],
      proration_behavior: 'none',
    });
    expect(updated.latest_invoice).toBe(sub.latest_invoice);
    const preview = await stripe.invoices.createPreview({ customer: customer.id, subscription: sub.id });
    expect(prorationLines(preview)).toEqual([]);
    expect(preview.total).toBe(3000);
  });

  it('error_if_incomplete refuses a change whose payment fails and leaves the subscription as it was', async () => {
    const { basic, pro } = await catalog();
    const { customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    const pmId = customer.invoice_settings.default_payment_method as string;
    await t.control.setCardBehavior(pmId, 'decline_generic');
    await expect(
      stripe.subscriptions.update(sub.id, {
        items: [{ id: sub.items.data[0]!.id, price: pro.id }],
        proration_behavior: 'always_invoice',
        payment_behavior: 'error_if_incomplete',
      }),
    ).rejects.toMatchObject({ type: 'StripeCardError', code: 'card_declined', decline_code: 'generic_decline', statusCode: 402 });
    const after = await stripe.subscriptions.retrieve(sub.id);
    expect(after.items.data[0]!.price.id).toBe(basic.id);
    expect(after.status).toBe('active');
  });

  it('pending_if_incomplete keeps the old plan when the charge fails, and applies it once the invoice is paid', async () => {
    const { basic, pro } = await catalog();
    const { clock, customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: basic.id }],
      metadata: { plan: 'basic' },
    });
    const pmId = customer.invoice_settings.default_payment_method as string;
    await t.control.setCardBehavior(pmId, 'decline_generic');
    const params: Stripe.SubscriptionUpdateParams = {
      items: [{ id: sub.items.data[0]!.id, price: pro.id }],
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
      metadata: { plan: 'pro' },
    };
    await expect(stripe.subscriptions.update(sub.id, { ...params, cancel_at_period_end: true })).rejects.toMatchObject({
      param: 'cancel_at_period_end',
    });
    const pending = await stripe.subscriptions.update(sub.id, params);
    expect(pending.status).toBe('active');
    expect(pending.items.data[0]!.price.id).toBe(basic.id);
    expect(pending.metadata).toEqual({ plan: 'basic' });
    expect(pending.pending_update).toMatchObject({ expires_at: T0 + 23 * 3600, metadata: { plan: 'pro' } });
    expect(pending.pending_update!.subscription_items![0]!.price.id).toBe(pro.id);
    const invoice = await stripe.invoices.retrieve(pending.latest_invoice as string);
    expect(invoice.status).toBe('open');

    await t.control.setCardBehavior(pmId, 'succeed');
    await stripe.invoices.pay(invoice.id);
    const applied = await stripe.subscriptions.retrieve(sub.id);
    expect(applied).toMatchObject({ pending_update: null, metadata: { plan: 'pro' } });
    expect(applied.items.data[0]!.price.id).toBe(pro.id);
    expect(await eventsOf('customer.subscription.pending_update_applied')).toHaveLength(1);

    // A second failed change that nobody pays expires after 23 hours and its invoice is voided.
    await t.control.setCardBehavior(pmId, 'decline_generic');
    const again = await stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: basic.id, quantity: 5 }],
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
    });
    expect(again.pending_update).not.toBeNull();
    await advanceClock(stripe, clock.id, T0 + 24 * 3600);
    const expired = await stripe.subscriptions.retrieve(sub.id);
    expect(expired.pending_update).toBeNull();
    expect(expired.items.data[0]!.price.id).toBe(pro.id);
    expect((await stripe.invoices.retrieve(again.latest_invoice as string)).status).toBe('void');
    expect(await eventsOf('customer.subscription.pending_update_expired')).toHaveLength(1);
  });

  it('pending_if_incomplete refuses adding, deleting or reconfiguring items, as Stripe does', async () => {
    const { basic, pro } = await catalog();
    const { customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    const itemId = sub.items.data[0]!.id;
    const pending = { proration_behavior: 'always_invoice', payment_behavior: 'pending_if_incomplete' } as const;
    await expect(
      stripe.subscriptions.update(sub.id, { ...pending, items: [{ id: itemId, price: pro.id }, { price: basic.id }] }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'items[1]' });
    await expect(
      stripe.subscriptions.update(sub.id, { ...pending, items: [{ id: itemId, deleted: true }] }),
    ).rejects.toMatchObject({
      statusCode: 400,
      param: 'items[0][deleted]',
    });
    await expect(
      stripe.subscriptions.update(sub.id, { ...pending, items: [{ id: itemId, price: pro.id, metadata: { a: 'b' } }] }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'items[0][metadata]' });
    // Nothing changed, and the same items without payment_behavior are accepted.
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data.map((i) => i.price.id)).toEqual([basic.id]);
    const swapped = await stripe.subscriptions.update(sub.id, {
      ...pending,
      items: [{ id: itemId, price: pro.id, quantity: 2 }],
    });
    expect(swapped.items.data.map((i) => [i.price.id, i.quantity])).toEqual([[pro.id, 2]]);
  });

  it('invoices carry amount_paid_off_stripe, and status_details only while uncollectible (endive shapes)', async () => {
    const { basic } = await catalog();
    const { customer } = await clockCustomer();
    const paid = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    const byCard = await stripe.invoices.retrieve(paid.latest_invoice as string);
    expect(byCard).toMatchObject({ status: 'paid', amount_paid: 1000, amount_paid_off_stripe: 0 });
    expect(byCard.status_details).toBeUndefined();

    const open = async () => {
      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: basic.id }],
        payment_behavior: 'default_incomplete',
      });
      return sub.latest_invoice as string;
    };
    const outside = await stripe.invoices.pay(await open(), { paid_out_of_band: true });
    expect(outside).toMatchObject({ status: 'paid', amount_paid: 1000, amount_paid_off_stripe: 1000 });

    const forgiven = await stripe.invoices.markUncollectible(await open());
    expect(forgiven).toMatchObject({ status: 'uncollectible', status_details: { uncollectible: { reason: 'user_forgiven' } } });
    const voided = await stripe.invoices.voidInvoice(forgiven.id);
    expect(voided.status).toBe('void');
    expect(voided.status_details).toBeUndefined();
  });

  it('cancels now, optionally crediting unused time, and lists canceled only with status', async () => {
    const { basic } = await catalog();
    const { clock, customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: basic.id }],
      metadata: { plan: 'basic' },
    });
    await advanceClock(stripe, clock.id, T0 + 10 * DAY);
    const canceled = await stripe.subscriptions.cancel(sub.id, {
      prorate: true,
      invoice_now: true,
      cancellation_details: { comment: 'too pricey' },
    });
    expect(canceled).toMatchObject({
      status: 'canceled',
      ended_at: T0 + 10 * DAY,
      cancellation_details: { comment: 'too pricey', reason: 'cancellation_requested' },
    });
    const after = await stripe.customers.retrieve(customer.id);
    expect((after as Stripe.Customer).balance).toBeLessThan(0); // credit for the unused 20 days
    expect((await stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
    expect((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toHaveLength(1);
    expect((await stripe.subscriptions.list({ test_clock: clock.id, status: 'canceled' })).data).toHaveLength(1);
    const found = await stripe.subscriptions.search({ query: "metadata['plan']:'basic' AND status:'canceled'" });
    expect(found.data.map((s) => s.id)).toEqual([sub.id]);
  });
});

describe('first payments', () => {
  it('a card that fails on charge leaves the subscription incomplete, then incomplete_expired after 23 hours', async () => {
    const { basic } = await catalog();
    const { clock, customer } = await clockCustomer('pm_card_chargeCustomerFail');
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: basic.id }],
      expand: ['latest_invoice'],
    });
    expect(sub.status).toBe('incomplete');
    expect((sub.latest_invoice as Stripe.Invoice).status).toBe('open');
    await advanceClock(stripe, clock.id, T0 + 24 * 3600);
    const later = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(later.status).toBe('incomplete_expired');
    expect((later.latest_invoice as Stripe.Invoice).status).toBe('void');
  });

  it('default_incomplete leaves the first invoice open with a confirmation secret to pay', async () => {
    const { basic } = await catalog();
    const { customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: basic.id }],
      payment_behavior: 'default_incomplete',
      expand: ['latest_invoice.confirmation_secret', 'latest_invoice.payments.data.payment.payment_intent'],
    });
    expect(sub.status).toBe('incomplete');
    const invoice = sub.latest_invoice as Stripe.Invoice;
    expect(invoice.status).toBe('open');
    expect(invoice.confirmation_secret).toMatchObject({
      type: 'payment_intent',
      client_secret: expect.stringMatching(/^pi_secret_/),
    });
    expect((invoice.payments!.data[0]!.payment.payment_intent as Stripe.PaymentIntent).status).toBe('requires_payment_method');
    await stripe.invoices.pay(invoice.id);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });

  it('error_if_incomplete answers 402 and creates no subscription', async () => {
    const { basic } = await catalog();
    const { customer } = await clockCustomer('pm_card_chargeCustomerFail');
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: basic.id }],
        payment_behavior: 'error_if_incomplete',
      }),
    ).rejects.toMatchObject({ statusCode: 402, code: 'card_declined' });
    expect((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toHaveLength(0);
  });

  it('an incomplete subscription becomes active when its invoice is paid with a good card', async () => {
    const { basic } = await catalog();
    const { customer } = await clockCustomer('pm_card_chargeCustomerFail');
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    const good = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const paid = await stripe.invoices.pay(sub.latest_invoice as string, { payment_method: good.id });
    expect(paid.status).toBe('paid');
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });
});

describe('usage-based billing', () => {
  it('bills metered usage reported through meter events at period end', async () => {
    const meter = await stripe.billing.meters.create({
      display_name: 'API calls',
      event_name: 'api_call',
      default_aggregation: { formula: 'sum' },
    });
    const product = await stripe.products.create({ name: 'API' });
    const metered = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 2,
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
    });
    const { basic } = await catalog();
    const { clock, customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }, { price: metered.id }] });
    expect(sub.items.data.find((i) => i.price.id === metered.id)!.quantity).toBeUndefined();
    await advanceClock(stripe, clock.id, T0 + 3 * DAY);
    await stripe.billing.meterEvents.create({
      event_name: 'api_call',
      payload: { stripe_customer_id: customer.id, value: '120' },
    });
    await advanceClock(stripe, clock.id, T0 + 9 * DAY);
    await stripe.billing.meterEvents.create({
      event_name: 'api_call',
      payload: { stripe_customer_id: customer.id, value: '30' },
      identifier: 'evt-once',
    });
    await expect(
      stripe.billing.meterEvents.create({
        event_name: 'api_call',
        payload: { stripe_customer_id: customer.id, value: '30' },
        identifier: 'evt-once',
      }),
    ).rejects.toMatchObject({ param: 'identifier' });
    const summaries = await stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: T0 - 12 * 3600,
      end_time: T0 + 10 * DAY - 12 * 3600,
    });
    expect(summaries.data[0]!.aggregated_value).toBe(150);
    await advanceClock(stripe, clock.id, sub.items.data[0]!.current_period_end + 2 * 3600);
    const renewal = (await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!;
    const usageLine = renewal.lines.data.find((l) => l.pricing?.price_details?.price === metered.id)!;
    expect(usageLine.quantity).toBe(150);
    expect(usageLine.amount).toBe(300);
    expect(usageLine.period).toEqual({ start: T0, end: sub.items.data[0]!.current_period_end });
    expect(renewal.total).toBe(1000 + 300);
  });
});

describe('dunning', () => {
  it('retries a failed renewal on the schedule and cancels after the last retry (default)', async () => {
    const { basic } = await catalog();
    const { clock, customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    await t.control.setCardBehavior(customer.invoice_settings.default_payment_method as string, 'decline_insufficient_funds');
    const end = sub.items.data[0]!.current_period_end;
    await advanceClock(stripe, clock.id, end + 2 * 3600);
    let renewal = (await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!;
    expect(renewal).toMatchObject({ status: 'open', attempt_count: 1, next_payment_attempt: end + 3600 + 3 * DAY });
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
    await advanceClock(stripe, clock.id, end + 20 * DAY);
    renewal = await stripe.invoices.retrieve(renewal.id);
    expect(renewal.attempt_count).toBe(4);
    const final = await stripe.subscriptions.retrieve(sub.id);
    expect(final).toMatchObject({ status: 'canceled', cancellation_details: { reason: 'payment_failed' } });
    expect((await eventsOf('invoice.payment_failed')).length).toBe(4);
  });

  it('can end in unpaid instead, and paying the invoice restores the plan', async () => {
    await t.control.updateSettings({ afterFinalFailure: 'unpaid' });
    const { basic } = await catalog();
    const { clock, customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    await t.control.setCardBehavior(customer.invoice_settings.default_payment_method as string, 'decline_generic');
    await advanceClock(stripe, clock.id, sub.items.data[0]!.current_period_end + 20 * DAY);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('unpaid');
    const invoice = (await stripe.invoices.list({ subscription: sub.id, status: 'open' })).data[0]!;
    await stripe.paymentMethods
      .attach('pm_card_mastercard', { customer: customer.id })
      .then((pm) => stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } }));
    await stripe.invoices.pay(invoice.id);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });
});

describe('a year in the life of a subscription (test clock)', () => {
  it('trial → failed payment → past_due → fixed → active → renewals → cancel_at_period_end → canceled', async () => {
    const { pro } = await catalog();
    const { clock, customer } = await clockCustomer('pm_card_chargeCustomerFail');
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: pro.id }],
      trial_period_days: 14,
      metadata: { userId: 'u_42' },
    });
    expect(sub).toMatchObject({ status: 'trialing', trial_start: T0, trial_end: T0 + 14 * DAY });
    const trialInvoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
    expect(trialInvoice).toMatchObject({ status: 'paid', total: 0, billing_reason: 'subscription_create' });
    expect(trialInvoice.parent?.subscription_details?.subscription).toBe(sub.id);

    await advanceClock(stripe, clock.id, T0 + 12 * DAY);
    expect(await eventsOf('customer.subscription.trial_will_end')).toHaveLength(1);

    // The trial ends; the card (4000…0341) fails.
    await advanceClock(stripe, clock.id, T0 + 14 * DAY + 2 * 3600);
    let current = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(current.status).toBe('past_due');
    const failed = current.latest_invoice as Stripe.Invoice;
    expect(failed).toMatchObject({ status: 'open', billing_reason: 'subscription_cycle', amount_due: 3000, attempt_count: 1 });
    const statusChanges = (await eventsOf('customer.subscription.updated')).map((e) => [
      (e.data.previous_attributes as { status?: string } | undefined)?.status,
      (e.data.object as Stripe.Subscription).status,
    ]);
    expect(statusChanges).toContainEqual(['trialing', 'active']);
    expect(statusChanges).toContainEqual(['active', 'past_due']);

    // The customer fixes the card and pays.
    const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: visa.id } });
    await stripe.invoices.pay(failed.id);
    current = await stripe.subscriptions.retrieve(sub.id);
    expect(current.status).toBe('active');

    // Ten renewals, a month at a time.
    let periodEnd = current.items.data[0]!.current_period_end;
    for (let month = 0; month < 10; month++) {
      await advanceClock(stripe, clock.id, periodEnd + 2 * 3600);
      current = await stripe.subscriptions.retrieve(sub.id);
      expect(current.status).toBe('active');
      expect(current.items.data[0]!.current_period_start).toBe(periodEnd);
      periodEnd = current.items.data[0]!.current_period_end;
    }
    const invoices = await stripe.invoices.list({ subscription: sub.id, limit: 100 });
    expect(invoices.data.filter((i) => i.billing_reason === 'subscription_cycle' && i.status === 'paid')).toHaveLength(11);

    await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    current = await stripe.subscriptions.retrieve(sub.id);
    expect(current).toMatchObject({ cancel_at_period_end: true, cancel_at: periodEnd, status: 'active' });
    await advanceClock(stripe, clock.id, periodEnd + 3600);
    current = await stripe.subscriptions.retrieve(sub.id);
    expect(current).toMatchObject({ status: 'canceled', ended_at: periodEnd });
    expect(await eventsOf('customer.subscription.deleted')).toHaveLength(1);
    expect(periodEnd - T0).toBeGreaterThan(330 * DAY);
  });

  it('announces renewals with invoice.upcoming a few days ahead, previewing the next invoice', async () => {
    const { basic } = await catalog();
    const { clock, customer } = await clockCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id, quantity: 2 }] });
    const end = sub.items.data[0]!.current_period_end;
    await advanceClock(stripe, clock.id, end - 4 * DAY);
    expect(await eventsOf('invoice.upcoming')).toHaveLength(0);
    await advanceClock(stripe, clock.id, end - 2 * DAY);
    const [upcoming] = await eventsOf('invoice.upcoming');
    const preview = upcoming!.data.object as Stripe.Invoice;
    expect(preview.id).toBeUndefined();
    expect(preview).toMatchObject({
      total: 2000,
      customer: customer.id,
      parent: { subscription_details: { subscription: sub.id } },
    });
  });

  it('refuses to advance more than two intervals at once, and deleting the clock removes its customers', async () => {
    const { basic } = await catalog();
    const { clock, customer } = await clockCustomer();
    await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    await expect(stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: T0 + 100 * DAY })).rejects.toMatchObject({
      param: 'frozen_time',
    });
    await expect(stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: T0 - 1 })).rejects.toMatchObject({
      param: 'frozen_time',
    });
    await stripe.testHelpers.testClocks.del(clock.id);
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({ deleted: true });
  });
});

describe('demo time travel for a customer without a test clock', () => {
  it('advances one customer’s time through a renewal', async () => {
    const { basic } = await catalog();
    const customer = await stripe.customers.create({
      email: 'demo@x.io',
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    const end = sub.items.data[0]!.current_period_end;
    const moved = await t.control.advanceCustomer(customer.id, { seconds: 32 * DAY });
    expect(moved.now).toBeGreaterThan(end);
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    expect(renewed.items.data[0]!.current_period_start).toBe(end);
    const invoices = await stripe.invoices.list({ customer: customer.id });
    expect(invoices.data.map((i) => i.billing_reason)).toEqual(['subscription_cycle', 'subscription_create']);
    expect(invoices.data[0]!.status).toBe('paid');
  });
});
