// Subscriptions: create (API), retrieve, list, search, update (price swaps, quantities, prorations,
// cancel at period end, trial changes, discounts) and cancel. Period dates live on the items in
// this API version.
import type Stripe from 'stripe';
import { previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { invalidRequest, noSuch, StripeApiError } from '../errors.js';
import { fullList, inRange, matchesQuery, pageOf, paginate, parseQuery, searchPage } from '../list.js';
import { listFields, p, parse, required, searchFields } from '../params.js';
import type { Router } from '../router.js';
import {
  activeDiscounts,
  flagsFor,
  afterInvoicePayment,
  buildItem,
  consumeOnceDiscounts,
  cancelSubscriptionNow,
  changeSubscription,
  createSubscription,
  outcomeError,
  periodOf,
  prorationItems,
  subCustomer,
  type ItemChange,
} from '../engine/billing.js';
import {
  attemptPayment,
  finalizeInvoice,
  newInvoice,
  pendingToLine,
  saveDraft,
  voidInvoice,
  type LineSpec,
} from '../engine/invoices.js';
import { activeSchedule } from '../engine/schedules.js';
import { addUnits, formatDate } from '../engine/time.js';
import type { PendingItem } from '../store.js';
import { idOf, mergeMetadata, mustGet } from './common.js';
import { createDiscount } from './discounts.js';
import { productName } from '../engine/billing.js';

const itemSpec = p.obj({
  id: p.str,
  price: p.str,
  quantity: p.int,
  deleted: p.bool,
  metadata: p.meta,
  clear_usage: p.bool,
  price_data: p.unsupported,
  discounts: p.unsupported,
  billing_thresholds: p.unsupported,
  tax_rates: p.unsupported,
  plan: p.unsupported,
  current_trial: p.unsupported,
});
const discountsSpec = p.arr(p.obj({ coupon: p.str, promotion_code: p.str, discount: p.str }));
const paymentBehavior = p.enum('allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete');
const prorationBehavior = p.enum('always_invoice', 'create_prorations', 'none');

interface ItemParam {
  id?: string;
  price?: string;
  quantity?: number;
  deleted?: boolean;
  metadata?: Record<string, string | null>;
}

export interface UpdateParams {
  items?: ItemParam[];
  proration_behavior?: 'always_invoice' | 'create_prorations' | 'none';
  proration_date?: number;
  cancel_at_period_end?: boolean;
  cancel_at?: number | null;
  default_payment_method?: string | null;
  trial_end?: number | 'now';
  discounts?: { coupon?: string; promotion_code?: string; discount?: string }[] | null;
  metadata?: Record<string, string | null> | null;
  payment_behavior?: 'allow_incomplete' | 'default_incomplete' | 'error_if_incomplete' | 'pending_if_incomplete';
  description?: string | null;
  cancellation_details?: { comment?: string | null; feedback?: Stripe.Subscription.CancellationDetails.Feedback | null };
}

export const updateFields = {
  items: p.arr(itemSpec),
  proration_behavior: prorationBehavior,
  proration_date: p.int,
  cancel_at_period_end: p.bool,
  cancel_at: p.ts,
  default_payment_method: p.str,
  trial_end: p.ts,
  discounts: discountsSpec,
  metadata: p.meta,
  payment_behavior: paymentBehavior,
  description: p.str,
  cancellation_details: p.obj({ comment: p.str, feedback: p.str }),
  // Accepted because they change nothing the emulator models (no taxes, cards only, off_session is implied).
  automatic_tax: p.obj({ enabled: p.or(p.enum('false'), p.unsupported), liability: p.any }),
  collection_method: p.enum('charge_automatically'),
  invoice_settings: p.any,
  off_session: p.bool,
  payment_settings: p.any,
  trial_from_plan: p.bool,
  trial_settings: p.any,
  default_source: p.unsupported,
  // Real Stripe parameters that change billing in ways not emulated: refused, never ignored.
  add_invoice_items: p.unsupported,
  application_fee_percent: p.unsupported,
  billing_cycle_anchor: p.unsupported,
  billing_schedules: p.unsupported,
  billing_thresholds: p.unsupported,
  days_until_due: p.unsupported,
  default_tax_rates: p.unsupported,
  on_behalf_of: p.unsupported,
  pause_collection: p.unsupported,
  pending_invoice_item_interval: p.unsupported,
  transfer_data: p.unsupported,
};

/** The subscription's items after applying `items[]`, and what changed (for prorations). */
export function planItemChanges(
  emu: Emulator,
  sub: Stripe.Subscription,
  items: ItemParam[] | undefined,
  created: number,
): { items: Stripe.SubscriptionItem[]; changes: ItemChange[] } {
  let next = sub.items.data.map((it) => ({ ...it }));
  const changes: ItemChange[] = [];
  const period = periodOf(sub);
  (items ?? []).forEach((param, i) => {
    if (param.id) {
      const idx = next.findIndex((it) => it.id === param.id);
      if (idx < 0)
        throw invalidRequest(`No such subscription item: '${param.id}'`, {
          param: `items[${i}][id]`,
          code: 'resource_missing',
          status: 404,
        });
      const current = next[idx]!;
      if (param.deleted) {
        changes.push({
          itemId: current.id,
          oldPrice: current.price,
          oldQuantity: current.quantity ?? 1,
          newPrice: null,
          newQuantity: 0,
          period,
        });
        next = next.filter((it) => it.id !== current.id);
        return;
      }
      const price = param.price ? mustGet(emu.state.prices, param.price, `items[${i}][price]`) : current.price;
      const quantity = param.quantity ?? current.quantity ?? 1;
      if (price.id !== current.price.id || quantity !== (current.quantity ?? 1)) {
        changes.push({
          itemId: current.id,
          oldPrice: current.price,
          oldQuantity: current.quantity ?? 1,
          newPrice: price,
          newQuantity: quantity,
          period,
        });
      }
      const rebuilt = buildItem(
        emu,
        sub.id,
        { price, quantity, metadata: mergeMetadata(current.metadata, param.metadata) },
        period,
        current.created,
      );
      next[idx] = { ...rebuilt, id: current.id };
      return;
    }
    if (!param.price)
      throw invalidRequest(`Missing required param: items[${i}][price].`, {
        param: `items[${i}][price]`,
        code: 'parameter_missing',
      });
    const price = mustGet(emu.state.prices, param.price, `items[${i}][price]`);
    if (next.some((it) => it.price.id === price.id)) {
      throw invalidRequest('Cannot add multiple subscription items with the same price.', { param: `items[${i}][price]` });
    }
    const item = buildItem(
      emu,
      sub.id,
      { price, quantity: param.quantity ?? 1, metadata: mergeMetadata({}, param.metadata) },
      period,
      created,
    );
    changes.push({ itemId: item.id, oldPrice: null, oldQuantity: 0, newPrice: price, newQuantity: item.quantity ?? 1, period });
    next.push(item);
  });
  if (next.length === 0) throw invalidRequest('A subscription must have at least one active plan.', { param: 'items' });
  return { items: next, changes };
}

function sameInterval(a: Stripe.Price, b: Stripe.Price): boolean {
  return a.recurring?.interval === b.recurring?.interval && a.recurring?.interval_count === b.recurring?.interval_count;
}

function requireAttached(emu: Emulator, customerId: string, pmId: string): void {
  const pm = emu.state.paymentMethods.get(pmId);
  if (!pm || idOf(pm.customer as string) !== customerId) {
    throw invalidRequest(
      `The customer does not have a payment method with the ID ${pmId}. The payment method must be attached to the customer.`,
      { param: 'default_payment_method', code: 'resource_missing' },
    );
  }
}

function makeDiscounts(
  emu: Emulator,
  list: UpdateParams['discounts'],
  customer: string,
  sub: string | null,
  now: number,
): string[] {
  return (list ?? []).map((d) => {
    if (d.discount) return mustGet(emu.state.discounts, d.discount, 'discounts[0][discount]').id;
    return createDiscount(emu, { coupon: d.coupon, promotionCode: d.promotion_code, customer, subscription: sub, now }).id;
  });
}

/** Lines for a full new period of the given items (a reset billing cycle charges it now). */
function periodLines(
  emu: Emulator,
  sub: Stripe.Subscription,
  items: Stripe.SubscriptionItem[],
  period: { start: number; end: number },
): LineSpec[] {
  return items
    .filter((it) => it.price.recurring?.usage_type !== 'metered')
    .map((it) => ({
      amount: (it.price.unit_amount ?? 0) * (it.quantity ?? 1),
      currency: it.price.currency,
      description: `${it.quantity ?? 1} × ${productName(emu, it.price)} (from ${formatDate(period.start)})`,
      quantity: it.quantity ?? 1,
      unitAmount: it.price.unit_amount ?? 0,
      price: it.price.id,
      product: idOf(it.price.product as string),
      period,
      subscription: sub.id,
      subscriptionItem: it.id,
      proration: false,
      invoiceItem: null,
    }));
}

export interface UpdatePlan {
  items: Stripe.SubscriptionItem[];
  prorations: PendingItem[];
  /** The invoice to create now (always_invoice, a billing cycle reset, or ending a trial now). */
  invoiceNow: boolean;
  resetPeriod: { start: number; end: number } | null;
  prorationDate: number;
  endTrialNow: boolean;
}

/** Everything an update would do, computed without changing anything (shared with create_preview). */
export function planUpdate(emu: Emulator, sub: Stripe.Subscription, body: UpdateParams, now: number): UpdatePlan {
  const { items, changes } = planItemChanges(emu, sub, body.items, now);
  const prorationDate = body.proration_date ?? now;
  const behavior = body.proration_behavior ?? 'create_prorations';
  const trialing = sub.status === 'trialing';
  const endTrialNow = trialing && body.trial_end === 'now';
  const intervalChanged = !sameInterval(items[0]!.price, sub.items.data[0]!.price);
  let resetPeriod: { start: number; end: number } | null = null;
  if (endTrialNow || (intervalChanged && !trialing)) {
    const price = items[0]!.price;
    resetPeriod = { start: now, end: addUnits(now, price.recurring?.interval ?? 'month', price.recurring?.interval_count ?? 1) };
  }
  let prorations: PendingItem[] = [];
  if (behavior !== 'none' && !trialing && changes.length > 0) {
    const effective = resetPeriod ? changes.map((c) => ({ ...c, newPrice: null })) : changes; // a reset charges the new price in full
    prorations = prorationItems(emu, sub, effective, prorationDate, now);
  }
  return {
    items,
    prorations,
    prorationDate,
    endTrialNow,
    resetPeriod,
    invoiceNow: resetPeriod !== null || (behavior === 'always_invoice' && prorations.length > 0),
  };
}

/** What a pending update may carry (Stripe's list; `metadata` since 2026-05-27.dahlia). */
const PENDING_UPDATE_PARAMS = [
  'expand',
  'items',
  'metadata',
  'payment_behavior',
  'proration_behavior',
  'proration_date',
  'trial_end',
  'trial_from_plan',
];

/**
 * A pending subscription update changes existing items only: each `items[]` entry names an item by `id` and may
 * carry `price` and `quantity` (item `discounts` since 2026-07-29.dahlia, not emulated). Adding an
 * item, deleting one or setting anything else on it is refused, as on Stripe.
 */
function checkPendingItems(items: ItemParam[] | undefined): void {
  (items ?? []).forEach((item, i) => {
    const extra = Object.keys(item).find((k) => item[k as keyof ItemParam] !== undefined && !PENDING_ITEM_PARAMS.includes(k));
    if (extra) {
      throw invalidRequest(
        `\`items[${i}][${extra}]\` cannot be used with \`payment_behavior=pending_if_incomplete\`. A pending update can only change the \`price\` and \`quantity\` of existing items.`,
        { param: `items[${i}][${extra}]` },
      );
    }
    if (!item.id) {
      throw invalidRequest(
        `\`items[${i}]\` adds an item, which cannot be done with \`payment_behavior=pending_if_incomplete\`. A pending update can only change the \`price\` and \`quantity\` of existing items.`,
        { param: `items[${i}]` },
      );
    }
  });
}

const PENDING_ITEM_PARAMS = ['id', 'price', 'quantity'];

export function updateSubscription(emu: Emulator, sub: Stripe.Subscription, body: UpdateParams): Stripe.Subscription {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    throw invalidRequest(`A canceled subscription can only update its cancellation_details and metadata.`, { param: 'items' });
  }
  const customer = subCustomer(emu, sub);
  const now = emu.now(customer.id);
  if (body.payment_behavior === 'pending_if_incomplete') {
    const extra = Object.keys(body).find((k) => !PENDING_UPDATE_PARAMS.includes(k));
    if (extra) {
      throw invalidRequest(
        `\`${extra}\` cannot be used with \`payment_behavior=pending_if_incomplete\`. Pending updates support only: ${PENDING_UPDATE_PARAMS.join(', ')}.`,
        { param: extra },
      );
    }
  }
  const schedule = activeSchedule(emu, sub);
  if (schedule && (body.cancel_at_period_end !== undefined || body.cancel_at !== undefined)) {
    throw invalidRequest(
      `The subscription is managed by the subscription schedule \`${schedule.id}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`,
      { param: body.cancel_at_period_end !== undefined ? 'cancel_at_period_end' : 'cancel_at' },
    );
  }
  if (body.default_payment_method) requireAttached(emu, customer.id, body.default_payment_method);
  const plan = planUpdate(emu, sub, body, now);
  const before = snapshot(sub);
  const pendingBefore = [...emu.state.pendingItems];

  sub.items = fullList(
    plan.items.map((it) =>
      plan.resetPeriod ? { ...it, current_period_start: plan.resetPeriod.start, current_period_end: plan.resetPeriod.end } : it,
    ),
    sub.items.url,
  );
  if (plan.resetPeriod) sub.billing_cycle_anchor = plan.resetPeriod.start;
  if (plan.endTrialNow) {
    sub.trial_end = now;
    sub.status = 'active';
  } else if (typeof body.trial_end === 'number') {
    if (body.trial_end <= now)
      throw invalidRequest('Invalid timestamp: must be an integer Unix timestamp in the future.', { param: 'trial_end' });
    sub.trial_end = body.trial_end;
    sub.trial_start = sub.trial_start ?? now;
    sub.status = 'trialing';
    sub.items = fullList(
      sub.items.data.map((it) => ({ ...it, current_period_end: body.trial_end as number })),
      sub.items.url,
    );
    sub.billing_cycle_anchor = body.trial_end;
  }
  if (body.cancel_at_period_end !== undefined) {
    sub.cancel_at_period_end = body.cancel_at_period_end;
    sub.cancel_at = body.cancel_at_period_end ? periodOf(sub).end : null;
    sub.canceled_at = body.cancel_at_period_end ? now : null;
    sub.cancellation_details = {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: body.cancel_at_period_end ? 'cancellation_requested' : null,
    };
  }
  if (body.cancel_at !== undefined) {
    sub.cancel_at = body.cancel_at;
    sub.canceled_at = body.cancel_at === null ? null : now;
    if (body.cancel_at === null) sub.cancel_at_period_end = false;
  }
  if (body.cancellation_details) {
    const cd = sub.cancellation_details ?? { comment: null, feedback: null, feedback_option: null, reason: null };
    sub.cancellation_details = {
      ...cd,
      comment: body.cancellation_details.comment ?? cd.comment,
      feedback: body.cancellation_details.feedback ?? cd.feedback,
    };
  }
  if (body.default_payment_method !== undefined) sub.default_payment_method = body.default_payment_method;
  if (body.metadata !== undefined) sub.metadata = mergeMetadata(sub.metadata, body.metadata);
  if (body.description !== undefined) sub.description = body.description;
  if (body.discounts !== undefined) sub.discounts = makeDiscounts(emu, body.discounts, customer.id, sub.id, now);

  emu.state.pendingItems.push(...plan.prorations);
  let invoice: Stripe.Invoice | null = null;
  if (plan.invoiceNow) {
    const pending = emu.state.pendingItems.filter(
      (p) => p.customer === customer.id && (p.subscription === sub.id || p.subscription === null),
    );
    emu.state.pendingItems = emu.state.pendingItems.filter((p) => !pending.includes(p));
    const lines = [
      ...pending.map(pendingToLine),
      ...(plan.resetPeriod ? periodLines(emu, sub, sub.items.data, plan.resetPeriod) : []),
    ];
    invoice = newInvoice(emu, {
      customer,
      subscription: sub,
      billingReason: 'subscription_update',
      lines,
      periodStart: now,
      periodEnd: now,
      now,
      currency: sub.currency,
      discounts: activeDiscounts(emu, sub, now),
      prorationDate: plan.prorations.length ? plan.prorationDate : undefined,
    });
    sub.latest_invoice = invoice.id;
  }

  const behavior = body.payment_behavior ?? 'allow_incomplete';
  if (invoice && (behavior === 'error_if_incomplete' || behavior === 'pending_if_incomplete')) {
    // Charge first: if it fails, Stripe leaves the subscription as it was (and for pending updates,
    // records the change in `pending_update`, to apply when the open invoice is paid).
    saveDraft(emu, invoice);
    finalizeInvoice(emu, invoice);
    const outcome = invoice.status === 'open' ? attemptPayment(emu, invoice, { scheduleRetry: false }) : { ok: true as const };
    if (!outcome.ok) {
      const attempted = snapshot(sub);
      Object.assign(sub, before);
      if (behavior === 'error_if_incomplete') {
        voidInvoice(emu, invoice);
        emu.state.pendingItems = pendingBefore;
        const err = outcomeError(outcome);
        throw err instanceof StripeApiError ? err : invalidRequest(String(err));
      }
      sub.pending_update = {
        billing_cycle_anchor:
          attempted.billing_cycle_anchor !== before.billing_cycle_anchor ? attempted.billing_cycle_anchor : null,
        cancel_at_period_end: null,
        discount: null,
        discounts: null,
        expires_at: now + 23 * 3600,
        metadata: body.metadata
          ? (Object.fromEntries(Object.entries(body.metadata).filter(([, v]) => v !== null)) as Stripe.Metadata)
          : null,
        subscription_items: attempted.items.data,
        trial_end: typeof body.trial_end === 'number' ? body.trial_end : null,
        trial_from_plan: null,
      };
      sub.latest_invoice = invoice.id;
      flagsFor(emu, sub.id).pendingUpdateInvoice = invoice.id;
      emu.emit('customer.subscription.updated', sub, { customer: customer.id, previous: previousAttributes(before, sub) });
      return sub;
    }
  }

  emu.emit('customer.subscription.updated', sub, { customer: customer.id, previous: previousAttributes(before, sub) });
  if (invoice && invoice.status === 'draft') {
    saveDraft(emu, invoice);
    finalizeInvoice(emu, invoice);
    if (invoice.status === 'open' && behavior !== 'default_incomplete') attemptPayment(emu, invoice);
    afterInvoicePayment(emu, invoice);
    consumeOnceDiscounts(emu, invoice);
  } else if (invoice) {
    afterInvoicePayment(emu, invoice);
  }
  return sub;
}

interface CreateParams extends UpdateParams {
  customer?: string;
  trial_period_days?: number;
}

export function registerSubscriptions(router: Router): void {
  router.post('/v1/subscriptions', ({ emu, raw }) => {
    const body = parse<CreateParams>(
      {
        ...updateFields,
        customer: p.str,
        customer_account: p.str,
        trial_period_days: p.int,
        currency: p.str,
        backdate_start_date: p.unsupported,
        billing_cycle_anchor_config: p.unsupported,
        billing_mode: p.any,
      },
      raw,
    );
    const customer = mustGet(emu.state.customers, required(body, 'customer'), 'customer');
    const now = emu.now(customer.id);
    const items = (body.items ?? []).map((it, i) => ({
      price: mustGet(emu.state.prices, required(it as Record<string, unknown>, 'price'), `items[${i}][price]`),
      quantity: it.quantity ?? 1,
      metadata: mergeMetadata({}, it.metadata),
    }));
    if (items.length === 0) throw invalidRequest('Missing required param: items.', { param: 'items', code: 'parameter_missing' });
    if (body.default_payment_method) requireAttached(emu, customer.id, body.default_payment_method);
    const trialDays = body.trial_period_days ?? items[0]!.price.recurring?.trial_period_days ?? undefined;
    const trialEnd = body.trial_end === 'now' ? null : (body.trial_end ?? (trialDays ? now + trialDays * 86_400 : null));
    const discounts = makeDiscounts(emu, body.discounts, customer.id, null, now);
    const { sub } = createSubscription(emu, {
      customer,
      items,
      trialEnd,
      defaultPaymentMethod: body.default_payment_method ?? null,
      metadata: mergeMetadata({}, body.metadata),
      discounts,
      cancelAtPeriodEnd: body.cancel_at_period_end,
      description: body.description ?? null,
      paymentBehavior: body.payment_behavior ?? 'allow_incomplete',
    });
    if (body.cancel_at_period_end) changeSubscription(emu, sub, () => (sub.cancel_at = periodOf(sub).end));
    return sub;
  });

  router.get('/v1/subscriptions/search', ({ emu, raw, path }) => {
    const params = parse<{ query?: string; limit?: number; page?: string }>(searchFields, raw);
    const q = parseQuery(required<string>(params, 'query'));
    const items = emu.state.subscriptions.newestFirst((s) =>
      matchesQuery(s as unknown as Record<string, unknown>, q, ['status', 'metadata', 'created', 'canceled_at', 'customer']),
    );
    return searchPage(items, params, path);
  });

  router.get('/v1/subscriptions/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.subscriptions, params.id);
  });

  router.post('/v1/subscriptions/:id', ({ emu, params, raw }) => {
    const body = parse<UpdateParams>(updateFields, raw);
    if (body.payment_behavior === 'pending_if_incomplete') checkPendingItems(body.items);
    return updateSubscription(emu, mustGet(emu.state.subscriptions, params.id), body);
  });

  router.delete('/v1/subscriptions/:id', ({ emu, params, raw }) => {
    const body = parse<{
      invoice_now?: boolean;
      prorate?: boolean;
      cancellation_details?: { comment?: string; feedback?: Stripe.Subscription.CancellationDetails.Feedback };
    }>({ invoice_now: p.bool, prorate: p.bool, cancellation_details: p.obj({ comment: p.str, feedback: p.str }) }, raw);
    const sub = mustGet(emu.state.subscriptions, params.id);
    if (sub.status === 'canceled') {
      throw invalidRequest(`No such subscription: '${sub.id}'`, { code: 'resource_missing', status: 404, param: 'id' });
    }
    if (sub.status === 'incomplete') {
      const latest = emu.state.invoices.get(idOf(sub.latest_invoice as string) ?? '');
      if (latest?.status === 'open') voidInvoice(emu, latest);
    }
    return cancelSubscriptionNow(emu, sub, {
      reason: 'cancellation_requested',
      invoiceNow: body.invoice_now,
      prorate: body.prorate,
      comment: body.cancellation_details?.comment ?? null,
      feedback: body.cancellation_details?.feedback ?? null,
    });
  });

  router.get('/v1/subscriptions', ({ emu, raw, path }) => {
    const params = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      status?: string;
      customer?: string;
      price?: string;
      plan?: string;
      test_clock?: string;
      created?: unknown;
      current_period_start?: unknown;
      current_period_end?: unknown;
      collection_method?: string;
    }>(
      {
        ...listFields,
        status: p.enum(
          'active',
          'all',
          'canceled',
          'ended',
          'incomplete',
          'incomplete_expired',
          'past_due',
          'paused',
          'trialing',
          'unpaid',
        ),
        customer: p.str,
        customer_account: p.str,
        price: p.str,
        plan: p.str,
        test_clock: p.str,
        created: p.range,
        current_period_start: p.range,
        current_period_end: p.range,
        collection_method: p.str,
        automatic_tax: p.any,
      },
      raw,
    );
    const status = params.status;
    const filter = (s: Stripe.Subscription): boolean => {
      if (status === undefined && (s.status === 'canceled' || s.status === 'incomplete_expired')) return false;
      if (status === 'ended' && s.status !== 'canceled' && s.status !== 'incomplete_expired') return false;
      if (status && status !== 'all' && status !== 'ended' && s.status !== status) return false;
      if (params.customer && idOf(s.customer as string) !== params.customer) return false;
      const price = params.price ?? params.plan;
      if (price && !s.items.data.some((it) => it.price.id === price)) return false;
      // Like Stripe, subscriptions on test clocks are only listed when their clock is asked for.
      if (!params.customer && idOf(s.test_clock as string) !== (params.test_clock ?? null)) return false;
      if (params.collection_method && s.collection_method !== params.collection_method) return false;
      const period = periodOf(s);
      return (
        inRange(s.created, params.created) &&
        inRange(period.start, params.current_period_start) &&
        inRange(period.end, params.current_period_end)
      );
    };
    return pageOf(emu.state.subscriptions, filter, params, path);
  });

  router.get('/v1/subscription_items', ({ emu, raw, path }) => {
    const params = parse<{ limit?: number; starting_after?: string; ending_before?: string; subscription?: string }>(
      { ...listFields, subscription: p.str },
      raw,
    );
    const sub = mustGet(emu.state.subscriptions, required(params, 'subscription'), 'subscription');
    return paginate(sub.items.data, params, path);
  });

  // Subscription items on their own: each call is a subscription update touching one item.
  const itemFields = {
    price: p.str,
    quantity: p.int,
    metadata: p.meta,
    proration_behavior: prorationBehavior,
    proration_date: p.int,
    payment_behavior: paymentBehavior,
    billing_thresholds: p.unsupported,
    discounts: p.unsupported,
    off_session: p.bool,
    price_data: p.unsupported,
    tax_rates: p.unsupported,
    plan: p.unsupported,
  };
  const subscriptionOfItem = (emu: Emulator, itemId: string): Stripe.Subscription => {
    for (const sub of emu.state.subscriptions.values()) if (sub.items.data.some((it) => it.id === itemId)) return sub;
    throw noSuch(itemId);
  };

  router.post('/v1/subscription_items', ({ emu, raw }) => {
    const body = parse<ItemParam & UpdateParams & { subscription?: string }>({ ...itemFields, subscription: p.str }, raw);
    const sub = mustGet(emu.state.subscriptions, required(body, 'subscription'), 'subscription');
    const before = new Set(sub.items.data.map((it) => it.id));
    updateSubscription(emu, sub, {
      items: [{ price: required(body, 'price'), quantity: body.quantity, metadata: body.metadata }],
      proration_behavior: body.proration_behavior,
      proration_date: body.proration_date,
      payment_behavior: body.payment_behavior,
    });
    return sub.items.data.find((it) => !before.has(it.id));
  });

  router.post('/v1/subscription_items/:id', ({ emu, params, raw }) => {
    const body = parse<ItemParam & UpdateParams>(itemFields, raw);
    const sub = subscriptionOfItem(emu, params.id!);
    updateSubscription(emu, sub, {
      items: [{ id: params.id, price: body.price, quantity: body.quantity, metadata: body.metadata }],
      proration_behavior: body.proration_behavior,
      proration_date: body.proration_date,
      payment_behavior: body.payment_behavior,
    });
    return sub.items.data.find((it) => it.id === params.id);
  });

  router.delete('/v1/subscription_items/:id', ({ emu, params, raw }) => {
    const body = parse<UpdateParams>({ proration_behavior: prorationBehavior, proration_date: p.int, clear_usage: p.bool }, raw);
    const sub = subscriptionOfItem(emu, params.id!);
    updateSubscription(emu, sub, {
      items: [{ id: params.id, deleted: true }],
      proration_behavior: body.proration_behavior,
      proration_date: body.proration_date,
    });
    return { id: params.id!, object: 'subscription_item', deleted: true } satisfies Stripe.DeletedSubscriptionItem;
  });

  router.get('/v1/subscription_items/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    for (const sub of emu.state.subscriptions.values()) {
      const item = sub.items.data.find((it) => it.id === params.id);
      if (item) return item;
    }
    throw noSuch(params.id!);
  });
}
