// Checkout Sessions in subscription mode, and what happens when a person completes the hosted page:
// customer, payment method, subscription (trialing or active), first invoice, and the events.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { invalidRequest } from '../errors.js';
import { registerIncludable } from '../expand.js';
import { randomToken } from '../ids.js';
import { fullList, inRange, paginate } from '../list.js';
import { listFields, p, parse, required } from '../params.js';
import type { Router } from '../router.js';
import { createSubscription, productName } from '../engine/billing.js';
import { idOf, mergeMetadata, mustGet } from './common.js';
import { createCustomer } from './customers.js';
import { createDiscount, findPromotionCode, promotionCodeUsable } from './discounts.js';
import { attachPaymentMethod, createCardPaymentMethod, TEST_CARDS } from './paymentMethods.js';

interface CreateParams {
  mode?: string;
  line_items?: { price?: string; quantity?: number }[];
  customer?: string;
  customer_email?: string;
  client_reference_id?: string;
  success_url?: string;
  cancel_url?: string;
  allow_promotion_codes?: boolean;
  discounts?: { coupon?: string; promotion_code?: string }[];
  subscription_data?: {
    trial_period_days?: number;
    trial_end?: number;
    metadata?: Record<string, string | null>;
    description?: string;
  };
  metadata?: Record<string, string | null>;
  expires_at?: number;
  locale?: string;
  ui_mode?: string;
  return_url?: string;
}

export function lineItemsOf(emu: Emulator, session: Stripe.Checkout.Session): Stripe.LineItem[] {
  const meta = emu.state.checkoutMeta[session.id];
  return (meta?.items ?? []).map((it, i) => {
    const price = mustGet(emu.state.prices, it.price, 'price');
    const subtotal = price.recurring?.usage_type === 'metered' ? 0 : (price.unit_amount ?? 0) * it.quantity;
    return {
      id: `li_${session.id.slice(3, 20)}${i}`,
      object: 'item',
      adjustable_quantity: null,
      amount_discount: 0,
      amount_subtotal: subtotal,
      amount_tax: 0,
      amount_total: subtotal,
      currency: price.currency,
      description: productName(emu, price),
      metadata: {},
      price,
      quantity: price.recurring?.usage_type === 'metered' ? null : it.quantity,
    } satisfies Stripe.LineItem;
  });
}

/** Sessions past `expires_at` turn `expired` the first time anyone looks (Stripe does it on a timer). */
export function refreshExpiry(emu: Emulator, session: Stripe.Checkout.Session): void {
  if (session.status === 'open' && emu.now(idOf(session.customer as string)) >= session.expires_at) {
    session.status = 'expired';
    session.url = null;
    emu.emit('checkout.session.expired', session, { customer: idOf(session.customer as string) });
  }
}

export type CheckoutResult =
  | { ok: true; redirect: string }
  | { ok: false; error: string; field?: 'card' | 'promo' | 'email' }
  | { ok: false; needsAuthentication: true };

export interface CardForm {
  number: string;
  expMonth: number;
  expYear: number;
  name: string;
  email?: string;
  promotionCode?: string;
  authenticated?: boolean;
}

/** Validate a promotion code typed on the hosted page; returns an error message or null. */
export function checkPromotionCode(emu: Emulator, session: Stripe.Checkout.Session, code: string): string | null {
  if (!session.allow_promotion_codes) return 'Promotion codes are not accepted for this purchase.';
  const promo = findPromotionCode(emu, code);
  if (!promo) return 'This code is invalid.';
  return promotionCodeUsable(emu, promo, idOf(session.customer as string), emu.now(idOf(session.customer as string)));
}

export function completeCheckout(emu: Emulator, session: Stripe.Checkout.Session, form: CardForm): CheckoutResult {
  refreshExpiry(emu, session);
  if (session.status !== 'open') return { ok: false, error: 'This checkout session is no longer available.' };
  const meta = emu.state.checkoutMeta[session.id]!;
  const card = TEST_CARDS[form.number];
  const trial = Boolean(meta.trialDays || meta.trialEnd);
  if (card?.behavior === 'decline_generic') return { ok: false, error: 'Your card was declined.', field: 'card' };
  if (card?.behavior === 'decline_insufficient_funds')
    return { ok: false, error: 'Your card has insufficient funds.', field: 'card' };
  if (card?.behavior === 'attach_then_fail' && !trial) return { ok: false, error: 'Your card was declined.', field: 'card' };
  if ((card?.behavior === 'auth_setup' || card?.behavior === 'auth_always') && !form.authenticated)
    return { ok: false, needsAuthentication: true };

  let promoId: string | undefined;
  if (form.promotionCode) {
    const problem = checkPromotionCode(emu, session, form.promotionCode);
    if (problem) return { ok: false, error: problem, field: 'promo' };
    promoId = findPromotionCode(emu, form.promotionCode)!.id;
  }

  let customer = session.customer ? emu.state.customers.get(idOf(session.customer as string)!) : undefined;
  const email = customer?.email ?? session.customer_email ?? form.email ?? null;
  if (!customer && !email) return { ok: false, error: 'Enter your email address.', field: 'email' };
  if (!customer) customer = createCustomer(emu, { email, name: form.name || null });
  const now = emu.now(customer.id);

  const pm = createCardPaymentMethod(emu, form.number, {
    expMonth: form.expMonth,
    expYear: form.expYear,
    name: form.name || null,
    email,
    created: now,
  });
  attachPaymentMethod(emu, pm, customer.id);

  const discounts: string[] = [];
  if (promoId)
    discounts.push(createDiscount(emu, { promotionCode: promoId, customer: customer.id, checkoutSession: session.id, now }).id);
  for (const d of session.discounts ?? []) {
    discounts.push(
      createDiscount(emu, {
        coupon: idOf(d.coupon as string) ?? undefined,
        promotionCode: idOf(d.promotion_code as string) ?? undefined,
        customer: customer.id,
        checkoutSession: session.id,
        now,
      }).id,
    );
  }

  const items = meta.items.map((it) => ({ price: mustGet(emu.state.prices, it.price, 'price'), quantity: it.quantity }));
  const trialEnd = meta.trialEnd ?? (meta.trialDays ? now + meta.trialDays * 86_400 : null);
  const { sub, invoice, outcome } = createSubscription(emu, {
    customer,
    items,
    trialEnd,
    defaultPaymentMethod: pm.id,
    metadata: meta.subMetadata ?? {},
    discounts,
    onSession: true,
    paymentBehavior: 'allow_incomplete',
    beforePayment: (s) => (session.subscription = s.id),
  });
  if (!outcome.ok) return { ok: false, error: outcome.message, field: 'card' };

  session.status = 'complete';
  session.customer = customer.id;
  session.subscription = sub.id;
  session.invoice = invoice.id;
  session.url = null;
  session.payment_status = invoice.amount_paid > 0 ? 'paid' : 'no_payment_required';
  session.amount_subtotal = invoice.subtotal;
  session.amount_total = invoice.total;
  session.total_details = { amount_discount: invoice.subtotal - invoice.total, amount_shipping: 0, amount_tax: 0 };
  session.customer_details = {
    address: null,
    business_name: null,
    email,
    individual_name: null,
    name: form.name || customer.name || null,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
  if (promoId) session.discounts = [{ coupon: null, promotion_code: promoId }];
  emu.emit('checkout.session.completed', session, { customer: customer.id });
  const redirect = (session.success_url ?? '').replaceAll('{CHECKOUT_SESSION_ID}', session.id);
  return { ok: true, redirect };
}

export function registerCheckout(router: Router): void {
  registerIncludable('checkout.session', 'line_items', (emu, obj) =>
    fullList(lineItemsOf(emu, obj as unknown as Stripe.Checkout.Session), `/v1/checkout/sessions/${String(obj.id)}/line_items`),
  );

  router.post('/v1/checkout/sessions', ({ emu, raw }) => {
    const body = parse<CreateParams>(
      {
        mode: p.enum('payment', 'setup', 'subscription'),
        line_items: p.arr(
          p.obj({
            price: p.str,
            quantity: p.int,
            adjustable_quantity: p.unsupported,
            dynamic_tax_rates: p.unsupported,
            price_data: p.unsupported,
            tax_rates: p.unsupported,
            metadata: p.meta,
          }),
        ),
        customer: p.str,
        customer_email: p.str,
        client_reference_id: p.str,
        success_url: p.str,
        cancel_url: p.str,
        allow_promotion_codes: p.bool,
        discounts: p.arr(p.obj({ coupon: p.str, promotion_code: p.str })),
        subscription_data: p.obj({
          trial_period_days: p.int,
          trial_end: p.int,
          metadata: p.meta,
          description: p.str,
          application_fee_percent: p.unsupported,
          billing_cycle_anchor: p.unsupported,
          billing_cycle_anchor_config: p.unsupported,
          billing_mode: p.any,
          default_tax_rates: p.unsupported,
          invoice_settings: p.any,
          on_behalf_of: p.unsupported,
          pending_invoice_item_interval: p.unsupported,
          proration_behavior: p.any,
          transfer_data: p.unsupported,
          trial_settings: p.any,
        }),
        metadata: p.meta,
        expires_at: p.int,
        locale: p.str,
        ui_mode: p.enum('hosted_page', 'embedded_page', 'elements', 'form'),
        return_url: p.str,
        adaptive_pricing: p.any,
        after_expiration: p.any,
        allowed_payment_method_types: p.any,
        automatic_tax: p.obj({ enabled: p.or(p.enum('false'), p.unsupported), liability: p.any }),
        billing_address_collection: p.any,
        branding_settings: p.any,
        consent_collection: p.any,
        currency: p.str,
        custom_fields: p.unsupported,
        custom_text: p.any,
        customer_account: p.str,
        customer_creation: p.any,
        customer_update: p.any,
        excluded_payment_method_types: p.any,
        integration_identifier: p.any,
        invoice_creation: p.any,
        managed_payments: p.any,
        name_collection: p.any,
        optional_items: p.unsupported,
        origin_context: p.any,
        payment_intent_data: p.any,
        payment_method_collection: p.any,
        payment_method_configuration: p.any,
        payment_method_data: p.any,
        payment_method_options: p.any,
        payment_method_types: p.arr(p.enum('card')),
        permissions: p.any,
        phone_number_collection: p.any,
        redirect_on_completion: p.any,
        saved_payment_method_options: p.any,
        setup_intent_data: p.any,
        shipping_address_collection: p.any,
        shipping_options: p.any,
        submit_type: p.any,
        tax_id_collection: p.any,
        wallet_options: p.any,
      },
      raw,
    );
    const mode = required<string>(body, 'mode');
    if (mode !== 'subscription')
      throw invalidRequest('The emulator supports Checkout in `subscription` mode only.', { param: 'mode' });
    if (body.ui_mode && body.ui_mode !== 'hosted_page')
      throw invalidRequest('The emulator supports hosted Checkout only.', { param: 'ui_mode' });
    const successUrl = required<string>(body, 'success_url');
    if (!/^https?:\/\//.test(successUrl)) throw invalidRequest('Not a valid URL', { param: 'success_url', code: 'url_invalid' });
    if (body.customer && body.customer_email)
      throw invalidRequest('You may only specify one of these parameters: customer, customer_email.', {
        param: 'customer_email',
      });
    if (body.allow_promotion_codes && body.discounts?.length)
      throw invalidRequest('You may only specify one of these parameters: allow_promotion_codes, discounts.', {
        param: 'discounts',
      });
    const customer = body.customer ? mustGet(emu.state.customers, body.customer, 'customer') : undefined;
    const lineItems = body.line_items ?? [];
    if (lineItems.length === 0)
      throw invalidRequest('`line_items` is required in `subscription` mode.', {
        param: 'line_items',
        code: 'parameter_missing',
      });
    const items = lineItems.map((li, i) => {
      const price = mustGet(emu.state.prices, required(li as Record<string, unknown>, 'price'), `line_items[${i}][price]`);
      if (!price.active) throw invalidRequest(`The price \`${price.id}\` is not active.`, { param: `line_items[${i}][price]` });
      if (!price.recurring)
        throw invalidRequest('You must provide at least one recurring price in `subscription` mode when using prices.', {
          param: `line_items[${i}][price]`,
        });
      const metered = price.recurring.usage_type === 'metered';
      if (!metered && li.quantity === undefined)
        throw invalidRequest(`Missing required param: line_items[${i}][quantity].`, {
          param: `line_items[${i}][quantity]`,
          code: 'parameter_missing',
        });
      if (metered && li.quantity !== undefined)
        throw invalidRequest(
          'Quantity should not be specified where usage_type is `metered`. Remove quantity from `line_items`.',
          { param: `line_items[${i}][quantity]` },
        );
      return { price, quantity: li.quantity ?? 1 };
    });
    const now = emu.now(customer?.id);
    const expiresAt = body.expires_at ?? now + 24 * 3600;
    if (expiresAt < now + 30 * 60 - 5 || expiresAt > now + 24 * 3600 + 5) {
      throw invalidRequest('The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.', {
        param: 'expires_at',
      });
    }
    const trialDays = body.subscription_data?.trial_period_days;
    if (trialDays !== undefined && trialDays < 1)
      throw invalidRequest('The minimum number of trial period days is 1.', { param: 'subscription_data[trial_period_days]' });
    const subtotal = items.reduce(
      (s, it) => s + (it.price.recurring?.usage_type === 'metered' ? 0 : (it.price.unit_amount ?? 0) * it.quantity),
      0,
    );
    const discounts = (body.discounts ?? []).map((d, i) => {
      if (d.coupon) mustGet(emu.state.coupons, d.coupon, `discounts[${i}][coupon]`, 'coupon');
      if (d.promotion_code) mustGet(emu.state.promotionCodes, d.promotion_code, `discounts[${i}][promotion_code]`);
      return { coupon: d.coupon ?? null, promotion_code: d.promotion_code ?? null };
    });
    const id = `cs_test_${randomToken(58)}`;
    const session = {
      id,
      object: 'checkout.session',
      adaptive_pricing: null,
      after_expiration: null,
      allow_promotion_codes: body.allow_promotion_codes ?? null,
      allowed_payment_method_types: null,
      amount_subtotal: subtotal,
      amount_total: trialDays || body.subscription_data?.trial_end ? 0 : subtotal,
      automatic_tax: { enabled: false, liability: null, provider: null, status: null },
      billing_address_collection: null,
      cancel_url: body.cancel_url ?? null,
      client_reference_id: body.client_reference_id ?? null,
      client_secret: null,
      collected_information: null,
      consent: null,
      consent_collection: null,
      created: now,
      currency: items[0]!.price.currency,
      currency_conversion: null,
      custom_fields: [],
      custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
      customer: customer?.id ?? null,
      customer_account: null,
      customer_creation: customer ? null : 'always',
      customer_details: customer
        ? {
            address: null,
            business_name: null,
            email: customer.email,
            individual_name: null,
            name: customer.name ?? null,
            phone: null,
            tax_exempt: 'none',
            tax_ids: null,
          }
        : null,
      customer_email: body.customer_email ?? null,
      discounts,
      expires_at: expiresAt,
      integration_identifier: null,
      invoice: null,
      invoice_creation: null,
      livemode: false,
      locale: (body.locale as Stripe.Checkout.Session.Locale | undefined) ?? null,
      managed_payments: null,
      metadata: mergeMetadata({}, body.metadata),
      mode: 'subscription',
      origin_context: null,
      payment_intent: null,
      payment_link: null,
      payment_method_collection: 'always',
      payment_method_configuration_details: null,
      payment_method_options: {},
      payment_method_types: ['card'],
      payment_status: 'unpaid',
      permissions: null,
      recovered_from: null,
      saved_payment_method_options: null,
      setup_intent: null,
      shipping_address_collection: null,
      shipping_cost: null,
      shipping_options: [],
      status: 'open',
      submit_type: null,
      subscription: null,
      success_url: successUrl,
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      ui_mode: 'hosted_page',
      url: `${emu.baseUrl}/c/pay/${id}`,
      wallet_options: null,
    } satisfies Stripe.Checkout.Session;
    emu.state.checkoutSessions.set(session);
    emu.state.checkoutMeta[id] = {
      items: items.map((it) => ({ price: it.price.id, quantity: it.quantity })),
      trialDays,
      trialEnd: body.subscription_data?.trial_end,
      subMetadata: mergeMetadata({}, body.subscription_data?.metadata),
    };
    return session;
  });

  router.get('/v1/checkout/sessions/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    const session = mustGet(emu.state.checkoutSessions, params.id, 'id', 'checkout.session');
    refreshExpiry(emu, session);
    return session;
  });

  router.get('/v1/checkout/sessions/:id/line_items', ({ emu, params, raw, path }) => {
    const q = parse<{ limit?: number; starting_after?: string; ending_before?: string }>(listFields, raw);
    return paginate(lineItemsOf(emu, mustGet(emu.state.checkoutSessions, params.id, 'id', 'checkout.session')), q, path);
  });

  router.post('/v1/checkout/sessions/:id/expire', ({ emu, params, raw }) => {
    parse({}, raw);
    const session = mustGet(emu.state.checkoutSessions, params.id, 'id', 'checkout.session');
    refreshExpiry(emu, session);
    if (session.status !== 'open') {
      throw invalidRequest(
        `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${String(session.status)}".`,
        { param: 'session' },
      );
    }
    session.expires_at = emu.now(idOf(session.customer as string));
    refreshExpiry(emu, session);
    return session;
  });

  router.post('/v1/checkout/sessions/:id', ({ emu, params, raw }) => {
    const body = parse<{ metadata?: Record<string, string | null> }>(
      { metadata: p.meta, collected_information: p.any, shipping_options: p.any, line_items: p.any, payment_intent_data: p.any },
      raw,
    );
    const session = mustGet(emu.state.checkoutSessions, params.id, 'id', 'checkout.session');
    if (body.metadata !== undefined) session.metadata = mergeMetadata(session.metadata, body.metadata);
    return session;
  });

  router.get('/v1/checkout/sessions', ({ emu, raw, path }) => {
    const q = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      customer?: string;
      subscription?: string;
      status?: string;
      created?: unknown;
    }>(
      {
        ...listFields,
        customer: p.str,
        customer_account: p.str,
        subscription: p.str,
        status: p.enum('open', 'complete', 'expired'),
        created: p.range,
        customer_details: p.any,
        payment_intent: p.str,
        payment_link: p.str,
      },
      raw,
    );
    const items = emu.state.checkoutSessions.newestFirst((s) => {
      refreshExpiry(emu, s);
      return (
        (!q.customer || idOf(s.customer as string) === q.customer) &&
        (!q.subscription || idOf(s.subscription as string) === q.subscription) &&
        (!q.status || s.status === q.status) &&
        inRange(s.created, q.created)
      );
    });
    return paginate(items, q, path);
  });
}
