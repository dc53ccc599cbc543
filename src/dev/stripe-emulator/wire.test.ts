// The wire format: auth, Stripe's error bodies, strict parameters, idempotency, request ids,
// pagination, expand, search and injected API faults — all through the real SDK.
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sdkFor, startTestStripe, type TestStripe } from './testing.js';

let t: TestStripe;
let stripe: Stripe;
beforeAll(async () => {
  t = await startTestStripe();
  stripe = t.stripe;
});
afterAll(() => t.stop());
beforeEach(() => t.control.reset());

describe('authentication', () => {
  it('rejects a request without an API key with 401 and Stripe’s message', async () => {
    const res = await fetch(`${t.emulator.url}/v1/customers`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/You did not provide an API key/);
  });

  it('rejects a malformed key through the SDK as an authentication error', async () => {
    const bad = sdkFor(t.emulator, 'pk_live_nope', 0);
    await expect(bad.customers.list()).rejects.toMatchObject({ type: 'StripeAuthenticationError', statusCode: 401 });
  });

  it('accepts any sk_test_ key', async () => {
    const other = sdkFor(t.emulator, 'sk_test_anythingGoesHere123');
    await expect(other.customers.list()).resolves.toMatchObject({ object: 'list' });
  });
});

describe('errors and parameters', () => {
  it('rejects unknown parameters with parameter_unknown naming the parameter', async () => {
    await expect(stripe.customers.create({ emali: 'x@y.z' } as Stripe.CustomerCreateParams)).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'parameter_unknown',
      param: 'emali',
      statusCode: 400,
    });
    await expect(
      stripe.customers.create({ invoice_settings: { default_payment_methd: 'pm_x' } } as unknown as Stripe.CustomerCreateParams),
    ).rejects.toMatchObject({ code: 'parameter_unknown', param: 'invoice_settings[default_payment_methd]' });
  });

  it('refuses real Stripe parameters it does not model, instead of silently ignoring them', async () => {
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 100,
      recurring: { interval: 'month' },
      product_data: { name: 'X' },
    });
    const c = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    await expect(
      stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }], billing_cycle_anchor: 1_900_000_000 }),
    ).rejects.toMatchObject({
      code: 'parameter_unsupported_by_emulator',
      param: 'billing_cycle_anchor',
      statusCode: 400,
    });
    await expect(
      stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }], automatic_tax: { enabled: true } }),
    ).rejects.toMatchObject({ param: 'automatic_tax[enabled]' });
    await expect(
      stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }], automatic_tax: { enabled: false } }),
    ).resolves.toMatchObject({ status: 'active' });
  });

  it('rejects a bad integer and a missing required parameter', async () => {
    await expect(
      stripe.prices.create({ currency: 'usd', unit_amount: 'ten' as unknown as number, product_data: { name: 'X' } }),
    ).rejects.toMatchObject({ code: 'parameter_invalid_integer', param: 'unit_amount' });
    await expect(
      stripe.prices.create({ unit_amount: 100, product_data: { name: 'X' } } as Stripe.PriceCreateParams),
    ).rejects.toMatchObject({ code: 'parameter_missing', param: 'currency' });
  });

  it('answers 404 resource_missing for unknown ids and unknown URLs', async () => {
    await expect(stripe.customers.retrieve('cus_nope')).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'id',
      message: "No such customer: 'cus_nope'",
    });
    const res = await fetch(`${t.emulator.url}/v1/nothing`, { headers: { authorization: `Bearer ${t.emulator.secretKey}` } });
    expect(res.status).toBe(404);
  });

  it('sends a request-id header on every response, surfaced by the SDK', async () => {
    const c = await stripe.customers.create({ email: 'r@x.io' });
    expect(c.lastResponse.requestId).toMatch(/^req_/);
    const err = await stripe.customers.retrieve('cus_missing').catch((e: Stripe.errors.StripeError) => e);
    expect((err as Stripe.errors.StripeError).requestId).toMatch(/^req_/);
  });
});

describe('idempotency', () => {
  it('replays the first response for the same key and parameters', async () => {
    const a = await stripe.customers.create({ email: 'idem@x.io' }, { idempotencyKey: 'key-1' });
    const b = await stripe.customers.create({ email: 'idem@x.io' }, { idempotencyKey: 'key-1' });
    expect(b.id).toBe(a.id);
    expect(b.lastResponse.headers['idempotent-replayed']).toBe('true');
    const all = await stripe.customers.list();
    expect(all.data).toHaveLength(1);
  });

  it('refuses the same key with different parameters (idempotency_error)', async () => {
    await stripe.customers.create({ email: 'one@x.io' }, { idempotencyKey: 'key-2' });
    await expect(stripe.customers.create({ email: 'two@x.io' }, { idempotencyKey: 'key-2' })).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
      statusCode: 400,
    });
  });

  it('does not store validation failures, so a corrected retry with the same key works', async () => {
    await expect(
      stripe.customers.create({ bogus: 1 } as Stripe.CustomerCreateParams, { idempotencyKey: 'key-3' }),
    ).rejects.toMatchObject({ code: 'parameter_unknown' });
    await expect(
      stripe.customers.create({ bogus: 1 } as Stripe.CustomerCreateParams, { idempotencyKey: 'key-3' }),
    ).rejects.toMatchObject({ code: 'parameter_unknown' });
  });
});

describe('lists, pagination, expand and search', () => {
  it('pages with limit, starting_after, ending_before and has_more, newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await stripe.customers.create({ email: `p${i}@x.io` })).id);
    const newest = [...ids].reverse();
    const first = await stripe.customers.list({ limit: 3 });
    expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/customers' });
    expect(first.data.map((c) => c.id)).toEqual(newest.slice(0, 3));
    const second = await stripe.customers.list({ limit: 3, starting_after: first.data[2]!.id });
    expect(second.data.map((c) => c.id)).toEqual(newest.slice(3, 6));
    const last = await stripe.customers.list({ limit: 3, starting_after: second.data[2]!.id });
    expect(last.has_more).toBe(false);
    expect(last.data.map((c) => c.id)).toEqual(newest.slice(6));
    const back = await stripe.customers.list({ limit: 2, ending_before: second.data[0]!.id });
    expect(back.data.map((c) => c.id)).toEqual(newest.slice(1, 3));
    expect(back.has_more).toBe(true);
    const auto: string[] = [];
    for await (const c of stripe.customers.list({ limit: 2 })) auto.push(c.id);
    expect(auto).toEqual(newest);
    await expect(stripe.customers.list({ limit: 101 })).rejects.toMatchObject({ param: 'limit' });
  });

  it('expands ids, nested paths and list data', async () => {
    const product = await stripe.products.create({ name: 'Expandable' });
    await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 500, recurring: { interval: 'month' } });
    const list = await stripe.prices.list({ expand: ['data.product'] });
    expect((list.data[0]!.product as Stripe.Product).name).toBe('Expandable');
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: list.data[0]!.id }] });
    const got = await stripe.subscriptions.retrieve(sub.id, {
      expand: ['latest_invoice.payments', 'customer', 'items.data.price.product'],
    });
    expect((got.customer as Stripe.Customer).id).toBe(customer.id);
    const invoice = got.latest_invoice as Stripe.Invoice;
    expect(invoice.object).toBe('invoice');
    expect(invoice.payments?.data[0]?.status).toBe('paid');
    expect((got.items.data[0]!.price.product as Stripe.Product).name).toBe('Expandable');
    await expect(stripe.customers.retrieve(customer.id, { expand: ['nonsense'] })).rejects.toMatchObject({ param: 'expand' });
  });

  it('searches customers and subscriptions by email and metadata', async () => {
    await stripe.customers.create({ email: 'find@me.io', metadata: { userId: 'u_1' } });
    await stripe.customers.create({ email: 'other@me.io', metadata: { userId: 'u_2' } });
    const byEmail = await stripe.customers.search({ query: "email:'find@me.io'" });
    expect(byEmail).toMatchObject({ object: 'search_result' });
    expect(byEmail.data.map((c) => c.email)).toEqual(['find@me.io']);
    const byMeta = await stripe.customers.search({ query: "metadata['userId']:'u_2'" });
    expect(byMeta.data.map((c) => c.email)).toEqual(['other@me.io']);
    const both = await stripe.customers.search({ query: "metadata['userId']:'u_1' OR metadata['userId']:'u_2'" });
    expect(both.data).toHaveLength(2);
    await expect(stripe.customers.search({ query: "email:'a' AND name:'b' OR phone:'c'" })).rejects.toMatchObject({
      param: 'query',
    });
  });
});

describe('injected API faults', () => {
  it('a 500 is retried by the SDK and the call then succeeds', async () => {
    await t.control.injectApiFault({ status: 500, count: 1, pathPrefix: '/v1/customers' });
    const c = await stripe.customers.create({ email: 'retry@x.io' });
    expect(c.id).toMatch(/^cus_/);
    expect((await stripe.customers.list()).data).toHaveLength(1);
  });

  it('a 500 after the change was made: the SDK retry replays it, so nothing happens twice', async () => {
    await t.control.injectApiFault({ status: 500, pathPrefix: '/v1/customers', afterExecution: true });
    const c = await stripe.customers.create({ email: 'once@x.io' });
    expect(c.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await stripe.customers.list()).data.map((x) => x.id)).toEqual([c.id]);
    // Without retries the caller sees the error although the customer exists: drift to reconcile.
    await t.control.injectApiFault({ status: 500, pathPrefix: '/v1/customers', afterExecution: true });
    await expect(sdkFor(t.emulator, t.emulator.secretKey, 0).customers.create({ email: 'lost@x.io' })).rejects.toMatchObject({
      statusCode: 500,
    });
    expect((await stripe.customers.list()).data).toHaveLength(2);
  });

  it('a 429 surfaces as a rate-limit error', async () => {
    await t.control.injectApiFault({ status: 429, count: 1 });
    await expect(stripe.products.list()).rejects.toMatchObject({
      type: 'StripeRateLimitError',
      statusCode: 429,
      code: 'rate_limit',
    });
    await expect(stripe.products.list()).resolves.toMatchObject({ object: 'list' });
  });

  it('more failures than retries reach the caller as an API error', async () => {
    await t.control.injectApiFault({ status: 500, count: 3, method: 'GET' });
    await expect(stripe.customers.list()).rejects.toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
  });
});
