// Charges and refunds through the SDK: a paid invoice's charge (found from the invoice's payments),
// full and partial refunds by PaymentIntent or Charge, Stripe's refusals, lists, and the events.
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

/** A customer whose first invoice (12.00 USD) was paid by card; its PaymentIntent and Charge. */
async function paidInvoice() {
  const price = await stripe.prices.create({
    currency: 'usd',
    unit_amount: 1200,
    recurring: { interval: 'month' },
    product_data: { name: 'Pro' },
  });
  const customer = await stripe.customers.create({
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string, { expand: ['payments'] });
  expect(invoice.status).toBe('paid');
  const piId = invoice.payments?.data[0]?.payment.payment_intent as string;
  const pi = await stripe.paymentIntents.retrieve(piId);
  const charge = await stripe.charges.retrieve(pi.latest_charge as string);
  return { customer, invoice, pi, charge };
}

describe('charges', () => {
  it('a card payment leaves a charge: retrieve, list by customer and payment intent, charge.succeeded', async () => {
    const { customer, pi, charge } = await paidInvoice();
    expect(charge).toMatchObject({
      object: 'charge',
      amount: 1200,
      amount_captured: 1200,
      amount_refunded: 0,
      refunded: false,
      paid: true,
      status: 'succeeded',
      currency: 'usd',
      customer: customer.id,
      payment_intent: pi.id,
      payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242' } },
    });
    expect((await stripe.charges.list({ customer: customer.id })).data.map((c) => c.id)).toEqual([charge.id]);
    expect((await stripe.charges.list({ payment_intent: pi.id })).data.map((c) => c.id)).toEqual([charge.id]);
    expect((await stripe.charges.list({ customer: 'cus_nobody' })).data).toEqual([]);
    const succeeded = await stripe.events.list({ type: 'charge.succeeded' });
    expect(succeeded.data.map((e) => (e.data.object as Stripe.Charge).id)).toEqual([charge.id]);
    await expect(stripe.charges.retrieve('ch_missing')).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      message: "No such charge: 'ch_missing'",
    });
  });

  it('the invoice payment is found by its payment intent', async () => {
    const { invoice, pi } = await paidInvoice();
    const found = await stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: pi.id } });
    expect(found.data.map((p) => p.invoice)).toEqual([invoice.id]);
    const none = await stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: 'pi_other' } });
    expect(none.data).toEqual([]);
  });
});

describe('refunds', () => {
  it('a partial refund by payment intent, then the rest by charge; the charge keeps count', async () => {
    const { customer, pi, charge } = await paidInvoice();
    const half = await stripe.refunds.create({
      payment_intent: pi.id,
      amount: 600,
      reason: 'requested_by_customer',
      metadata: { note: 'Goodwill' },
    });
    expect(half).toMatchObject({
      object: 'refund',
      amount: 600,
      currency: 'usd',
      charge: charge.id,
      payment_intent: pi.id,
      reason: 'requested_by_customer',
      status: 'succeeded',
      metadata: { note: 'Goodwill' },
    });
    expect(await stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 600, refunded: false });

    // No amount: whatever is left.
    const rest = await stripe.refunds.create({ charge: charge.id });
    expect(rest).toMatchObject({ amount: 600, reason: null, payment_intent: pi.id });
    const after = await stripe.charges.retrieve(charge.id, { expand: ['refunds'] });
    expect(after).toMatchObject({ amount_refunded: 1200, refunded: true });
    expect(after.refunds?.data.map((r) => r.id)).toEqual([rest.id, half.id]);

    expect((await stripe.refunds.list({ payment_intent: pi.id })).data.map((r) => r.id)).toEqual([rest.id, half.id]);
    expect((await stripe.refunds.list({ charge: charge.id, limit: 1 })).has_more).toBe(true);
    expect(await stripe.refunds.retrieve(half.id)).toMatchObject({ amount: 600 });

    const created = await stripe.events.list({ type: 'refund.created' });
    expect(created.data.map((e) => (e.data.object as Stripe.Refund).id)).toEqual([rest.id, half.id]);
    const refunded = (await stripe.events.list({ type: 'charge.refunded' })).data;
    expect(refunded.map((e) => (e.data.object as Stripe.Charge).amount_refunded)).toEqual([1200, 600]);
    expect(refunded[1]!.data.previous_attributes).toEqual({ amount_refunded: 0 });
    expect(refunded[0]!.data.previous_attributes).toEqual({ amount_refunded: 600, refunded: false });
    // Delivered to the customer's webhooks like any other event about them.
    expect(created.data.every((e) => (e.data.object as Stripe.Refund).customer === customer.id)).toBe(true);
  });

  it('refuses more than is left, an already refunded charge, and unknown objects — changing nothing', async () => {
    const { pi, charge } = await paidInvoice();
    await expect(stripe.refunds.create({ payment_intent: pi.id, amount: 1201 })).rejects.toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
      code: 'amount_too_large',
      param: 'amount',
      message: 'Refund amount ($12.01) is greater than charge amount ($12.00)',
    });
    await stripe.refunds.create({ payment_intent: pi.id, amount: 1000 });
    await expect(stripe.refunds.create({ charge: charge.id, amount: 300 })).rejects.toMatchObject({
      code: 'amount_too_large',
      message: 'Refund amount ($3.00) is greater than unrefunded amount on charge ($2.00)',
    });
    await stripe.refunds.create({ charge: charge.id });
    await expect(stripe.refunds.create({ charge: charge.id, amount: 1 })).rejects.toMatchObject({
      statusCode: 400,
      code: 'charge_already_refunded',
    });
    expect(await stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 1200, refunded: true });
    expect((await stripe.refunds.list({ charge: charge.id })).data).toHaveLength(2);

    await expect(stripe.refunds.create({ charge: 'ch_missing' })).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'charge',
    });
    await expect(stripe.refunds.create({ payment_intent: 'pi_missing' })).rejects.toMatchObject({
      statusCode: 404,
      param: 'payment_intent',
    });
    await expect(stripe.refunds.create({})).rejects.toMatchObject({ statusCode: 400, code: 'parameter_missing' });
    await expect(stripe.refunds.create({ charge: charge.id, amount: 0 })).rejects.toMatchObject({
      code: 'parameter_invalid_integer',
      param: 'amount',
    });
    await expect(
      stripe.refunds.create({ charge: charge.id, reason: 'changed_mind' as Stripe.RefundCreateParams.Reason }),
    ).rejects.toMatchObject({ code: 'parameter_invalid', param: 'reason' });
  });

  it('an unpaid invoice has no charge to refund', async () => {
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 500,
      recurring: { interval: 'month' },
      product_data: { name: 'P' },
    });
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_chargeCustomerFail',
      invoice_settings: { default_payment_method: 'pm_card_chargeCustomerFail' },
    });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'allow_incomplete',
    });
    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string, { expand: ['payments'] });
    const piId = invoice.payments?.data[0]?.payment.payment_intent as string;
    await expect(stripe.refunds.create({ payment_intent: piId })).rejects.toMatchObject({
      statusCode: 400,
      code: 'charge_not_refundable',
      param: 'payment_intent',
    });
  });

  it('updates metadata (refund.updated), cannot cancel a succeeded card refund, and replays by idempotency key', async () => {
    const { pi } = await paidInvoice();
    const key = { idempotencyKey: 'refund-once' };
    const first = await stripe.refunds.create({ payment_intent: pi.id, amount: 100 }, key);
    const again = await stripe.refunds.create({ payment_intent: pi.id, amount: 100 }, key);
    expect(again.id).toBe(first.id);
    expect((await stripe.refunds.list({ payment_intent: pi.id })).data).toHaveLength(1);

    const updated = await stripe.refunds.update(first.id, { metadata: { ticket: 'T-1' } });
    expect(updated.metadata).toEqual({ ticket: 'T-1' });
    const events = await stripe.events.list({ type: 'refund.updated' });
    expect(events.data[0]?.data.previous_attributes).toEqual({ metadata: {} });
    await expect(stripe.refunds.cancel(first.id)).rejects.toMatchObject({ statusCode: 400 });
  });
});
