// Customers: create (optionally on a test clock, with a payment method), retrieve, update, delete,
// list and search.
import type Stripe from 'stripe';
import { clockOf, previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { invalidRequest, noSuch } from '../errors.js';
import { registerIncludable } from '../expand.js';
import { newId, randomToken } from '../ids.js';
import { fullList, inRange, matchesQuery, pageOf, parseQuery, searchPage } from '../list.js';
import { listFields, p, parse, searchFields, type Fields } from '../params.js';
import type { Router } from '../router.js';
import { idOf, mergeMetadata, mustGet } from './common.js';
import { attachPaymentMethod, resolvePaymentMethod } from './paymentMethods.js';
import { cancelSubscriptionNow } from '../engine/billing.js';
import { recordBalanceTransaction } from '../engine/balance.js';

const address = p.obj({ city: p.str, country: p.str, line1: p.str, line2: p.str, postal_code: p.str, state: p.str });
const invoiceSettings = p.obj({
  custom_fields: p.any,
  default_payment_method: p.str,
  footer: p.str,
  rendering_options: p.any,
});

const writable: Fields = {
  address,
  balance: p.int,
  business_name: p.str,
  cash_balance: p.unsupported,
  description: p.str,
  email: p.str,
  individual_name: p.str,
  invoice_prefix: p.str,
  invoice_settings: invoiceSettings,
  metadata: p.meta,
  name: p.str,
  next_invoice_sequence: p.int,
  phone: p.str,
  preferred_locales: p.arr(p.str),
  shipping: p.obj({ address, name: p.str, phone: p.str }),
  source: p.unsupported,
  tax: p.any,
  tax_exempt: p.enum('none', 'exempt', 'reverse'),
  validate: p.bool,
};

interface CustomerParams {
  address?: Partial<Stripe.Address> | null;
  balance?: number;
  description?: string | null;
  email?: string | null;
  invoice_prefix?: string;
  invoice_settings?: { default_payment_method?: string | null; footer?: string | null } | null;
  metadata?: Record<string, string | null> | null;
  name?: string | null;
  phone?: string | null;
  preferred_locales?: string[] | null;
  tax_exempt?: string | null;
  payment_method?: string;
  test_clock?: string;
  next_invoice_sequence?: number;
  shipping?: { address?: Partial<Stripe.Address>; name?: string; phone?: string } | null;
}

function setDefaultPaymentMethod(emu: Emulator, customer: Stripe.Customer, pmId: string | null): void {
  if (pmId) {
    const pm = emu.state.paymentMethods.get(pmId);
    if (!pm || idOf(pm.customer) !== customer.id) {
      throw invalidRequest(
        `No such PaymentMethod: '${pmId}'; It's possible this PaymentMethod exists on one of your connected accounts, in which case you should retry this request on that connected account.`,
        { param: 'invoice_settings[default_payment_method]', code: 'resource_missing' },
      );
    }
  }
  customer.invoice_settings = { ...customer.invoice_settings, default_payment_method: pmId };
}

function applyWritable(emu: Emulator, customer: Stripe.Customer, body: CustomerParams): void {
  if (body.address !== undefined)
    customer.address = body.address
      ? { city: null, country: null, line1: null, line2: null, postal_code: null, state: null, ...body.address }
      : null;
  if (body.balance !== undefined && body.balance !== customer.balance)
    recordBalanceTransaction(emu, customer, {
      amount: body.balance - customer.balance,
      currency: customer.currency ?? 'usd',
      type: 'adjustment',
    });
  if (body.shipping !== undefined) {
    customer.shipping = body.shipping
      ? {
          address: {
            city: null,
            country: null,
            line1: null,
            line2: null,
            postal_code: null,
            state: null,
            ...body.shipping.address,
          },
          carrier: null,
          name: body.shipping.name ?? '',
          phone: body.shipping.phone ?? null,
          tracking_number: null,
        }
      : null;
  }
  if (body.description !== undefined) customer.description = body.description;
  if (body.email !== undefined) customer.email = body.email;
  if (body.name !== undefined) customer.name = body.name;
  if (body.phone !== undefined) customer.phone = body.phone;
  if (body.invoice_prefix !== undefined) customer.invoice_prefix = body.invoice_prefix;
  if (body.next_invoice_sequence !== undefined) customer.next_invoice_sequence = body.next_invoice_sequence;
  if (body.preferred_locales !== undefined) customer.preferred_locales = body.preferred_locales ?? [];
  if (body.tax_exempt !== undefined) customer.tax_exempt = body.tax_exempt ?? 'none';
  if (body.metadata !== undefined) customer.metadata = mergeMetadata(customer.metadata, body.metadata);
  if (body.invoice_settings === null) setDefaultPaymentMethod(emu, customer, null);
  else if (body.invoice_settings) {
    if (body.invoice_settings.default_payment_method !== undefined)
      setDefaultPaymentMethod(emu, customer, body.invoice_settings.default_payment_method);
    if (body.invoice_settings.footer !== undefined)
      customer.invoice_settings = { ...customer.invoice_settings, footer: body.invoice_settings.footer };
  }
}

export function createCustomer(emu: Emulator, body: CustomerParams): Stripe.Customer {
  let clock: string | null = null;
  if (body.test_clock) clock = mustGet(emu.state.testClocks, body.test_clock, 'test_clock').id;
  const customer = {
    id: newId('cus'),
    object: 'customer',
    address: null,
    balance: 0,
    created: emu.clockTime(clock),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: null,
    invoice_prefix: randomToken(8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: {},
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: clock,
  } satisfies Stripe.Customer;
  const { payment_method: pmId, invoice_settings, ...rest } = body;
  applyWritable(emu, customer, rest);
  emu.state.customers.set(customer);
  emu.emit('customer.created', customer, { customer: customer.id });
  if (pmId) {
    const pm = resolvePaymentMethod(emu, pmId, 'payment_method', customer.created);
    attachPaymentMethod(emu, pm, customer.id);
    if (invoice_settings?.default_payment_method === pmId) invoice_settings.default_payment_method = pm.id;
  }
  if (invoice_settings !== undefined) {
    const prev = snapshot(customer);
    applyWritable(emu, customer, { invoice_settings });
    const changes = previousAttributes(prev, customer);
    if (Object.keys(changes).length) emu.emit('customer.updated', customer, { customer: customer.id, previous: changes });
  }
  return customer;
}

export function updateCustomer(emu: Emulator, customer: Stripe.Customer, body: CustomerParams): Stripe.Customer {
  const before = snapshot(customer);
  applyWritable(emu, customer, body);
  const changes = previousAttributes(before, customer);
  if (Object.keys(changes).length) emu.emit('customer.updated', customer, { customer: customer.id, previous: changes });
  return customer;
}

export function deletedCustomer(id: string): Stripe.DeletedCustomer {
  return { id, object: 'customer', deleted: true } satisfies Stripe.DeletedCustomer;
}

export function registerCustomers(router: Router): void {
  registerIncludable('customer', 'subscriptions', (emu, obj) =>
    fullList(
      emu.state.subscriptions.newestFirst(
        (s) => idOf(s.customer) === obj.id && s.status !== 'canceled' && s.status !== 'incomplete_expired',
      ),
      `/v1/customers/${String(obj.id)}/subscriptions`,
    ),
  );

  router.post('/v1/customers', ({ emu, raw }) => {
    const body = parse<CustomerParams>(
      { ...writable, payment_method: p.str, test_clock: p.str, tax_id_data: p.unsupported },
      raw,
    );
    return createCustomer(emu, body);
  });

  router.get('/v1/customers/search', ({ emu, raw, path }) => {
    const params = parse<{ query?: string; limit?: number; page?: string }>(searchFields, raw);
    if (!params.query) throw invalidRequest('Missing required param: query.', { param: 'query', code: 'parameter_missing' });
    const q = parseQuery(params.query);
    const items = emu.state.customers.newestFirst((c) =>
      matchesQuery(c as unknown as Record<string, unknown>, q, ['email', 'name', 'phone', 'metadata', 'created']),
    );
    return searchPage(items, params, path);
  });

  router.get('/v1/customers/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    const c = emu.state.customers.get(params.id!);
    if (c) return c;
    if (emu.state.deleted[params.id!]) return deletedCustomer(params.id!);
    throw noSuch(params.id!);
  });

  router.post('/v1/customers/:id', ({ emu, params, raw }) => {
    const body = parse<CustomerParams>({ ...writable, default_source: p.unsupported }, raw);
    return updateCustomer(emu, mustGet(emu.state.customers, params.id), body);
  });

  router.delete('/v1/customers/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    const customer = mustGet(emu.state.customers, params.id);
    for (const sub of emu.state.subscriptions.values()) {
      if (idOf(sub.customer) === customer.id && sub.status !== 'canceled' && sub.status !== 'incomplete_expired') {
        cancelSubscriptionNow(emu, sub, { reason: 'cancellation_requested' });
      }
    }
    emu.state.customers.delete(customer.id);
    emu.state.deleted[customer.id] = 'customer';
    emu.emit('customer.deleted', customer, { customer: null });
    return deletedCustomer(customer.id);
  });

  // The balance's ledger (engine/balance.ts): read only here; changes come from invoices, credit
  // notes and `balance` on customer updates.
  router.get('/v1/customers/:id/balance_transactions', ({ emu, params, raw, path }) => {
    const q = parse<{ limit?: number; starting_after?: string; ending_before?: string; created?: unknown; invoice?: string }>(
      { ...listFields, created: p.range, invoice: p.str },
      raw,
    );
    const customer = mustGet(emu.state.customers, params.id, 'customer');
    const filter = (t: Stripe.CustomerBalanceTransaction) =>
      t.customer === customer.id && (!q.invoice || t.invoice === q.invoice) && inRange(t.created, q.created);
    return pageOf(emu.state.customerBalanceTransactions, filter, q, path);
  });

  router.get('/v1/customers/:id/balance_transactions/:txn', ({ emu, params, raw }) => {
    parse({}, raw);
    const customer = mustGet(emu.state.customers, params.id, 'customer');
    const txn = emu.state.customerBalanceTransactions.get(String(params.txn));
    if (!txn || txn.customer !== customer.id) throw noSuch(String(params.txn), 'id', 'customer balance transaction');
    return txn;
  });

  router.get('/v1/customers', ({ emu, raw, path }) => {
    const params = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      email?: string;
      created?: unknown;
      test_clock?: string;
    }>({ ...listFields, email: p.str, created: p.range, test_clock: p.str, customer_account: p.str }, raw);
    const filter = (c: Stripe.Customer) =>
      (params.email === undefined || c.email === params.email) &&
      inRange(c.created, params.created) &&
      // Like Stripe, customers on a test clock are only listed when that clock is asked for.
      clockOf(c) === (params.test_clock ?? null);
    return pageOf(emu.state.customers, filter, params, path);
  });
}
