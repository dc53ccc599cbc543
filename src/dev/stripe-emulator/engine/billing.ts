// The subscription billing engine: creating subscriptions (from Checkout or the API), prorating
// changes, renewing periods, dunning after failed payments, ending trials and cancellations, and
// moving time forward for test clocks and per-customer demo time.
import type Stripe from 'stripe';
import { previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { cardError, invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import { fullList } from '../list.js';
import { idOf } from '../resources/common.js';
import { planFromPrice } from '../resources/catalog.js';
import { createDiscount } from '../resources/discounts.js';
import type { PendingItem, SubscriptionFlags } from '../store.js';
import {
  attemptPayment,
  chargeOutcome,
  finalizeInvoice,
  newInvoice,
  pendingToLine,
  saveDraft,
  voidInvoice,
  type LineSpec,
  type PaymentOutcome,
} from './invoices.js';
import { activeSchedule, endScheduleWith, release } from './schedules.js';
import { addUnits, DAY, formatDate, nextBoundary } from './time.js';

export interface ItemInput {
  price: Stripe.Price;
  quantity: number;
  metadata?: Stripe.Metadata;
}

// ---- small accessors -------------------------------------------------------------------------

export function subCustomer(emu: Emulator, sub: Stripe.Subscription): Stripe.Customer {
  const c = emu.state.customers.get(idOf(sub.customer as string | { id: string })!);
  if (!c) throw invalidRequest(`No such customer: '${String(sub.customer)}'`, { code: 'resource_missing', status: 404 });
  return c;
}

export function productName(emu: Emulator, price: Stripe.Price): string {
  const product = emu.state.products.get(idOf(price.product as string | { id: string }) ?? '');
  return product?.name ?? 'Subscription';
}

export function periodOf(sub: Stripe.Subscription): { start: number; end: number } {
  const first = sub.items.data[0];
  return { start: first?.current_period_start ?? sub.start_date, end: first?.current_period_end ?? sub.start_date };
}

function isMetered(price: Stripe.Price): boolean {
  return price.recurring?.usage_type === 'metered';
}

function intervalOf(price: Stripe.Price): { interval: string; count: number } {
  return { interval: price.recurring?.interval ?? 'month', count: price.recurring?.interval_count ?? 1 };
}

export function flagsFor(emu: Emulator, subId: string): SubscriptionFlags {
  let flags = emu.state.subFlags[subId];
  if (!flags) {
    flags = {};
    emu.state.subFlags[subId] = flags;
  }
  return flags;
}

/** Emit `customer.subscription.updated` with `previous_attributes` when `fn` changed anything. */
export function changeSubscription(emu: Emulator, sub: Stripe.Subscription, fn: () => void): void {
  const before = snapshot(sub);
  fn();
  const prev = previousAttributes(before, sub);
  if (Object.keys(prev).length > 0) {
    emu.emit('customer.subscription.updated', sub, { customer: idOf(sub.customer as string), previous: prev });
  }
}

export function buildItem(
  _emu: Emulator,
  subId: string,
  input: ItemInput,
  period: { start: number; end: number },
  created: number,
): Stripe.SubscriptionItem {
  const item = {
    id: newId('si'),
    object: 'subscription_item',
    billing_thresholds: null,
    created,
    current_period_end: period.end,
    current_period_start: period.start,
    current_trial: null,
    discounts: [],
    metadata: input.metadata ?? {},
    plan: planFromPrice(input.price),
    price: input.price,
    subscription: subId,
    tax_rates: [],
  } satisfies Stripe.SubscriptionItem;
  // Metered items carry no quantity: usage comes from the meter.
  return isMetered(input.price) ? item : { ...item, quantity: input.quantity };
}

// ---- subscription schedules ----------------------------------------------------------------------
// A schedule's phase that ends at a renewal hands the subscription its next phase's items (no
// proration: the new period is billed at the new prices); the last phase's end releases the
// subscription (end_behavior `release`) or has canceled it already (`cancel`, through its `cancel_at`).

/**
 * What the subscription bills once its period ending at `boundary` is over: the next phase's items
 * when a phase of its schedule starts there, else its own items.
 */
export function itemsAfter(emu: Emulator, sub: Stripe.Subscription, boundary: number): Stripe.SubscriptionItem[] {
  const sched = activeSchedule(emu, sub);
  const next = sched?.phases.find((ph) => ph.start_date === boundary);
  if (!sched || !next) return sub.items.data;
  const period = { start: boundary, end: boundary };
  return phaseItems(emu, sub, next, period, boundary);
}

/** The subscription's items for `phase`: items whose price stays keep their id. */
export function phaseItems(
  emu: Emulator,
  sub: Stripe.Subscription,
  phase: Stripe.SubscriptionSchedule.Phase,
  period: { start: number; end: number },
  now: number,
): Stripe.SubscriptionItem[] {
  return phase.items.map((pi) => {
    const priceId = idOf(pi.price as string)!;
    const price = emu.state.prices.get(priceId)!;
    const kept = sub.items.data.find((it) => it.price.id === priceId);
    const item = buildItem(
      emu,
      sub.id,
      { price, quantity: pi.quantity ?? 1, metadata: pi.metadata ?? {} },
      period,
      kept?.created ?? now,
    );
    return kept ? { ...item, id: kept.id } : item;
  });
}

/**
 * At a renewal (`boundary` = the period end): when the current phase ends there, apply the next
 * phase to the subscription (inside the caller's single `customer.subscription.updated`) and return
 * what to finish once that event is out; null when the schedule has nothing to do now.
 */
export function switchPhaseAtRenewal(emu: Emulator, sub: Stripe.Subscription, boundary: number): { finish: () => void } | null {
  const sched = activeSchedule(emu, sub);
  if (!sched?.current_phase || sched.current_phase.end_date !== boundary) return null;
  const before = snapshot(sched);
  const next = sched.phases.find((ph) => ph.start_date === boundary);
  if (next) {
    sub.items.data = phaseItems(emu, sub, next, { start: boundary, end: boundary }, boundary);
    if (next.metadata && Object.keys(next.metadata).length) sub.metadata = { ...sub.metadata, ...next.metadata };
    sub.discounts = phaseDiscounts(emu, sub, next, boundary);
    sched.current_phase = { start_date: next.start_date, end_date: next.end_date };
    return {
      finish: () =>
        emu.emit('subscription_schedule.updated', sched, {
          customer: idOf(sched.customer as string),
          previous: previousAttributes(before, sched),
        }),
    };
  }
  // The last phase is over. `cancel` ended the subscription already (its cancel_at is this boundary).
  sub.schedule = null;
  release(sched, boundary, sub.id);
  return {
    finish: () =>
      emu.emit('subscription_schedule.released', sched, {
        customer: idOf(sched.customer as string),
        previous: previousAttributes(before, sched),
      }),
  };
}

/**
 * The subscription's discounts for a phase that starts now: the phase's list replaces the
 * subscription's (a phase without discounts has none). Existing discounts are reused; a coupon or
 * promotion code is redeemed into a new Discount, announced with `customer.discount.created`. One
 * that can no longer be redeemed (expired, used up since the phase was set) is left out.
 */
function phaseDiscounts(
  emu: Emulator,
  sub: Stripe.Subscription,
  phase: Stripe.SubscriptionSchedule.Phase,
  now: number,
): string[] {
  const customer = idOf(sub.customer as string)!;
  const out: string[] = [];
  for (const d of phase.discounts ?? []) {
    const kept = idOf(d.discount as string | null);
    if (kept) {
      if (emu.state.discounts.has(kept)) out.push(kept);
      continue;
    }
    try {
      const made = createDiscount(emu, {
        coupon: idOf(d.coupon as string | null) ?? undefined,
        promotionCode: idOf(d.promotion_code as string | null) ?? undefined,
        customer,
        subscription: sub.id,
        now,
      });
      out.push(made.id);
      emu.emit('customer.discount.created', made, { customer });
    } catch {
      // Not redeemable any more: the phase starts without it.
    }
  }
  return out;
}

/**
 * The discounts a schedule's phase starting at `boundary` asks for, as preview parameters; null when
 * no phase starts there (the subscription's own discounts go on).
 */
export function nextPhaseDiscounts(
  emu: Emulator,
  sub: Stripe.Subscription,
  boundary: number,
): { coupon?: string; promotion_code?: string; discount?: string }[] | null {
  const next = activeSchedule(emu, sub)?.phases.find((ph) => ph.start_date === boundary);
  if (!next) return null;
  return (next.discounts ?? []).map((d) => {
    const discount = idOf(d.discount as string | null);
    const promotion = idOf(d.promotion_code as string | null);
    const coupon = idOf(d.coupon as string | null);
    return discount ? { discount } : promotion ? { promotion_code: promotion } : { coupon: coupon ?? '' };
  });
}

// ---- lines -------------------------------------------------------------------------------------

function licensedLines(
  emu: Emulator,
  sub: Stripe.Subscription,
  period: { start: number; end: number },
  trial: boolean,
): LineSpec[] {
  return sub.items.data
    .filter((it) => !isMetered(it.price))
    .map((it) => {
      const qty = it.quantity ?? 1;
      const name = productName(emu, it.price);
      return {
        amount: trial ? 0 : (it.price.unit_amount ?? 0) * qty,
        currency: it.price.currency,
        description: trial
          ? `Trial period for ${name}`
          : `${qty} × ${name} (at ${formatUnit(it.price)} / ${it.price.recurring?.interval ?? 'month'})`,
        quantity: qty,
        unitAmount: trial ? 0 : (it.price.unit_amount ?? 0),
        price: it.price.id,
        product: idOf(it.price.product as string),
        period,
        subscription: sub.id,
        subscriptionItem: it.id,
        proration: false,
        invoiceItem: null,
      };
    });
}

function formatUnit(price: Stripe.Price): string {
  const amount = (price.unit_amount ?? 0) / 100;
  return `$${amount.toFixed(2)}`;
}

/** Usage reported to the item's meter during `period`, aggregated with the meter's formula. */
export function meteredUsage(
  emu: Emulator,
  customerId: string,
  price: Stripe.Price,
  period: { start: number; end: number },
): number {
  const meterId = price.recurring?.meter;
  const meter = meterId ? emu.state.meters.get(meterId) : undefined;
  if (!meter) return 0;
  const events = emu.state.meterEvents.filter(
    (e) =>
      e.event_name === meter.event_name && e.customer === customerId && e.timestamp >= period.start && e.timestamp < period.end,
  );
  switch (meter.default_aggregation.formula) {
    case 'count':
      return events.length;
    case 'last':
      return events.length ? events.reduce((a, b) => (b.timestamp >= a.timestamp ? b : a)).value : 0;
    default:
      return events.reduce((s, e) => s + e.value, 0);
  }
}

function meteredLines(emu: Emulator, sub: Stripe.Subscription, period: { start: number; end: number }): LineSpec[] {
  const customerId = idOf(sub.customer as string)!;
  return sub.items.data
    .filter((it) => isMetered(it.price))
    .map((it) => {
      const usage = meteredUsage(emu, customerId, it.price, period);
      const unit = it.price.unit_amount ?? 0;
      return {
        amount: Math.round(usage * unit),
        currency: it.price.currency,
        description: `${usage} × ${productName(emu, it.price)} (at ${formatUnit(it.price)} / unit)`,
        quantity: usage,
        unitAmount: unit,
        price: it.price.id,
        product: idOf(it.price.product as string),
        period,
        subscription: sub.id,
        subscriptionItem: it.id,
        proration: false,
        invoiceItem: null,
      };
    });
}

function takePendingItems(emu: Emulator, customerId: string, subId: string | null): PendingItem[] {
  const mine = emu.state.pendingItems.filter(
    (p) => p.customer === customerId && (p.subscription === subId || p.subscription === null),
  );
  emu.state.pendingItems = emu.state.pendingItems.filter((p) => !mine.includes(p));
  return mine;
}

// ---- prorations --------------------------------------------------------------------------------

export interface ItemChange {
  itemId: string; // existing or new item id
  oldPrice: Stripe.Price | null;
  oldQuantity: number;
  newPrice: Stripe.Price | null; // null = item removed
  newQuantity: number;
  period: { start: number; end: number };
}

/**
 * Stripe's proration: credit the unused part of what was paid for, charge the remaining part of the
 * new price, each `round(unit × qty × remaining / period)`. The preview and the real update both
 * call this, which is why their lines are equal.
 */
export function prorationItems(
  emu: Emulator,
  sub: Stripe.Subscription,
  changes: ItemChange[],
  prorationDate: number,
  now: number,
): PendingItem[] {
  const customer = idOf(sub.customer as string)!;
  const out: PendingItem[] = [];
  for (const ch of changes) {
    const { start, end } = ch.period;
    if (end <= start) continue;
    const at = Math.min(Math.max(prorationDate, start), end);
    const fraction = (end - at) / (end - start);
    if (fraction <= 0) continue;
    const when = formatDate(at);
    if (ch.oldPrice && !isMetered(ch.oldPrice)) {
      const amount = -Math.round((ch.oldPrice.unit_amount ?? 0) * ch.oldQuantity * fraction);
      if (amount !== 0) {
        out.push({
          id: newId('ii'),
          customer,
          subscription: sub.id,
          subscription_item: ch.itemId,
          price: ch.oldPrice.id,
          product: idOf(ch.oldPrice.product as string),
          amount,
          currency: ch.oldPrice.currency,
          description: `Unused time on ${ch.oldQuantity} × ${productName(emu, ch.oldPrice)} after ${when}`,
          quantity: ch.oldQuantity,
          period: { start: at, end },
          proration: true,
          created: now,
        });
      }
    }
    if (ch.newPrice && !isMetered(ch.newPrice)) {
      const amount = Math.round((ch.newPrice.unit_amount ?? 0) * ch.newQuantity * fraction);
      if (amount !== 0) {
        out.push({
          id: newId('ii'),
          customer,
          subscription: sub.id,
          subscription_item: ch.itemId,
          price: ch.newPrice.id,
          product: idOf(ch.newPrice.product as string),
          amount,
          currency: ch.newPrice.currency,
          description: `Remaining time on ${ch.newQuantity} × ${productName(emu, ch.newPrice)} after ${when}`,
          quantity: ch.newQuantity,
          period: { start: at, end },
          proration: true,
          created: now,
        });
      }
    }
  }
  return out;
}

// ---- creation ----------------------------------------------------------------------------------

export interface CreateSubscriptionInput {
  customer: Stripe.Customer;
  items: ItemInput[];
  trialEnd?: number | null;
  defaultPaymentMethod?: string | null;
  metadata?: Stripe.Metadata;
  discounts?: string[]; // discount ids already created
  cancelAtPeriodEnd?: boolean;
  description?: string | null;
  paymentBehavior?: 'allow_incomplete' | 'default_incomplete' | 'error_if_incomplete' | 'pending_if_incomplete';
  /** A person is paying on a hosted page (3-D Secure can be completed there). */
  onSession?: boolean;
  /** Called after the subscription exists but before its first payment (Checkout records it). */
  beforePayment?: (sub: Stripe.Subscription) => void;
}

export function createSubscription(
  emu: Emulator,
  input: CreateSubscriptionInput,
): { sub: Stripe.Subscription; invoice: Stripe.Invoice; outcome: PaymentOutcome } {
  const { customer } = input;
  if (input.items.length === 0)
    throw invalidRequest('Missing required param: items.', { param: 'items', code: 'parameter_missing' });
  const now = emu.now(customer.id);
  const first = input.items[0]!.price;
  const currency = first.currency;
  for (const it of input.items) {
    if (!it.price.recurring)
      throw invalidRequest(`The price specified (${it.price.id}) is not recurring. Pass a recurring price.`, { param: 'items' });
    if (it.price.currency !== currency)
      throw invalidRequest('All prices on a subscription must have the same currency.', { param: 'items' });
    const a = intervalOf(it.price);
    const b = intervalOf(first);
    if (a.interval !== b.interval || a.count !== b.count)
      throw invalidRequest(
        'All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.',
        { param: 'items' },
      );
  }
  const trialEnd = input.trialEnd && input.trialEnd > now ? input.trialEnd : null;
  const { interval, count } = intervalOf(first);
  const period = { start: now, end: trialEnd ?? addUnits(now, interval, count) };
  const id = newId('sub');
  const sub = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: period.end === trialEnd ? trialEnd : now,
    billing_cycle_anchor_config: null,
    billing_mode: { type: 'flexible', flexible: { proration_discounts: 'included' }, updated_at: now },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: input.cancelAtPeriodEnd ?? false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: 'charge_automatically',
    created: now,
    currency,
    customer: customer.id,
    customer_account: null,
    days_until_due: null,
    default_payment_method: input.defaultPaymentMethod ?? null,
    default_source: null,
    default_tax_rates: [],
    description: input.description ?? null,
    discounts: input.discounts ?? [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
    items: fullList<Stripe.SubscriptionItem>([], `/v1/subscription_items?subscription=${id}`),
    latest_invoice: null as string | null,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata ?? {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: (trialEnd ? 'trialing' : 'incomplete') as Stripe.Subscription.Status,
    test_clock: idOf(customer.test_clock),
    transfer_data: null,
    trial_end: trialEnd,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } },
    trial_start: trialEnd ? now : null,
  } satisfies Stripe.Subscription;
  sub.items.data = input.items.map((it) => buildItem(emu, id, it, period, now));
  for (const d of sub.discounts) {
    const discount = emu.state.discounts.get(d);
    if (discount) discount.subscription = id;
  }

  const lines = licensedLines(emu, sub, period, Boolean(trialEnd));
  const pending = takePendingItems(emu, customer.id, null).map(pendingToLine);
  const invoice = newInvoice(emu, {
    customer,
    subscription: sub,
    billingReason: 'subscription_create',
    lines: [...pending, ...lines],
    periodStart: now,
    periodEnd: now,
    now,
    currency,
    discounts: trialEnd ? [] : sub.discounts.map((d) => String(d)),
  });
  sub.latest_invoice = invoice.id;

  if (input.paymentBehavior === 'error_if_incomplete' && !trialEnd) {
    // Decide before anything is stored: a failed first payment must leave no trace.
    const probe = invoice.total + customer.balance;
    if (probe > 0) {
      const pm = input.defaultPaymentMethod ?? idOf(customer.invoice_settings.default_payment_method);
      const outcome = chargeOutcome(emu, pm, input.onSession ?? false);
      if (!outcome.ok) throw outcomeError(outcome);
    }
  }

  emu.state.subscriptions.set(sub);
  emu.state.subFlags[sub.id] = {};
  input.beforePayment?.(sub);
  emu.emit('customer.subscription.created', sub, { customer: customer.id });
  saveDraft(emu, invoice);
  finalizeInvoice(emu, invoice);

  let outcome: PaymentOutcome = { ok: true };
  if (invoice.status === 'open') {
    if (input.paymentBehavior === 'default_incomplete') {
      outcome = { ok: false, kind: 'requires_action', message: 'Payment not attempted (default_incomplete).' };
    } else {
      outcome = attemptPayment(emu, invoice, { onSession: input.onSession, scheduleRetry: false });
    }
  }
  if (!trialEnd) {
    if (invoice.status === 'paid') {
      changeSubscription(emu, sub, () => (sub.status = 'active'));
    } else {
      // Stripe gives the customer 23 hours to complete the first payment.
      emu.state.subFlags[sub.id]!.incompleteExpiresAt = now + 23 * 3600;
    }
  }
  consumeOnceDiscounts(emu, invoice);
  maybeTrialWillEnd(emu, sub, now);
  return { sub, invoice, outcome };
}

export function outcomeError(outcome: PaymentOutcome): Error {
  if (outcome.ok) return new Error('not an error');
  if (outcome.kind === 'declined') return cardError(outcome.declineCode, outcome.message, outcome.code);
  if (outcome.kind === 'requires_action') return cardError('authentication_required', outcome.message, 'authentication_required');
  return invalidRequest(
    'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
    { param: 'default_payment_method' },
  );
}

function maybeTrialWillEnd(emu: Emulator, sub: Stripe.Subscription, now: number): void {
  if (sub.status !== 'trialing' || !sub.trial_end) return;
  const flags = flagsFor(emu, sub.id);
  if (flags.trialWillEndSent === sub.trial_end) return;
  if (now >= sub.trial_end - 3 * DAY) {
    flags.trialWillEndSent = sub.trial_end;
    emu.emit('customer.subscription.trial_will_end', sub, { customer: idOf(sub.customer as string) });
  }
}

// ---- status after payments ---------------------------------------------------------------------

/** Bring the subscription's status in line with its latest invoice after a payment attempt. */
export function afterInvoicePayment(emu: Emulator, invoice: Stripe.Invoice): void {
  const subId = invoice.parent?.subscription_details ? idOf(invoice.parent.subscription_details.subscription as string) : null;
  const sub = subId ? emu.state.subscriptions.get(subId) : undefined;
  if (!sub || sub.status === 'canceled' || sub.status === 'incomplete_expired') return;
  if (invoice.status === 'paid' && sub.pending_update && flagsFor(emu, sub.id).pendingUpdateInvoice === invoice.id) {
    applyPendingUpdate(emu, sub);
    return;
  }
  if (invoice.status === 'open' && flagsFor(emu, sub.id).pendingUpdateInvoice === invoice.id) return; // the plan never changed
  if (invoice.status === 'paid') {
    if (
      ['past_due', 'unpaid', 'incomplete'].includes(sub.status) ||
      (sub.status === 'trialing' && (!sub.trial_end || sub.trial_end <= emu.now(idOf(sub.customer as string))))
    ) {
      const openLeft = [...emu.state.invoices.values()].some(
        (i) =>
          i.status === 'open' &&
          i.id !== invoice.id &&
          idOf(i.parent?.subscription_details?.subscription as string) === sub.id &&
          i.amount_remaining > 0,
      );
      if (!openLeft) changeSubscription(emu, sub, () => (sub.status = 'active'));
    }
    return;
  }
  if (invoice.status === 'open' && invoice.billing_reason !== 'subscription_create') {
    if (sub.status === 'active' || sub.status === 'trialing') changeSubscription(emu, sub, () => (sub.status = 'past_due'));
    if (invoice.next_payment_attempt === null && invoice.attempt_count > emu.state.settings.retryDays.length)
      finalFailure(emu, sub);
  }
}

/** The pending update's invoice was paid: make the change now (Stripe's pending_update_applied). */
function applyPendingUpdate(emu: Emulator, sub: Stripe.Subscription): void {
  const pending = sub.pending_update!;
  const before = snapshot(sub);
  if (pending.subscription_items) sub.items = fullList(pending.subscription_items, sub.items.url);
  if (pending.billing_cycle_anchor !== null) sub.billing_cycle_anchor = pending.billing_cycle_anchor;
  if (pending.metadata) sub.metadata = { ...sub.metadata, ...pending.metadata };
  if (pending.trial_end !== null) sub.trial_end = pending.trial_end;
  sub.pending_update = null;
  delete flagsFor(emu, sub.id).pendingUpdateInvoice;
  const customer = idOf(sub.customer as string);
  const previous = previousAttributes(before, sub);
  emu.emit('customer.subscription.pending_update_applied', sub, { customer, previous });
  emu.emit('customer.subscription.updated', sub, { customer, previous });
}

/** Nobody paid within 23 hours: the change is dropped and its invoice voided. */
function expirePendingUpdate(emu: Emulator, sub: Stripe.Subscription): void {
  const flags = flagsFor(emu, sub.id);
  const invoice = flags.pendingUpdateInvoice ? emu.state.invoices.get(flags.pendingUpdateInvoice) : undefined;
  if (invoice?.status === 'open') voidInvoice(emu, invoice);
  const before = snapshot(sub);
  sub.pending_update = null;
  delete flags.pendingUpdateInvoice;
  const customer = idOf(sub.customer as string);
  const previous = previousAttributes(before, sub);
  emu.emit('customer.subscription.pending_update_expired', sub, { customer, previous });
  emu.emit('customer.subscription.updated', sub, { customer, previous });
}

function finalFailure(emu: Emulator, sub: Stripe.Subscription): void {
  switch (emu.state.settings.afterFinalFailure) {
    case 'cancel':
      cancelSubscriptionNow(emu, sub, { reason: 'payment_failed' });
      break;
    case 'unpaid':
      changeSubscription(emu, sub, () => (sub.status = 'unpaid'));
      break;
    case 'past_due':
      break;
  }
}

// ---- cancellation ------------------------------------------------------------------------------

export function cancelSubscriptionNow(
  emu: Emulator,
  sub: Stripe.Subscription,
  opts: {
    reason?: Stripe.Subscription.CancellationDetails.Reason;
    invoiceNow?: boolean;
    prorate?: boolean;
    comment?: string | null;
    feedback?: Stripe.Subscription.CancellationDetails.Feedback | null;
  } = {},
): Stripe.Subscription {
  const customer = subCustomer(emu, sub);
  const now = emu.now(customer.id);
  const period = periodOf(sub);
  if (opts.prorate && sub.status === 'active') {
    const credits = prorationItems(
      emu,
      sub,
      sub.items.data.map((it) => ({
        itemId: it.id,
        oldPrice: it.price,
        oldQuantity: it.quantity ?? 1,
        newPrice: null,
        newQuantity: 0,
        period,
      })),
      now,
      now,
    );
    emu.state.pendingItems.push(...credits);
  }
  if (opts.invoiceNow) {
    const lines = [
      ...meteredLines(emu, sub, { start: period.start, end: now }),
      ...takePendingItems(emu, customer.id, sub.id).map(pendingToLine),
    ];
    if (lines.length > 0) {
      const invoice = newInvoice(emu, {
        customer,
        subscription: sub,
        billingReason: 'subscription_cycle',
        lines,
        periodStart: period.start,
        periodEnd: now,
        now,
        currency: sub.currency,
      });
      saveDraft(emu, invoice);
      finalizeInvoice(emu, invoice);
      attemptPayment(emu, invoice, { scheduleRetry: false });
    }
  }
  const before = snapshot(sub);
  sub.status = 'canceled';
  sub.canceled_at = sub.canceled_at ?? now;
  sub.ended_at = now;
  sub.cancellation_details = {
    comment: opts.comment ?? sub.cancellation_details?.comment ?? null,
    feedback: opts.feedback ?? sub.cancellation_details?.feedback ?? null,
    feedback_option: null,
    reason: opts.reason ?? sub.cancellation_details?.reason ?? 'cancellation_requested',
  };
  emu.emit('customer.subscription.deleted', sub, { customer: customer.id, previous: previousAttributes(before, sub) });
  endScheduleWith(emu, sub, now);
  return sub;
}

// ---- renewal -----------------------------------------------------------------------------------

function renew(emu: Emulator, sub: Stripe.Subscription): void {
  const customer = subCustomer(emu, sub);
  const old = periodOf(sub);
  const now = old.end;
  const endingTrial = sub.status === 'trialing';
  // Usage is billed in arrears for the period that just ended, at the prices it was used under;
  // licensed items in advance.
  const metered = endingTrial ? [] : meteredLines(emu, sub, old);
  const pending = takePendingItems(emu, customer.id, sub.id).map(pendingToLine);
  // One `customer.subscription.updated` for the new period (the trial's end, a schedule's next phase).
  const before = snapshot(sub);
  const phase = switchPhaseAtRenewal(emu, sub, now);
  const { interval, count } = intervalOf(sub.items.data[0]!.price);
  const was = intervalOf(before.items.data[0]!.price);
  // A phase with another interval starts a new billing cycle at the switch.
  if (was.interval !== interval || was.count !== count) sub.billing_cycle_anchor = now;
  const nextEnd = nextBoundary(sub.billing_cycle_anchor, interval, count, now);
  const period = { start: now, end: nextEnd };

  const lines = [...pending, ...licensedLines(emu, sub, period, false), ...metered];
  const invoice = newInvoice(emu, {
    customer,
    subscription: sub,
    billingReason: 'subscription_cycle',
    lines,
    periodStart: old.start,
    periodEnd: old.end,
    now,
    currency: sub.currency,
    discounts: activeDiscounts(emu, sub, now),
  });
  invoice.automatically_finalizes_at = now + emu.state.settings.finalizeDelaySeconds;
  sub.items.data = sub.items.data.map((it) => ({ ...it, current_period_start: period.start, current_period_end: period.end }));
  if (endingTrial) sub.status = 'active';
  sub.latest_invoice = invoice.id;
  const previous = previousAttributes(before, sub);
  if (Object.keys(previous).length > 0) emu.emit('customer.subscription.updated', sub, { customer: customer.id, previous });
  phase?.finish();
  saveDraft(emu, invoice);
  if (emu.state.settings.finalizeDelaySeconds <= 0) {
    finalizeAndCharge(emu, invoice);
  } else {
    emu.state.autoFinalize[invoice.id] = invoice.automatically_finalizes_at;
  }
}

/** Discounts still in force: `once` coupons apply to one invoice, `repeating` for N months. */
export function activeDiscounts(emu: Emulator, sub: Stripe.Subscription, now: number): string[] {
  const keep: string[] = [];
  for (const d of sub.discounts) {
    const id = typeof d === 'string' ? d : d.id;
    const discount = emu.state.discounts.get(id);
    if (!discount) continue;
    if (discount.end !== null && discount.end <= now) continue;
    keep.push(id);
  }
  return keep;
}

export function finalizeAndCharge(emu: Emulator, invoice: Stripe.Invoice): void {
  finalizeInvoice(emu, invoice);
  if (invoice.status === 'open') attemptPayment(emu, invoice);
  afterInvoicePayment(emu, invoice);
  consumeOnceDiscounts(emu, invoice);
}

export function consumeOnceDiscounts(emu: Emulator, invoice: Stripe.Invoice): void {
  for (const d of invoice.discounts) {
    const discount = emu.state.discounts.get(typeof d === 'string' ? d : d.id);
    const coupon = discount ? emu.state.coupons.get(idOf(discount.source.coupon as string) ?? '') : undefined;
    if (discount && coupon?.duration === 'once' && discount.end === null) discount.end = invoice.created;
  }
}

// ---- time --------------------------------------------------------------------------------------

interface Due {
  at: number;
  run: () => void;
}

/**
 * The earliest scheduled action whose time has come for its customer. `targetFor` gives the time
 * each customer has reached (undefined: the customer is not being moved).
 */
function nextDue(emu: Emulator, targetFor: (customerId: string) => number | undefined): Due | null {
  let best: Due | null = null;
  let limit = 0;
  const consider = (at: number | null | undefined, run: () => void): void => {
    if (at === null || at === undefined || at > limit) return;
    if (!best || at < best.at) best = { at, run };
  };
  for (const inv of emu.state.invoices.values()) {
    if (inv.status !== 'draft' && inv.status !== 'open') continue;
    const t = targetFor(idOf(inv.customer as string) ?? '');
    if (t === undefined) continue;
    limit = t;
    if (inv.status === 'draft' && emu.state.autoFinalize[inv.id] !== undefined) {
      consider(emu.state.autoFinalize[inv.id], () => finalizeAndCharge(emu, inv));
    } else if (inv.status === 'open' && inv.next_payment_attempt !== null && inv.collection_method === 'charge_automatically') {
      consider(inv.next_payment_attempt, () => {
        attemptPayment(emu, inv);
        afterInvoicePayment(emu, inv);
      });
    }
  }
  for (const sub of emu.state.subscriptions.values()) {
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired') continue;
    const t = targetFor(idOf(sub.customer as string) ?? '');
    if (t === undefined) continue;
    limit = t;
    const flags = flagsFor(emu, sub.id);
    if (sub.status === 'incomplete') {
      consider(flags.incompleteExpiresAt, () => expireIncomplete(emu, sub));
      continue;
    }
    if (sub.pending_update) consider(sub.pending_update.expires_at, () => expirePendingUpdate(emu, sub));
    if (sub.status === 'unpaid' || sub.status === 'paused') continue;
    const period = periodOf(sub);
    if (sub.cancel_at !== null && sub.cancel_at <= period.end) {
      consider(sub.cancel_at, () =>
        cancelSubscriptionNow(emu, sub, { reason: 'cancellation_requested', invoiceNow: hasMetered(sub) }),
      );
      continue;
    }
    if (sub.cancel_at_period_end) {
      consider(period.end, () =>
        cancelSubscriptionNow(emu, sub, { reason: 'cancellation_requested', invoiceNow: hasMetered(sub) }),
      );
      continue;
    }
    if (sub.status === 'trialing' && sub.trial_end && flags.trialWillEndSent !== sub.trial_end) {
      consider(sub.trial_end - 3 * DAY, () => maybeTrialWillEnd(emu, sub, sub.trial_end! - 3 * DAY));
    }
    if (sub.status !== 'trialing' && flags.upcomingSentFor !== period.end && emu.state.settings.upcomingDays > 0) {
      consider(period.end - emu.state.settings.upcomingDays * DAY, () => sendUpcoming(emu, sub));
    }
    consider(period.end, () => renew(emu, sub));
  }
  return best;
}

function hasMetered(sub: Stripe.Subscription): boolean {
  return sub.items.data.some((it) => isMetered(it.price));
}

function expireIncomplete(emu: Emulator, sub: Stripe.Subscription): void {
  const latest = sub.latest_invoice ? emu.state.invoices.get(idOf(sub.latest_invoice as string)!) : undefined;
  if (latest?.status === 'open') voidInvoice(emu, latest);
  changeSubscription(emu, sub, () => {
    sub.status = 'incomplete_expired';
    sub.ended_at = emu.now(idOf(sub.customer as string));
  });
}

/** Hook set by the invoices resource: builds the upcoming-invoice preview for `invoice.upcoming`. */
export const upcomingHook: { build: ((emu: Emulator, sub: Stripe.Subscription) => Stripe.Invoice) | null } = { build: null };

function sendUpcoming(emu: Emulator, sub: Stripe.Subscription): void {
  const flags = flagsFor(emu, sub.id);
  flags.upcomingSentFor = periodOf(sub).end;
  if (!upcomingHook.build) return;
  const preview = upcomingHook.build(emu, sub);
  emu.emit('invoice.upcoming', { ...preview, id: undefined } as unknown as { id?: string }, {
    customer: idOf(sub.customer as string),
  });
}

/**
 * Run everything due for `customers` up to `target`, in time order. `setTime` moves their clock
 * to each step, so objects created along the way carry the simulated time.
 */
export function runUntil(emu: Emulator, customers: Set<string>, target: number, setTime: (t: number) => void): number {
  let steps = 0;
  for (;;) {
    const due = nextDue(emu, (id) => (customers.has(id) ? target : undefined));
    if (!due) break;
    setTime(due.at);
    due.run();
    if (++steps > 100_000) throw new Error('billing engine: too many steps (runaway schedule)');
  }
  setTime(target);
  return steps;
}

/** Real-time progress for customers not on a test clock (the demo's per-customer offset included). */
export function tick(emu: Emulator): number {
  const targetFor = (id: string): number | undefined => {
    const c = emu.state.customers.get(id);
    return c && !c.test_clock ? emu.now(id) : undefined;
  };
  let steps = 0;
  for (let due = nextDue(emu, targetFor); due; due = nextDue(emu, targetFor)) {
    due.run();
    if (++steps > 10_000) break;
  }
  return steps;
}
