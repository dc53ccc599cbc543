// Payment methods: Stripe's test cards (by number from the hosted pages, or by `pm_card_*` shortcut
// from the API), attach/detach, list by customer. The card's behaviour when charged is kept aside,
// as Stripe keeps it inside its test card network.
import type Stripe from 'stripe';
import { previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { cardError, invalidRequest, noSuch } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import { paginate } from '../list.js';
import { listFields, p, parse } from '../params.js';
import type { Router } from '../router.js';
import type { CardBehavior } from '../store.js';
import { idOf, mergeMetadata, mustGet } from './common.js';

export interface TestCard {
  brand: string;
  funding: string;
  behavior: CardBehavior;
}

export const TEST_CARDS: Record<string, TestCard> = {
  '4242424242424242': { brand: 'visa', funding: 'credit', behavior: 'succeed' },
  '4000056655665556': { brand: 'visa', funding: 'debit', behavior: 'succeed' },
  '5555555555554444': { brand: 'mastercard', funding: 'credit', behavior: 'succeed' },
  '378282246310005': { brand: 'amex', funding: 'credit', behavior: 'succeed' },
  '4000000000000002': { brand: 'visa', funding: 'credit', behavior: 'decline_generic' },
  '4000000000009995': { brand: 'visa', funding: 'credit', behavior: 'decline_insufficient_funds' },
  '4000000000000341': { brand: 'visa', funding: 'credit', behavior: 'attach_then_fail' },
  '4000002500003155': { brand: 'visa', funding: 'credit', behavior: 'auth_setup' },
  '4000002760003184': { brand: 'visa', funding: 'credit', behavior: 'auth_always' },
  '4000000000003220': { brand: 'visa', funding: 'credit', behavior: 'auth_always' },
};

/** Stripe's test PaymentMethod ids; attaching one attaches a fresh copy, as on Stripe. */
export const TEST_PM_SHORTCUTS: Record<string, string> = {
  pm_card_visa: '4242424242424242',
  pm_card_visa_debit: '4000056655665556',
  pm_card_mastercard: '5555555555554444',
  pm_card_amex: '378282246310005',
  pm_card_chargeDeclined: '4000000000000002',
  pm_card_visa_chargeDeclined: '4000000000000002',
  pm_card_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_visa_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_chargeCustomerFail: '4000000000000341',
  pm_card_authenticationRequiredOnSetup: '4000002500003155',
  pm_card_authenticationRequired: '4000002760003184',
  pm_card_threeDSecure2Required: '4000000000003220',
};

export function normalizeCardNumber(input: string): string {
  return input.replace(/[\s-]/g, '');
}

/** Luhn check, so a mistyped number is refused like Stripe's card field refuses it. */
export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  let dbl = false;
  for (let i = number.length - 1; i >= 0; i--) {
    let d = Number(number[i]);
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

export function createCardPaymentMethod(
  emu: Emulator,
  number: string,
  opts: { expMonth?: number; expYear?: number; name?: string | null; email?: string | null; created?: number },
): Stripe.PaymentMethod {
  const card = TEST_CARDS[number] ?? { brand: 'visa', funding: 'credit', behavior: 'succeed' as const };
  const pm = {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: { address: null, email: opts.email ?? null, name: opts.name ?? null, phone: null, tax_id: null },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: card.brand,
      exp_month: opts.expMonth ?? 12,
      exp_year: opts.expYear ?? new Date().getUTCFullYear() + 3,
      fingerprint: randomToken(16),
      funding: card.funding,
      generated_from: null,
      last4: number.slice(-4),
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: opts.created ?? emu.now(),
    customer: null,
    customer_account: null,
    livemode: false,
    metadata: {},
    type: 'card',
  } satisfies Stripe.PaymentMethod;
  emu.state.paymentMethods.set(pm);
  emu.state.cardBehavior[pm.id] = card.behavior;
  return pm;
}

export function behaviorOf(emu: Emulator, pmId: string): CardBehavior {
  return emu.state.cardBehavior[pmId] ?? 'succeed';
}

/** Resolve a PaymentMethod id for use, turning `pm_card_*` shortcuts into fresh payment methods. */
export function resolvePaymentMethod(
  emu: Emulator,
  id: string,
  param = 'payment_method',
  created?: number,
): Stripe.PaymentMethod {
  const number = TEST_PM_SHORTCUTS[id];
  if (number) return createCardPaymentMethod(emu, number, { created });
  const pm = emu.state.paymentMethods.get(id);
  if (!pm) throw noSuch(id, param);
  return pm;
}

/** Attaching runs a card check; cards that always decline are refused here, as on Stripe. */
export function attachPaymentMethod(emu: Emulator, pm: Stripe.PaymentMethod, customerId: string): Stripe.PaymentMethod {
  const owner = idOf(pm.customer);
  if (owner === customerId) return pm;
  if (owner) {
    throw invalidRequest('The payment method you provided has already been attached to a customer.', {
      param: 'payment_method',
      code: 'payment_method_unexpected_state',
    });
  }
  const behavior = behaviorOf(emu, pm.id);
  if (behavior === 'decline_generic') throw cardError('generic_decline', 'Your card was declined.');
  if (behavior === 'decline_insufficient_funds') throw cardError('insufficient_funds', 'Your card has insufficient funds.');
  pm.customer = customerId;
  pm.created = emu.now(customerId);
  emu.emit('payment_method.attached', pm, { customer: customerId });
  return pm;
}

export function detachPaymentMethod(emu: Emulator, pm: Stripe.PaymentMethod): Stripe.PaymentMethod {
  const customerId = idOf(pm.customer);
  if (!customerId) {
    throw invalidRequest('The payment method you provided is not attached to a customer so detachment is impossible.', {
      param: 'payment_method',
      code: 'payment_method_unexpected_state',
    });
  }
  const before = snapshot(pm);
  pm.customer = null;
  const customer = emu.state.customers.get(customerId);
  if (customer && idOf(customer.invoice_settings.default_payment_method) === pm.id) {
    const prev = snapshot(customer);
    customer.invoice_settings = { ...customer.invoice_settings, default_payment_method: null };
    emu.emit('customer.updated', customer, { customer: customerId, previous: previousAttributes(prev, customer) });
  }
  for (const sub of emu.state.subscriptions.values()) {
    if (idOf(sub.default_payment_method) === pm.id) {
      const prev = snapshot(sub);
      sub.default_payment_method = null;
      emu.emit('customer.subscription.updated', sub, { customer: customerId, previous: previousAttributes(prev, sub) });
    }
  }
  emu.emit('payment_method.detached', pm, { customer: customerId, previous: { customer: before.customer } });
  return pm;
}

function listForCustomer(emu: Emulator, customerId: string, raw: Record<string, unknown>, url: string) {
  const params = parse<{ type?: string; limit?: number; starting_after?: string; ending_before?: string }>(
    { ...listFields, type: p.str, allow_redisplay: p.str, customer: p.str, customer_account: p.str },
    raw,
  );
  const items = emu.state.paymentMethods.newestFirst(
    (pm) => idOf(pm.customer) === customerId && (!params.type || pm.type === params.type),
  );
  return paginate(items, params, url);
}

export function registerPaymentMethods(router: Router): void {
  router.post('/v1/payment_methods', ({ emu, raw }) => {
    const params = parse<{
      type: string;
      card?: { token?: string; number?: string; exp_month?: number; exp_year?: number };
      billing_details?: { name?: string; email?: string };
      metadata?: Record<string, string>;
    }>(
      {
        type: p.str,
        card: p.obj({ token: p.str, number: p.str, exp_month: p.int, exp_year: p.int, cvc: p.str }),
        billing_details: p.obj({ name: p.str, email: p.str, phone: p.str, address: p.any, tax_id: p.str }),
        metadata: p.meta,
        allow_redisplay: p.str,
        customer: p.str,
        payment_method: p.str,
      },
      raw,
    );
    if (params.type !== 'card') throw invalidRequest('The emulator only supports card payment methods.', { param: 'type' });
    const token = params.card?.token;
    const tokenCards: Record<string, string> = {
      tok_visa: '4242424242424242',
      tok_mastercard: '5555555555554444',
      tok_chargeDeclined: '4000000000000002',
      tok_chargeDeclinedInsufficientFunds: '4000000000009995',
      tok_chargeCustomerFail: '4000000000000341',
    };
    let number: string | undefined;
    if (token) {
      number = tokenCards[token];
      if (!number) throw noSuch(token, 'card[token]', 'token');
    } else if (params.card?.number) {
      // Stripe refuses raw card numbers from most integrations; test mode allows the test numbers.
      number = normalizeCardNumber(params.card.number);
      if (!luhnValid(number)) throw cardError('invalid_number', 'Your card number is incorrect.', 'incorrect_number');
    } else {
      throw invalidRequest('Missing required param: card.', { param: 'card', code: 'parameter_missing' });
    }
    const pm = createCardPaymentMethod(emu, number, {
      expMonth: params.card?.exp_month,
      expYear: params.card?.exp_year,
      name: params.billing_details?.name,
      email: params.billing_details?.email,
    });
    pm.metadata = mergeMetadata({}, params.metadata);
    return pm;
  });

  router.get('/v1/payment_methods/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    const shortcut = TEST_PM_SHORTCUTS[params.id!];
    if (shortcut) return resolvePaymentMethod(emu, params.id!);
    return mustGet(emu.state.paymentMethods, params.id);
  });

  router.post('/v1/payment_methods/:id', ({ emu, params, raw }) => {
    const body = parse<{
      metadata?: Record<string, string | null>;
      billing_details?: { name?: string; email?: string };
      card?: { exp_month?: number; exp_year?: number };
    }>(
      {
        metadata: p.meta,
        billing_details: p.obj({ name: p.str, email: p.str, phone: p.str, address: p.any, tax_id: p.str }),
        card: p.obj({ exp_month: p.int, exp_year: p.int, networks: p.any }),
        allow_redisplay: p.str,
      },
      raw,
    );
    const pm = mustGet(emu.state.paymentMethods, params.id);
    const before = snapshot(pm);
    if (body.metadata !== undefined) pm.metadata = mergeMetadata(pm.metadata, body.metadata);
    if (body.billing_details?.name !== undefined) pm.billing_details.name = body.billing_details.name;
    if (body.billing_details?.email !== undefined) pm.billing_details.email = body.billing_details.email;
    if (pm.card && body.card?.exp_month) pm.card.exp_month = body.card.exp_month;
    if (pm.card && body.card?.exp_year) pm.card.exp_year = body.card.exp_year;
    emu.emit('payment_method.updated', pm, { customer: idOf(pm.customer), previous: previousAttributes(before, pm) });
    return pm;
  });

  router.get('/v1/payment_methods', ({ emu, raw, path }) => {
    const customer = typeof raw.customer === 'string' ? raw.customer : undefined;
    if (!customer) {
      const params = parse<{ limit?: number; starting_after?: string; ending_before?: string; type?: string }>(
        { ...listFields, type: p.str, customer: p.str, customer_account: p.str, allow_redisplay: p.str },
        raw,
      );
      return paginate(
        emu.state.paymentMethods.newestFirst((pm) => !params.type || pm.type === params.type),
        params,
        path,
      );
    }
    mustGet(emu.state.customers, customer, 'customer');
    return listForCustomer(emu, customer, raw, path);
  });

  router.post('/v1/payment_methods/:id/attach', ({ emu, params, raw }) => {
    const body = parse<{ customer?: string }>({ customer: p.str, customer_account: p.str }, raw);
    if (!body.customer)
      throw invalidRequest('Missing required param: customer.', { param: 'customer', code: 'parameter_missing' });
    const customer = mustGet(emu.state.customers, body.customer, 'customer');
    const pm = resolvePaymentMethod(emu, params.id!, 'payment_method', emu.now(customer.id));
    return attachPaymentMethod(emu, pm, customer.id);
  });

  router.post('/v1/payment_methods/:id/detach', ({ emu, params, raw }) => {
    parse({}, raw);
    return detachPaymentMethod(emu, mustGet(emu.state.paymentMethods, params.id));
  });

  router.get('/v1/customers/:customer/payment_methods', ({ emu, params, raw, path }) => {
    mustGet(emu.state.customers, params.customer, 'customer');
    return listForCustomer(emu, params.customer!, raw, path);
  });

  router.get('/v1/customers/:customer/payment_methods/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    const pm = mustGet(emu.state.paymentMethods, params.id, 'payment_method');
    if (idOf(pm.customer) !== params.customer) throw noSuch(params.id!, 'payment_method');
    return pm;
  });
}
