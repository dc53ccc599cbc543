// Hosted Checkout with each of Stripe's test cards, promotion codes, 3-D Secure, expiry; then the
// billing portal and the hosted invoice page (with a real PDF). Forms are posted over plain HTTP.
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cardFields, payCheckout, postForm, startTestStripe, type TestStripe } from './testing.js';

let t: TestStripe;
let stripe: Stripe;
let price: Stripe.Price;
beforeAll(async () => {
  t = await startTestStripe();
  stripe = t.stripe;
});
afterAll(() => t.stop());
beforeEach(async () => {
  await t.control.reset();
  price = await stripe.prices.create({
    currency: 'usd',
    unit_amount: 1500,
    recurring: { interval: 'month' },
    product_data: { name: 'DropIn Plus' },
  });
});

async function session(extra: Partial<Stripe.Checkout.SessionCreateParams> = {}) {
  return stripe.checkout.sessions.create({
    mode: 'subscription',
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: 'https://app.example/billing/success?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://app.example/billing',
    client_reference_id: 'user_123',
    customer_email: 'buyer@example.com',
    ...extra,
  });
}

describe('hosted checkout page', () => {
  it('shows a labelled card form and the plan', async () => {
    const cs = await session();
    expect(cs.url).toBe(`${t.emulator.url}/c/pay/${cs.id}`);
    expect(cs.ui_mode).toBe('hosted_page');
    await expect(session({ ui_mode: 'embedded_page', return_url: 'https://app.example/r' })).rejects.toMatchObject({
      statusCode: 400,
      param: 'ui_mode',
    });
    const html = await (await fetch(cs.url!)).text();
    for (const label of ['Card number', 'Expiration', 'CVC', 'Cardholder name']) expect(html).toContain(`>${label}</label>`);
    expect(html).toContain('>Subscribe</button>');
    expect(html).toContain('DropIn Plus');
  });

  it('4242 4242 4242 4242 succeeds: customer, subscription, paid invoice, events, redirect', async () => {
    const cs = await session({ subscription_data: { metadata: { userId: 'u_1' } } });
    const res = await payCheckout(cs.url!, { number: '4242 4242 4242 4242' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`https://app.example/billing/success?session_id=${cs.id}`);
    const done = await stripe.checkout.sessions.retrieve(cs.id, { expand: ['subscription', 'line_items'] });
    expect(done).toMatchObject({
      status: 'complete',
      payment_status: 'paid',
      client_reference_id: 'user_123',
      amount_total: 1500,
    });
    const sub = done.subscription as Stripe.Subscription;
    expect(sub).toMatchObject({ status: 'active', metadata: { userId: 'u_1' } });
    expect(done.line_items?.data[0]).toMatchObject({ quantity: 1, amount_total: 1500 });
    const customer = (await stripe.customers.retrieve(done.customer as string)) as Stripe.Customer;
    expect(customer.email).toBe('buyer@example.com');
    const pms = await stripe.customers.listPaymentMethods(customer.id);
    expect(pms.data[0]!.card).toMatchObject({ last4: '4242', brand: 'visa' });
    expect(sub.default_payment_method).toBe(pms.data[0]!.id);
    const types = (await stripe.events.list({ limit: 100 })).data.map((e) => e.type);
    for (const type of [
      'checkout.session.completed',
      'customer.subscription.created',
      'invoice.paid',
      'invoice.finalized',
      'customer.created',
    ])
      expect(types).toContain(type);
  });

  it('4000 0000 0000 0002 is declined (generic_decline) and the session stays open', async () => {
    const cs = await session();
    const res = await payCheckout(cs.url!, { number: '4000000000000002' });
    expect(res.status).toBe(200);
    expect(res.html).toContain('Your card was declined.');
    expect((await stripe.checkout.sessions.retrieve(cs.id)).status).toBe('open');
    expect((await stripe.subscriptions.list({ status: 'all' })).data).toHaveLength(0);
  });

  it('4000 0000 0000 9995 is declined for insufficient funds', async () => {
    const cs = await session();
    const res = await payCheckout(cs.url!, { number: '4000000000009995' });
    expect(res.html).toContain('Your card has insufficient funds.');
  });

  it('4000 0000 0000 0341 attaches for a trial, then the first charge fails', async () => {
    const noTrial = await payCheckout((await session()).url!, { number: '4000000000000341' });
    expect(noTrial.html).toContain('Your card was declined.');
    const cs = await session({ subscription_data: { trial_period_days: 7 } });
    const page = await (await fetch(cs.url!)).text();
    expect(page).toContain('>Start trial</button>');
    const res = await payCheckout(cs.url!, { number: '4000000000000341' });
    expect(res.status).toBe(303);
    const done = await stripe.checkout.sessions.retrieve(cs.id, { expand: ['subscription'] });
    expect(done.payment_status).toBe('no_payment_required');
    const sub = done.subscription as Stripe.Subscription;
    expect(sub.status).toBe('trialing');
    await t.control.advanceCustomer(done.customer as string, { seconds: 8 * 86_400 });
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
  });

  for (const number of ['4000002500003155', '4000002760003184', '4000000000003220']) {
    it(`${number} asks for authentication; completing it subscribes, failing it does not`, async () => {
      const cs = await session();
      const failed = await payCheckout(cs.url!, { number }, 'fail');
      expect(failed.authenticated).toBe(true);
      expect(failed.html).toContain('unable to authenticate');
      const ok = await payCheckout(cs.url!, { number }, 'complete');
      expect(ok.status).toBe(303);
      expect((await stripe.checkout.sessions.retrieve(cs.id)).status).toBe('complete');
    });
  }

  it('4000 0027 6000 3184 later fails off-session renewals with payment_action_required', async () => {
    const cs = await session();
    await payCheckout(cs.url!, { number: '4000002760003184' });
    const done = await stripe.checkout.sessions.retrieve(cs.id);
    await t.control.advanceCustomer(done.customer as string, { seconds: 32 * 86_400 });
    const types = (await stripe.events.list({ limit: 100 })).data.map((e) => e.type);
    expect(types).toContain('invoice.payment_action_required');
    expect((await stripe.subscriptions.retrieve(done.subscription as string)).status).toBe('past_due');
  });

  it('asks for an email when the session has neither customer nor customer_email', async () => {
    const cs = await session({ customer_email: undefined });
    expect(await (await fetch(cs.url!)).text()).toContain('>Email</label>');
    const noEmail = await postForm(cs.url!, { ...cardFields({ number: '4242424242424242' }), action: 'pay' });
    expect(noEmail.html).toContain('Enter your email address.');
    const ok = await postForm(cs.url!, { ...cardFields({ number: '4242424242424242', email: 'typed@x.io' }), action: 'pay' });
    expect(ok.status).toBe(303);
  });

  it('refuses an invalid card number before charging', async () => {
    const res = await payCheckout((await session()).url!, { number: '4242424242424241' });
    expect(res.html).toContain('Your card number is invalid.');
  });

  it('applies a promotion code typed on the page', async () => {
    const coupon = await stripe.coupons.create({ percent_off: 20, duration: 'forever' });
    await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'LAUNCH20' });
    const cs = await session({ allow_promotion_codes: true });
    const bad = await postForm(cs.url!, {
      ...cardFields({ number: '4242424242424242' }),
      promotion_code: 'NOPE',
      action: 'apply',
    });
    expect(bad.html).toContain('This code is invalid.');
    const applied = await postForm(cs.url!, {
      ...cardFields({ number: '4242424242424242' }),
      promotion_code: 'launch20',
      action: 'apply',
    });
    expect(applied.html).toContain('$12.00');
    const res = await payCheckout(cs.url!, { number: '4242424242424242', promotionCode: 'LAUNCH20' });
    expect(res.status).toBe(303);
    const done = await stripe.checkout.sessions.retrieve(cs.id, { expand: ['subscription.latest_invoice'] });
    expect(done.amount_total).toBe(1200);
    const sub = done.subscription as Stripe.Subscription;
    expect(sub.discounts).toHaveLength(1);
    expect((sub.latest_invoice as Stripe.Invoice).total).toBe(1200);
    expect((await stripe.coupons.retrieve(coupon.id)).times_redeemed).toBe(1);
  });

  it('sessions expire: by the expire endpoint, and the page then says so', async () => {
    const cs = await session();
    const expired = await stripe.checkout.sessions.expire(cs.id);
    expect(expired).toMatchObject({ status: 'expired', url: null });
    expect((await fetch(cs.url!)).status).toBe(410);
    await expect(stripe.checkout.sessions.expire(cs.id)).rejects.toMatchObject({ statusCode: 400 });
    await expect(session({ expires_at: Math.floor(Date.now() / 1000) + 60 })).rejects.toMatchObject({ param: 'expires_at' });
  });

  it('sessions expire on their own once expires_at passes (customer time), with a webhook event', async () => {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000) });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    const cs = await session({ customer: customer.id, customer_email: undefined, expires_at: clock.frozen_time + 3600 });
    await t.control.tick();
    expect((await stripe.events.list({ type: 'checkout.session.expired' })).data).toHaveLength(0);
    await t.control.advanceCustomer(customer.id, { seconds: 3601 });
    await t.control.tick();
    const expired = await stripe.events.list({ type: 'checkout.session.expired' });
    expect(expired.data.map((e) => (e.data.object as Stripe.Checkout.Session).id)).toEqual([cs.id]);
  });

  it('validates line items as Stripe does', async () => {
    await expect(session({ line_items: [] })).rejects.toMatchObject({ param: 'line_items' });
    const oneTime = await stripe.prices.create({ currency: 'usd', unit_amount: 100, product_data: { name: 'One-off' } });
    await expect(session({ line_items: [{ price: oneTime.id, quantity: 1 }] })).rejects.toMatchObject({
      param: 'line_items[0][price]',
    });
    await expect(session({ customer: 'cus_missing', customer_email: undefined })).rejects.toMatchObject({
      code: 'resource_missing',
      param: 'customer',
    });
  });
});

describe('billing portal and hosted invoices', () => {
  async function subscribed() {
    const cs = await session();
    await payCheckout(cs.url!, { number: '4242424242424242' });
    const done = await stripe.checkout.sessions.retrieve(cs.id);
    return { customer: done.customer as string, subscription: done.subscription as string };
  }

  it('refuses a session naming no configuration until the account has a default, as Stripe does', async () => {
    const { customer } = await subscribed();
    await expect(
      stripe.billingPortal.sessions.create({ customer, return_url: 'https://app.example/account' }),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('default configuration has not been created') });
    const saved = await t.control.saveDefaultPortalConfiguration();
    const portal = await stripe.billingPortal.sessions.create({ customer, return_url: 'https://app.example/account' });
    expect(portal.configuration).toBe(saved.id);
  });

  it('shows the plan and cancels at period end, then renews', async () => {
    const { customer, subscription } = await subscribed();
    await t.control.saveDefaultPortalConfiguration();
    const portal = await stripe.billingPortal.sessions.create({ customer, return_url: 'https://app.example/account' });
    expect(portal.url).toBe(`${t.emulator.url}/p/session/${portal.id}`);
    const html = await (await fetch(portal.url)).text();
    expect(html).toContain('Return to DropIn');
    expect(html).toContain('>Cancel plan</button>');
    expect(html).toContain('>Update payment method</button>');
    const cancel = await postForm(`${portal.url}/cancel`, { subscription });
    expect(cancel.status).toBe(303);
    expect((await stripe.subscriptions.retrieve(subscription)).cancel_at_period_end).toBe(true);
    expect(await (await fetch(`${t.emulator.url}${cancel.location}`)).text()).toContain('>Renew plan</button>');
    await postForm(`${portal.url}/renew`, { subscription });
    expect((await stripe.subscriptions.retrieve(subscription)).cancel_at_period_end).toBe(false);
  });

  it('follows the portal configuration: plan switching offered, cancel immediately', async () => {
    const { customer, subscription } = await subscribed();
    const premium = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 4500,
      recurring: { interval: 'month' },
      product_data: { name: 'DropIn Premium' },
    });
    const configuration = await stripe.billingPortal.configurations.create({
      business_profile: { headline: 'DropIn billing' },
      features: {
        subscription_update: {
          enabled: true,
          default_allowed_updates: ['price'],
          proration_behavior: 'always_invoice',
          products: [{ product: premium.product as string, prices: [premium.id] }],
        },
        subscription_cancel: { enabled: true, mode: 'immediately' },
        invoice_history: { enabled: false },
      },
    });
    expect(configuration).toMatchObject({
      is_default: false,
      features: { subscription_cancel: { mode: 'immediately' }, invoice_history: { enabled: false } },
    });
    const portal = await stripe.billingPortal.sessions.create({
      customer,
      configuration: configuration.id,
      return_url: 'https://app.example/account',
    });
    const html = await (await fetch(portal.url)).text();
    expect(html).toContain('DropIn billing');
    expect(html).toContain('Switch to DropIn Premium');
    expect(html).not.toContain('Invoice history');
    expect((await postForm(`${portal.url}/switch`, { subscription, price: premium.id })).status).toBe(303);
    const switched = await stripe.subscriptions.retrieve(subscription, { expand: ['latest_invoice'] });
    expect(switched.items.data[0]!.price.id).toBe(premium.id);
    expect((switched.latest_invoice as Stripe.Invoice).billing_reason).toBe('subscription_update');
    await postForm(`${portal.url}/cancel`, { subscription });
    expect((await stripe.subscriptions.retrieve(subscription)).status).toBe('canceled');
    expect((await stripe.billingPortal.configurations.list({ is_default: true })).data).toHaveLength(0);
  });

  it('updates the payment method and pays what is owed', async () => {
    const { customer, subscription } = await subscribed();
    const sub = await stripe.subscriptions.retrieve(subscription);
    await t.control.setCardBehavior(sub.default_payment_method as string, 'decline_generic');
    await t.control.advanceCustomer(customer, { seconds: 32 * 86_400 });
    expect((await stripe.subscriptions.retrieve(subscription)).status).toBe('past_due');
    await t.control.saveDefaultPortalConfiguration();
    const portal = await stripe.billingPortal.sessions.create({ customer, return_url: 'https://app.example/account' });
    const res = await postForm(`${portal.url}/payment-method`, cardFields({ number: '5555 5555 5555 4444' }));
    expect(res.status).toBe(303);
    const after = await stripe.subscriptions.retrieve(subscription, { expand: ['default_payment_method'] });
    expect(after.status).toBe('active');
    expect((after.default_payment_method as Stripe.PaymentMethod).card?.last4).toBe('4444');
    const c = (await stripe.customers.retrieve(customer)) as Stripe.Customer;
    expect(c.invoice_settings.default_payment_method).toBe((after.default_payment_method as Stripe.PaymentMethod).id);
  });

  it('3-D Secure on the portal and the invoice page: completing saves / pays, failing does not', async () => {
    const { customer, subscription } = await subscribed();
    await t.control.saveDefaultPortalConfiguration();
    const portal = await stripe.billingPortal.sessions.create({ customer, return_url: 'https://app.example/account' });
    const ask = await postForm(`${portal.url}/payment-method`, cardFields({ number: '4000002760003184' }));
    expect(ask.html).toContain('>Complete authentication</button>');
    const refused = await postForm(`${portal.url}/payment-method/authenticate`, {
      ...cardFields({ number: '4000002760003184' }),
      decision: 'fail',
    });
    expect(refused.html).toContain('unable to authenticate');
    expect((await stripe.customers.listPaymentMethods(customer)).data).toHaveLength(1);
    const saved = await postForm(`${portal.url}/payment-method/authenticate`, {
      ...cardFields({ number: '4000002760003184' }),
      decision: 'complete',
    });
    expect(saved.status).toBe(303);
    expect((await stripe.customers.listPaymentMethods(customer)).data).toHaveLength(2);

    // That card needs authentication off-session, so the renewal fails and waits on the invoice page.
    await t.control.advanceCustomer(customer, { seconds: 32 * 86_400 });
    const open = (await stripe.invoices.list({ customer, status: 'open' })).data[0]!;
    expect((await stripe.subscriptions.retrieve(subscription)).status).toBe('past_due');
    const step = await postForm(open.hosted_invoice_url!, cardFields({ number: '4000000000003220' }));
    expect(step.html).toContain('>Fail authentication</button>');
    const paid = await postForm(`${open.hosted_invoice_url}/authenticate`, {
      ...cardFields({ number: '4000000000003220' }),
      decision: 'complete',
    });
    expect(paid.status).toBe(303);
    expect((await stripe.invoices.retrieve(open.id)).status).toBe('paid');
    expect((await stripe.subscriptions.retrieve(subscription)).status).toBe('active');
  });

  it('serves the hosted invoice page, pays an open invoice there, and serves a real PDF', async () => {
    const { customer, subscription } = await subscribed();
    const sub = await stripe.subscriptions.retrieve(subscription);
    await t.control.setCardBehavior(sub.default_payment_method as string, 'attach_then_fail');
    await t.control.advanceCustomer(customer, { seconds: 32 * 86_400 });
    const open = (await stripe.invoices.list({ customer, status: 'open' })).data[0]!;
    expect(open.hosted_invoice_url).toBe(`${t.emulator.url}/i/${open.id}`);
    const page = await (await fetch(open.hosted_invoice_url!)).text();
    expect(page).toContain('Pay $15.00');
    const declined = await postForm(open.hosted_invoice_url!, cardFields({ number: '4000000000009995' }));
    expect(declined.html).toContain('insufficient funds');
    const paid = await postForm(open.hosted_invoice_url!, cardFields({ number: '4242424242424242' }));
    expect(paid.status).toBe(303);
    expect((await stripe.invoices.retrieve(open.id)).status).toBe('paid');
    expect((await stripe.subscriptions.retrieve(subscription)).status).toBe('active');
    const pdf = await fetch(open.invoice_pdf!);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(1000);
  });
});
