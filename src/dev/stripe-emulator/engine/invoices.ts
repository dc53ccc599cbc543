// Invoices as the billing engine builds them: lines (licensed in advance, metered in arrears,
// prorations from pending items), discounts, customer balance, finalization and payment attempts
// with Stripe's test card outcomes, and the events each step emits.
import type Stripe from 'stripe';
import { previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { newId, randomToken } from '../ids.js';
import { fullList } from '../list.js';
import { decimalString, idOf } from '../resources/common.js';
import type { PendingItem } from '../store.js';
import { behaviorOf } from '../resources/paymentMethods.js';
import { recordBalanceTransaction } from './balance.js';
import { recordCharge } from './charges.js';
import { taxIdsOf } from '../resources/taxIds.js';

export interface LineSpec {
  amount: number;
  currency: string;
  description: string;
  quantity: number | null;
  unitAmount: number | null;
  price: string | null;
  product: string | null;
  period: { start: number; end: number };
  subscription: string | null;
  subscriptionItem: string | null;
  proration: boolean;
  invoiceItem: string | null;
}

export type PaymentOutcome =
  | { ok: true }
  | { ok: false; kind: 'declined'; code: string; declineCode: string; message: string }
  | { ok: false; kind: 'requires_action'; message: string }
  | { ok: false; kind: 'no_payment_method'; message: string };

export function lineItem(spec: LineSpec, invoiceId: string | null, id = newId('il')): Stripe.InvoiceLineItem {
  return {
    id,
    object: 'line_item',
    amount: spec.amount,
    currency: spec.currency,
    description: spec.description,
    discount_amounts: [],
    discountable: !spec.proration,
    discounts: [],
    invoice: invoiceId,
    livemode: false,
    metadata: {},
    parent: spec.subscriptionItem
      ? {
          type: 'subscription_item_details',
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: spec.invoiceItem,
            proration: spec.proration,
            proration_details: { credited_items: null },
            subscription: spec.subscription,
            subscription_item: spec.subscriptionItem,
          },
        }
      : {
          type: 'invoice_item_details',
          subscription_item_details: null,
          invoice_item_details: {
            invoice_item: spec.invoiceItem ?? newId('ii'),
            proration: spec.proration,
            proration_details: { credited_items: null },
            subscription: spec.subscription,
          },
        },
    period: spec.period,
    pretax_credit_amounts: [],
    pricing: spec.price
      ? {
          type: 'price_details',
          price_details: { price: spec.price, product: spec.product ?? '' },
          unit_amount_decimal: spec.unitAmount === null ? null : decimalString(spec.unitAmount),
        }
      : null,
    quantity: spec.quantity,
    quantity_decimal: spec.quantity === null ? null : decimalString(spec.quantity),
    subscription: spec.subscription,
    subtotal: spec.amount,
    taxes: [],
  } satisfies Stripe.InvoiceLineItem;
}

export function pendingToLine(item: PendingItem): LineSpec {
  return {
    amount: item.amount,
    currency: item.currency,
    description: item.description,
    quantity: item.quantity,
    unitAmount: item.quantity ? Math.round(item.amount / item.quantity) : item.amount,
    price: item.price,
    product: item.product,
    period: item.period,
    subscription: item.subscription,
    subscriptionItem: item.subscription_item,
    proration: item.proration,
    invoiceItem: item.id,
  };
}

function discountAmount(
  emu: Emulator,
  discountIds: string[],
  subtotal: number,
): { amount: number; per: { amount: number; discount: string }[] } {
  let remaining = Math.max(0, subtotal);
  const per: { amount: number; discount: string }[] = [];
  for (const id of discountIds) {
    const discount = emu.state.discounts.get(id);
    const coupon = discount ? emu.state.coupons.get(idOf(discount.source.coupon) ?? '') : undefined;
    if (!coupon) continue;
    let amount = 0;
    if (coupon.percent_off !== null) amount = Math.round((remaining * coupon.percent_off) / 100);
    else if (coupon.amount_off !== null) amount = Math.min(remaining, coupon.amount_off);
    remaining -= amount;
    per.push({ amount, discount: id });
  }
  return { amount: per.reduce((s, d) => s + d.amount, 0), per };
}

/** Recompute an invoice's amounts from its lines, discounts and (from finalization on) the customer balance. */
export function computeTotals(emu: Emulator, invoice: Stripe.Invoice): void {
  const lines = invoice.lines.data;
  const subtotal = lines.reduce((s, l) => s + l.amount, 0);
  const discountable = lines.filter((l) => l.discountable).reduce((s, l) => s + l.amount, 0);
  const discountIds = invoice.discounts.map((d) => (typeof d === 'string' ? d : d.id));
  const { amount: discount, per } = discountAmount(emu, discountIds, discountable);
  // Spread discounts over discountable lines in proportion, remainder on the last one, as Stripe shows them.
  const positive = lines.filter((l) => l.discountable && l.amount > 0);
  for (const line of lines) line.discount_amounts = [];
  for (const d of per) {
    let left = d.amount;
    positive.forEach((line, i) => {
      const share = i === positive.length - 1 ? left : Math.round((d.amount * line.amount) / Math.max(1, discountable));
      left -= share;
      line.discount_amounts!.push({ amount: share, discount: d.discount });
    });
  }
  const total = subtotal - discount;
  invoice.subtotal = subtotal;
  invoice.subtotal_excluding_tax = subtotal;
  invoice.total = total;
  invoice.total_excluding_tax = total;
  invoice.total_discount_amounts = per;
  if (invoice.status === 'draft' || invoice.status === null) {
    invoice.amount_due = Math.max(0, total);
    invoice.amount_remaining = invoice.amount_due;
  }
}

export function nextInvoiceNumber(_emu: Emulator, customer: Stripe.Customer): string {
  const seq = customer.next_invoice_sequence ?? 1;
  customer.next_invoice_sequence = seq + 1;
  return `${customer.invoice_prefix ?? 'EMU'}-${String(seq).padStart(4, '0')}`;
}

export function newInvoice(
  emu: Emulator,
  opts: {
    customer: Stripe.Customer;
    subscription: Stripe.Subscription | null;
    billingReason: Stripe.Invoice.BillingReason;
    lines: LineSpec[];
    periodStart: number;
    periodEnd: number;
    now: number;
    currency: string;
    discounts?: string[];
    id?: string;
    prorationDate?: number;
  },
): Stripe.Invoice {
  const { customer, subscription: sub } = opts;
  const id = opts.id ?? newId('in');
  const invoice = {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'DropIn (Stripe emulator)',
    account_tax_ids: null,
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_paid_off_stripe: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: opts.billingReason,
    collection_method: 'charge_automatically',
    created: opts.now,
    currency: opts.currency,
    custom_fields: null,
    customer: customer.id,
    customer_account: null,
    ...customerDetails(emu, customer),
    customer_shipping: null,
    customer_tax_exempt: customer.tax_exempt ?? 'none',
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: opts.discounts ?? [],
    due_date: null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: fullList(
      opts.lines.map((l) => lineItem(l, id)),
      `/v1/invoices/${id}/lines`,
    ),
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: sub
      ? {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: {
            metadata: sub.metadata,
            subscription: sub.id,
            ...(opts.prorationDate !== undefined ? { subscription_proration_date: opts.prorationDate } : {}),
          },
        }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: opts.periodEnd,
    period_start: opts.periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: idOf(customer.test_clock),
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  } satisfies Stripe.Invoice;
  computeTotals(emu, invoice);
  return invoice;
}

/**
 * The customer's details as an invoice prints them. Stripe keeps them in step with the customer
 * while the invoice is a draft and freezes them when it is finalized.
 */
function customerDetails(emu: Emulator, customer: Stripe.Customer) {
  return {
    customer_address: customer.address ?? null,
    customer_email: customer.email,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_tax_ids: taxIdsOf(emu, customer.id)
      .reverse()
      .map((t) => ({ type: t.type, value: t.value })),
  } satisfies Partial<Stripe.Invoice>;
}

/** Store a new draft invoice and announce it. */
export function saveDraft(emu: Emulator, invoice: Stripe.Invoice): Stripe.Invoice {
  emu.state.invoices.set(invoice);
  emu.emit('invoice.created', invoice, { customer: idOf(invoice.customer) });
  return invoice;
}

/** Draft → open: number, hosted URLs, customer balance applied. Zero-amount invoices are paid at once. */
export function finalizeInvoice(emu: Emulator, invoice: Stripe.Invoice): void {
  if (invoice.status !== 'draft') return;
  const customerId = idOf(invoice.customer)!;
  const customer = emu.state.customers.get(customerId);
  const now = emu.now(customerId);
  computeTotals(emu, invoice);
  if (customer) Object.assign(invoice, customerDetails(emu, customer));
  const balance = customer?.balance ?? 0;
  const applied = invoice.total + balance;
  invoice.starting_balance = balance;
  invoice.amount_due = Math.max(0, applied);
  invoice.amount_remaining = invoice.amount_due;
  invoice.ending_balance = Math.min(0, applied);
  if (customer && customer.balance !== invoice.ending_balance) {
    const prev = snapshot(customer);
    recordBalanceTransaction(emu, customer, {
      amount: invoice.ending_balance - customer.balance,
      currency: invoice.currency,
      type: 'applied_to_invoice',
      invoice: invoice.id,
    });
    emu.emit('customer.updated', customer, { customer: customerId, previous: previousAttributes(prev, customer) });
  }
  invoice.status = 'open';
  invoice.number = customer ? nextInvoiceNumber(emu, customer) : `EMU-${randomToken(6)}`;
  invoice.status_transitions.finalized_at = now;
  invoice.effective_at = now;
  invoice.automatically_finalizes_at = null;
  invoice.hosted_invoice_url = `${emu.baseUrl}/i/${invoice.id}`;
  invoice.invoice_pdf = `${emu.baseUrl}/i/${invoice.id}/pdf`;
  invoice.webhooks_delivered_at = now;
  delete emu.state.autoFinalize[invoice.id];
  emu.emit('invoice.finalized', invoice, { customer: customerId });
  if (invoice.amount_due === 0) markPaid(emu, invoice, null);
}

/** The invoice's payment record (Stripe only shows `invoice.payments` when expanded). */
export function invoicePaymentOf(emu: Emulator, invoiceId: string): Stripe.InvoicePayment | undefined {
  const id = emu.state.invoicePaymentOf[invoiceId];
  return id ? emu.state.invoicePayments.get(id) : undefined;
}

export function ensurePaymentIntent(emu: Emulator, invoice: Stripe.Invoice, pmId: string | null): Stripe.PaymentIntent {
  const existing = invoicePaymentOf(emu, invoice.id);
  const piId = existing ? idOf(existing.payment.payment_intent ?? null) : null;
  const found = piId ? emu.state.paymentIntents.get(piId) : undefined;
  if (found) {
    found.payment_method = pmId;
    return found;
  }
  const now = emu.now(idOf(invoice.customer));
  const pi = {
    id: newId('pi'),
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: invoice.amount_due,
    amount_capturable: 0,
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `pi_secret_${randomToken(24)}`,
    confirmation_method: 'automatic',
    created: now,
    currency: invoice.currency,
    customer: idOf(invoice.customer),
    customer_account: null,
    description: invoice.billing_reason === 'subscription_create' ? 'Subscription creation' : 'Subscription update',
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: pmId,
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'requires_payment_method',
    transfer_group: null,
  } satisfies Stripe.PaymentIntent;
  emu.state.paymentIntents.set(pi);
  const inpay = {
    id: newId('inpay'),
    object: 'invoice_payment',
    amount_paid: null,
    amount_requested: invoice.amount_due,
    created: now,
    currency: invoice.currency,
    invoice: invoice.id,
    is_default: true,
    livemode: false,
    payment: { type: 'payment_intent', payment_intent: pi.id },
    status: 'open',
    status_transitions: { canceled_at: null, paid_at: null },
  } satisfies Stripe.InvoicePayment;
  emu.state.invoicePayments.set(inpay);
  emu.state.invoicePaymentOf[invoice.id] = inpay.id;
  emu.emit('payment_intent.created', pi, { customer: idOf(invoice.customer) });
  return pi;
}

export function paymentMethodFor(emu: Emulator, invoice: Stripe.Invoice): string | null {
  const subId = invoice.parent?.subscription_details ? idOf(invoice.parent.subscription_details.subscription) : null;
  const sub = subId ? emu.state.subscriptions.get(subId) : undefined;
  const customer = emu.state.customers.get(idOf(invoice.customer) ?? '');
  return (
    idOf(invoice.default_payment_method) ??
    idOf(sub?.default_payment_method) ??
    idOf(customer?.invoice_settings.default_payment_method) ??
    null
  );
}

/** What charging this card would do. `onSession` is a person on a hosted page (they can authenticate). */
export function chargeOutcome(emu: Emulator, pmId: string | null, onSession: boolean): PaymentOutcome {
  if (!pmId) return { ok: false, kind: 'no_payment_method', message: 'The customer has no default payment method.' };
  switch (behaviorOf(emu, pmId)) {
    case 'succeed':
      return { ok: true };
    case 'auth_setup':
      return { ok: true }; // set up for off-session use when it was first authenticated
    case 'auth_always':
      return onSession
        ? { ok: true }
        : {
            ok: false,
            kind: 'requires_action',
            message: 'This payment requires additional user action before it can be completed successfully.',
          };
    case 'decline_insufficient_funds':
      return {
        ok: false,
        kind: 'declined',
        code: 'card_declined',
        declineCode: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
      };
    case 'decline_generic':
    case 'attach_then_fail':
      return {
        ok: false,
        kind: 'declined',
        code: 'card_declined',
        declineCode: 'generic_decline',
        message: 'Your card was declined.',
      };
  }
}

export function markPaid(emu: Emulator, invoice: Stripe.Invoice, pi: Stripe.PaymentIntent | null): void {
  const customerId = idOf(invoice.customer);
  const now = emu.now(customerId);
  invoice.status = 'paid';
  delete invoice.status_details;
  invoice.amount_paid = invoice.amount_due;
  // Paid out of band (no payment intent): the amount was paid outside Stripe.
  if (!pi) invoice.amount_paid_off_stripe = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.status_transitions.paid_at = now;
  invoice.next_payment_attempt = null;
  invoice.attempted = true;
  if (pi) {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.last_payment_error = null;
    pi.next_action = null;
    pi.latest_charge = recordCharge(emu, pi).id;
    emu.emit('payment_intent.succeeded', pi, { customer: customerId });
    const inpay = invoicePaymentOf(emu, invoice.id);
    if (inpay) {
      inpay.status = 'paid';
      inpay.amount_paid = invoice.amount_due;
      inpay.status_transitions.paid_at = now;
      emu.emit('invoice_payment.paid', inpay, { customer: customerId });
    }
  }
  emu.emit('invoice.paid', invoice, { customer: customerId });
  emu.emit('invoice.payment_succeeded', invoice, { customer: customerId });
}

/**
 * Charge an open invoice. Returns the outcome; on failure the invoice stays open with the retry
 * schedule applied (`next_payment_attempt`) and the failure events are emitted.
 */
export function attemptPayment(
  emu: Emulator,
  invoice: Stripe.Invoice,
  opts: { onSession?: boolean; paymentMethod?: string | null; scheduleRetry?: boolean } = {},
): PaymentOutcome {
  if (invoice.status !== 'open') return { ok: true };
  const customerId = idOf(invoice.customer);
  const now = emu.now(customerId);
  if (invoice.amount_due === 0) {
    markPaid(emu, invoice, null);
    return { ok: true };
  }
  const pmId = opts.paymentMethod ?? paymentMethodFor(emu, invoice);
  const pi = ensurePaymentIntent(emu, invoice, pmId);
  invoice.attempted = true;
  invoice.attempt_count += 1;
  const outcome = chargeOutcome(emu, pmId, opts.onSession ?? false);
  if (outcome.ok) {
    markPaid(emu, invoice, pi);
    return outcome;
  }
  if (outcome.kind === 'requires_action') {
    pi.status = 'requires_action';
    pi.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: {} as Stripe.PaymentIntent.NextAction.UseStripeSdk };
    pi.last_payment_error = {
      type: 'card_error',
      code: 'authentication_required',
      decline_code: 'authentication_required',
      message: outcome.message,
    };
    emu.emit('payment_intent.requires_action', pi, { customer: customerId });
  } else {
    pi.status = 'requires_payment_method';
    pi.last_payment_error =
      outcome.kind === 'declined'
        ? { type: 'card_error', code: outcome.code, decline_code: outcome.declineCode, message: outcome.message }
        : {
            type: 'invalid_request_error',
            code: 'payment_method_missing' as Stripe.PaymentIntent.LastPaymentError.Code,
            message: outcome.message,
          };
    emu.emit('payment_intent.payment_failed', pi, { customer: customerId });
  }
  const retryDays = emu.state.settings.retryDays;
  const failures = invoice.attempt_count;
  const scheduled = opts.scheduleRetry !== false && invoice.billing_reason !== 'subscription_create';
  invoice.next_payment_attempt = scheduled && failures <= retryDays.length ? now + retryDays[failures - 1]! * 86_400 : null;
  emu.emit('invoice.payment_failed', invoice, { customer: customerId });
  if (outcome.kind === 'requires_action') emu.emit('invoice.payment_action_required', invoice, { customer: customerId });
  return outcome;
}

export function voidInvoice(emu: Emulator, invoice: Stripe.Invoice): void {
  invoice.status = 'void';
  delete invoice.status_details;
  invoice.status_transitions.voided_at = emu.now(idOf(invoice.customer));
  invoice.next_payment_attempt = null;
  invoice.amount_remaining = 0;
  emu.emit('invoice.voided', invoice, { customer: idOf(invoice.customer) });
}
