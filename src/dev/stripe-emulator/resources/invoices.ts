// Invoices: list, retrieve, lines, pay, finalize, void, mark uncollectible, search, and
// `create_preview` — which runs the same proration plan as a real subscription update, so the
// preview's proration lines are exactly what the update then bills.
import type Stripe from 'stripe';
import { previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { invalidRequest } from '../errors.js';
import { applyExpand, registerIncludable } from '../expand.js';
import { newId } from '../ids.js';
import { fullList, inRange, matchesQuery, pageOf, paginate, parseQuery, searchPage } from '../list.js';
import { listFields, p, parse, required, searchFields } from '../params.js';
import type { Router } from '../router.js';
import {
  activeDiscounts,
  nextPhaseDiscounts,
  afterInvoicePayment,
  buildItem,
  itemsAfter,
  meteredUsage,
  outcomeError,
  periodOf,
  productName,
  upcomingHook,
} from '../engine/billing.js';
import {
  attemptPayment,
  ensurePaymentIntent,
  paymentMethodFor,
  finalizeInvoice,
  invoicePaymentOf,
  markPaid,
  newInvoice,
  pendingToLine,
  voidInvoice,
  type LineSpec,
} from '../engine/invoices.js';
import { addUnits, nextBoundary } from '../engine/time.js';
import { createDiscount } from './discounts.js';
import { idOf, mustGet } from './common.js';
import { planUpdate, updateFields, type UpdateParams } from './subscriptions.js';

/** Previews show the customer's balance applied, as the finalized invoice would. */
function applyBalance(inv: Stripe.Invoice, customer: Stripe.Customer): Stripe.Invoice {
  const applied = inv.total + customer.balance;
  inv.starting_balance = customer.balance;
  inv.amount_due = Math.max(0, applied);
  inv.amount_remaining = inv.amount_due;
  inv.ending_balance = Math.min(0, applied);
  return inv;
}

function subscriptionOf(inv: Stripe.Invoice): string | null {
  return inv.parent?.subscription_details ? idOf(inv.parent.subscription_details.subscription as string) : null;
}

function itemLines(
  emu: Emulator,
  sub: Stripe.Subscription,
  items: Stripe.SubscriptionItem[],
  period: { start: number; end: number },
  usagePeriod: { start: number; end: number } | null,
): LineSpec[] {
  const customer = idOf(sub.customer as string)!;
  return items.map((it) => {
    const metered = it.price.recurring?.usage_type === 'metered';
    const qty = metered ? (usagePeriod ? meteredUsage(emu, customer, it.price, usagePeriod) : 0) : (it.quantity ?? 1);
    const unit = it.price.unit_amount ?? 0;
    return {
      amount: Math.round(qty * unit),
      currency: it.price.currency,
      description: `${qty} × ${productName(emu, it.price)}`,
      quantity: qty,
      unitAmount: unit,
      price: it.price.id,
      product: idOf(it.price.product as string),
      period: metered && usagePeriod ? usagePeriod : period,
      subscription: sub.id,
      subscriptionItem: it.id,
      proration: false,
      invoiceItem: null,
    };
  });
}

/** The invoice Stripe would create at the subscription's next renewal (pending items included). */
export function upcomingInvoice(
  emu: Emulator,
  sub: Stripe.Subscription,
  items = sub.items.data,
  extra: LineSpec[] = [],
  prorationDate?: number,
  discounts?: string[],
): Stripe.Invoice {
  const customer = mustGet(emu.state.customers, idOf(sub.customer as string), 'customer');
  const period = periodOf(sub);
  const usagePeriod = sub.status === 'trialing' ? null : period;
  // A schedule's next phase starting at the renewal bills its items for the new period.
  const after = items === sub.items.data ? itemsAfter(emu, sub, period.end) : items;
  const price = after[0]!.price;
  const interval = price.recurring?.interval ?? 'month';
  const count = price.recurring?.interval_count ?? 1;
  const sameCycle =
    interval === items[0]!.price.recurring?.interval && count === (items[0]!.price.recurring?.interval_count ?? 1);
  const nextEnd = sameCycle
    ? nextBoundary(sub.billing_cycle_anchor, interval, count, period.end)
    : addUnits(period.end, interval, count);
  const next = { start: period.end, end: nextEnd };
  const pending = emu.state.pendingItems
    .filter((x) => x.customer === customer.id && (x.subscription === sub.id || x.subscription === null))
    .map(pendingToLine);
  const isMetered = (it: Stripe.SubscriptionItem) => it.price.recurring?.usage_type === 'metered';
  const lines = [
    ...pending,
    ...extra,
    ...(after === items
      ? itemLines(emu, sub, items, next, usagePeriod)
      : [
          ...itemLines(
            emu,
            sub,
            after.filter((it) => !isMetered(it)),
            next,
            null,
          ),
          ...itemLines(emu, sub, items.filter(isMetered), next, usagePeriod),
        ]),
  ];
  const invoice = newInvoice(emu, {
    customer,
    subscription: sub,
    billingReason: 'upcoming',
    lines,
    periodStart: period.start,
    periodEnd: period.end,
    now: period.end,
    currency: sub.currency,
    discounts: discounts ?? activeDiscounts(emu, sub, period.end),
    id: `upcoming_${newId('in')}`,
    prorationDate,
  });
  for (const l of invoice.lines.data) l.invoice = null;
  return applyBalance(invoice, customer);
}

interface PreviewParams {
  customer?: string;
  subscription?: string;
  subscription_details?: UpdateParams & {
    items?: UpdateParams['items'];
    proration_date?: number;
    proration_behavior?: UpdateParams['proration_behavior'];
    cancel_now?: boolean;
  };
  discounts?: UpdateParams['discounts'];
}

/**
 * `discounts` on a preview replace the subscription's own for this invoice, as Stripe documents.
 * They are checked as a redemption would be (an unusable code is refused) but nothing is redeemed:
 * the Discount objects exist only while the preview is computed and expanded (`expand`).
 */
function withPreviewDiscounts(
  emu: Emulator,
  body: PreviewParams,
  customer: string,
  now: number,
  build: (discounts: string[] | undefined) => Stripe.Invoice,
  expand?: unknown,
): Stripe.Invoice {
  if (!body.discounts) return build(undefined);
  const made = body.discounts.map((d) => {
    if (d.discount) return mustGet(emu.state.discounts, d.discount, 'discounts[0][discount]').id;
    return createDiscount(emu, { coupon: d.coupon, promotionCode: d.promotion_code, customer, now, preview: true }).id;
  });
  try {
    return applyExpand(emu, build(made), expand) as Stripe.Invoice;
  } finally {
    for (const id of made) if (!body.discounts.some((d) => d.discount === id)) emu.state.discounts.delete(id);
  }
}

function createPreview(emu: Emulator, body: PreviewParams, expand?: unknown): Stripe.Invoice {
  if (!body.customer && !body.subscription)
    throw invalidRequest('Missing required param: customer.', { param: 'customer', code: 'parameter_missing' });
  if (body.subscription) {
    const sub = mustGet(emu.state.subscriptions, body.subscription, 'subscription');
    if (body.customer && idOf(sub.customer as string) !== body.customer)
      throw invalidRequest('The subscription does not belong to this customer.', { param: 'subscription' });
    if (sub.status === 'canceled')
      throw invalidRequest('No upcoming invoices for customer: the subscription is canceled.', {
        code: 'invoice_upcoming_none',
        status: 404,
      });
    const details = body.subscription_details;
    const customerId = idOf(sub.customer as string)!;
    const now = emu.now(customerId);
    if (!details) {
      // A schedule's phase starting at the renewal brings its own discounts to that invoice.
      const phase = body.discounts ? null : nextPhaseDiscounts(emu, sub, periodOf(sub).end);
      const asked = phase ? { ...body, discounts: phase } : body;
      return withPreviewDiscounts(
        emu,
        asked,
        customerId,
        now,
        (d) => upcomingInvoice(emu, sub, undefined, [], undefined, d),
        expand,
      );
    }
    const plan = planUpdate(emu, sub, details, now);
    const prorationLines = plan.prorations.map(pendingToLine);
    if (plan.invoiceNow) {
      // What the update would invoice immediately.
      const customer = mustGet(emu.state.customers, idOf(sub.customer as string), 'customer');
      const pending = emu.state.pendingItems
        .filter((x) => x.customer === customer.id && (x.subscription === sub.id || x.subscription === null))
        .map(pendingToLine);
      const reset = plan.resetPeriod
        ? itemLines(
            emu,
            sub,
            plan.items.filter((i) => i.price.recurring?.usage_type !== 'metered'),
            plan.resetPeriod,
            null,
          )
        : [];
      return withPreviewDiscounts(emu, body, customerId, now, (discounts) => {
        const inv = newInvoice(emu, {
          customer,
          subscription: sub,
          billingReason: 'subscription_update',
          lines: [...pending, ...prorationLines, ...reset],
          periodStart: now,
          periodEnd: now,
          now,
          currency: sub.currency,
          discounts: discounts ?? activeDiscounts(emu, sub, now),
          id: `upcoming_${newId('in')}`,
          prorationDate: plan.prorations.length ? plan.prorationDate : undefined,
        });
        for (const l of inv.lines.data) l.invoice = null;
        return applyBalance(inv, customer);
      });
    }
    return withPreviewDiscounts(emu, body, customerId, now, (discounts) =>
      upcomingInvoice(emu, sub, plan.items, prorationLines, plan.prorations.length ? plan.prorationDate : undefined, discounts),
    );
  }
  // A new subscription's first invoice.
  const customer = mustGet(emu.state.customers, body.customer, 'customer');
  const items = body.subscription_details?.items ?? [];
  if (items.length === 0)
    throw invalidRequest(`No upcoming invoices for customer: ${customer.id}`, { code: 'invoice_upcoming_none', status: 404 });
  const now = emu.now(customer.id);
  const fake = { id: 'sub_preview', customer: customer.id, billing_cycle_anchor: now } as unknown as Stripe.Subscription;
  const subItems = items.map((it, i) => {
    const price = mustGet(emu.state.prices, it.price, `subscription_details[items][${i}][price]`);
    const period = { start: now, end: addUnits(now, price.recurring?.interval ?? 'month', price.recurring?.interval_count ?? 1) };
    return buildItem(emu, 'sub_preview', { price, quantity: it.quantity ?? 1 }, period, now);
  });
  const period = { start: subItems[0]!.current_period_start, end: subItems[0]!.current_period_end };
  const inv = newInvoice(emu, {
    customer,
    subscription: null,
    billingReason: 'subscription_create',
    lines: itemLines(emu, fake, subItems, period, null).map((l) => ({ ...l, subscription: null })),
    periodStart: now,
    periodEnd: now,
    now,
    currency: subItems[0]!.price.currency,
    id: `upcoming_${newId('in')}`,
  });
  for (const l of inv.lines.data) l.invoice = null;
  return applyBalance(inv, customer);
}

export function payInvoice(
  emu: Emulator,
  invoice: Stripe.Invoice,
  opts: { paymentMethod?: string; paidOutOfBand?: boolean; onSession?: boolean },
): Stripe.Invoice {
  if (invoice.status === 'paid') throw invalidRequest('Invoice is already paid', { code: 'invoice_already_paid' as string });
  if (invoice.status === 'void')
    throw invalidRequest('This invoice has been voided and cannot be paid.', { code: 'invoice_not_editable' });
  if (invoice.status === 'draft') finalizeInvoice(emu, invoice);
  if (invoice.status === 'paid') return invoice;
  if (opts.paidOutOfBand) {
    markPaid(emu, invoice, null);
    afterInvoicePayment(emu, invoice);
    return invoice;
  }
  if (opts.paymentMethod) {
    const pm = mustGet(emu.state.paymentMethods, opts.paymentMethod, 'payment_method');
    if (idOf(pm.customer as string) !== idOf(invoice.customer as string)) {
      throw invalidRequest(`The PaymentMethod ${pm.id} does not belong to the invoice's customer.`, { param: 'payment_method' });
    }
  }
  // A manual attempt never moves the automatic retry schedule.
  const scheduled = invoice.next_payment_attempt;
  const outcome = attemptPayment(emu, invoice, {
    paymentMethod: opts.paymentMethod ?? null,
    onSession: opts.onSession,
    scheduleRetry: false,
  });
  if (!outcome.ok) {
    invoice.next_payment_attempt = scheduled;
    throw outcomeError(outcome);
  }
  afterInvoicePayment(emu, invoice);
  return invoice;
}

export function registerInvoices(router: Router): void {
  upcomingHook.build = (emu, sub) => upcomingInvoice(emu, sub);
  // Elements-style flows confirm the invoice's payment on the client with this secret.
  registerIncludable('invoice', 'confirmation_secret', (emu, obj) => {
    const invoice = emu.state.invoices.get(String(obj.id));
    if (invoice?.status !== 'open' || invoice.amount_remaining === 0) return null;
    const pi = ensurePaymentIntent(emu, invoice, paymentMethodFor(emu, invoice));
    return { client_secret: pi.client_secret ?? '', type: 'payment_intent' } satisfies Stripe.Invoice.ConfirmationSecret;
  });
  registerIncludable('invoice', 'payments', (emu, obj) => {
    const inpay = invoicePaymentOf(emu, String(obj.id));
    return fullList(inpay ? [inpay] : [], `/v1/invoices/${String(obj.id)}/payments`);
  });

  router.post('/v1/invoices/create_preview', ({ emu, raw }) => {
    const body = parse<PreviewParams>(
      {
        customer: p.str,
        customer_account: p.str,
        subscription: p.str,
        discounts: p.arr(p.obj({ coupon: p.str, promotion_code: p.str, discount: p.str })),
        automatic_tax: p.any,
        currency: p.str,
        customer_details: p.any,
        invoice_items: p.any,
        issuer: p.any,
        on_behalf_of: p.any,
        preview_mode: p.enum('next', 'recurring'),
        schedule: p.str,
        schedule_details: p.any,
        subscription_details: p.obj({
          items: updateFields.items,
          proration_behavior: updateFields.proration_behavior,
          proration_date: p.int,
          cancel_at_period_end: p.bool,
          cancel_at: p.ts,
          cancel_now: p.bool,
          trial_end: p.ts,
          metadata: p.meta,
          default_tax_rates: p.any,
          billing_cycle_anchor: p.any,
          billing_mode: p.any,
          billing_schedules: p.any,
          pause: p.any,
          resume_at: p.any,
          start_date: p.any,
        }),
      },
      raw,
    );
    return createPreview(emu, body, raw.expand);
  });

  router.get('/v1/invoices/search', ({ emu, raw, path }) => {
    const params = parse<{ query?: string; limit?: number; page?: string }>(searchFields, raw);
    const q = parseQuery(required<string>(params, 'query'));
    const items = emu.state.invoices.newestFirst((i) =>
      matchesQuery({ ...i, subscription: subscriptionOf(i) } as unknown as Record<string, unknown>, q, [
        'customer',
        'status',
        'subscription',
        'total',
        'metadata',
        'created',
        'currency',
        'number',
      ]),
    );
    return searchPage(items, params, path);
  });

  router.get('/v1/invoices/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.invoices, params.id);
  });

  router.post('/v1/invoices/:id', ({ emu, params, raw }) => {
    const body = parse<{
      metadata?: Record<string, string | null>;
      description?: string | null;
      footer?: string | null;
      auto_advance?: boolean;
    }>(
      {
        metadata: p.meta,
        description: p.str,
        footer: p.str,
        auto_advance: p.bool,
        custom_fields: p.any,
        default_payment_method: p.str,
      },
      raw,
    );
    const invoice = mustGet(emu.state.invoices, params.id);
    const before = snapshot(invoice);
    if (body.metadata !== undefined)
      invoice.metadata = {
        ...(invoice.metadata ?? {}),
        ...Object.fromEntries(Object.entries(body.metadata ?? {}).filter(([, v]) => v !== null)),
      } as Stripe.Metadata;
    if (body.description !== undefined) invoice.description = body.description;
    if (body.footer !== undefined) invoice.footer = body.footer;
    if (body.auto_advance !== undefined) invoice.auto_advance = body.auto_advance;
    emu.emit('invoice.updated', invoice, {
      customer: idOf(invoice.customer as string),
      previous: previousAttributes(before, invoice),
    });
    return invoice;
  });

  router.get('/v1/invoices/:id/lines', ({ emu, params, raw, path }) => {
    const q = parse<{ limit?: number; starting_after?: string; ending_before?: string }>(listFields, raw);
    return paginate(mustGet(emu.state.invoices, params.id).lines.data, q, path);
  });

  router.post('/v1/invoices/:id/pay', ({ emu, params, raw }) => {
    const body = parse<{ payment_method?: string; paid_out_of_band?: boolean; off_session?: boolean }>(
      { payment_method: p.str, paid_out_of_band: p.bool, off_session: p.bool, forgive: p.bool, mandate: p.str, source: p.str },
      raw,
    );
    return payInvoice(emu, mustGet(emu.state.invoices, params.id), {
      paymentMethod: body.payment_method,
      paidOutOfBand: body.paid_out_of_band,
      onSession: body.off_session === false,
    });
  });

  router.post('/v1/invoices/:id/finalize', ({ emu, params, raw }) => {
    parse({ auto_advance: p.bool }, raw);
    const invoice = mustGet(emu.state.invoices, params.id);
    if (invoice.status !== 'draft')
      throw invalidRequest("This invoice is already finalized, you can't re-finalize a non-draft invoice.", {
        code: 'invoice_not_editable',
      });
    finalizeInvoice(emu, invoice);
    return invoice;
  });

  router.post('/v1/invoices/:id/void', ({ emu, params, raw }) => {
    parse({}, raw);
    const invoice = mustGet(emu.state.invoices, params.id);
    if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
      throw invalidRequest(
        `You can only void open or uncollectible invoices, but this invoice's status is ${String(invoice.status)}.`,
        { code: 'invoice_not_editable' },
      );
    }
    voidInvoice(emu, invoice);
    return invoice;
  });

  router.post('/v1/invoices/:id/mark_uncollectible', ({ emu, params, raw }) => {
    parse({}, raw);
    const invoice = mustGet(emu.state.invoices, params.id);
    if (invoice.status !== 'open')
      throw invalidRequest('You can only mark open invoices as uncollectible.', { code: 'invoice_not_editable' });
    invoice.status = 'uncollectible';
    // Present only on uncollectible invoices (2026-09-30.endive); marked by the API: forgiven by the user.
    invoice.status_details = { uncollectible: { reason: 'user_forgiven' } };
    invoice.status_transitions.marked_uncollectible_at = emu.now(idOf(invoice.customer as string));
    invoice.next_payment_attempt = null;
    emu.emit('invoice.marked_uncollectible', invoice, { customer: idOf(invoice.customer as string) });
    return invoice;
  });

  router.delete('/v1/invoices/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    const invoice = mustGet(emu.state.invoices, params.id);
    if (invoice.status !== 'draft') throw invalidRequest('You can only delete draft invoices.', { code: 'invoice_not_editable' });
    if (invoice.billing_reason?.startsWith('subscription'))
      throw invalidRequest('You cannot delete a draft invoice created by a subscription.', { code: 'invoice_not_editable' });
    emu.state.invoices.delete(invoice.id);
    emu.emit('invoice.deleted', invoice, { customer: idOf(invoice.customer as string) });
    return { id: invoice.id, object: 'invoice', deleted: true } satisfies Stripe.DeletedInvoice;
  });

  router.get('/v1/invoices', ({ emu, raw, path }) => {
    const params = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      customer?: string;
      subscription?: string;
      status?: string;
      created?: unknown;
      collection_method?: string;
      due_date?: unknown;
    }>(
      {
        ...listFields,
        customer: p.str,
        customer_account: p.str,
        subscription: p.str,
        status: p.enum('draft', 'open', 'paid', 'uncollectible', 'void'),
        created: p.range,
        collection_method: p.str,
        due_date: p.range,
      },
      raw,
    );
    const filter = (i: Stripe.Invoice) =>
      (!params.customer || idOf(i.customer as string) === params.customer) &&
      (!params.subscription || subscriptionOf(i) === params.subscription) &&
      (!params.status || i.status === params.status) &&
      (!params.collection_method || i.collection_method === params.collection_method) &&
      inRange(i.created, params.created);
    return pageOf(emu.state.invoices, filter, params, path);
  });

  router.get('/v1/invoice_payments', ({ emu, raw, path }) => {
    const params = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      invoice?: string;
      status?: string;
      payment?: { type?: string; payment_intent?: string; payment_record?: string };
    }>(
      {
        ...listFields,
        invoice: p.str,
        status: p.str,
        payment: p.obj({ type: p.enum('payment_intent', 'payment_record'), payment_intent: p.str, payment_record: p.str }),
        created: p.range,
      },
      raw,
    );
    const pay = params.payment;
    const items = emu.state.invoicePayments.newestFirst(
      (x) =>
        (!params.invoice || x.invoice === params.invoice) &&
        (!params.status || x.status === params.status) &&
        (!pay?.type || x.payment.type === pay.type) &&
        (!pay?.payment_intent || idOf(x.payment.payment_intent ?? null) === pay.payment_intent) &&
        (!pay?.payment_record || idOf(x.payment.payment_record ?? null) === pay.payment_record),
    );
    return paginate(items, params, path);
  });
  router.get('/v1/invoice_payments/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.invoicePayments, params.id);
  });
  router.get('/v1/payment_intents/:id', ({ emu, params, raw }) => {
    parse({ client_secret: p.str }, raw);
    return mustGet(emu.state.paymentIntents, params.id);
  });
}
