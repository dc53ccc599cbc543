// Subscription schedules: create from an existing subscription (`from_subscription`), retrieve,
// list, update phases (validated as Stripe validates them), release and cancel. Phase switches at
// renewals are the billing engine's (engine/schedules.ts). Schedules that start a new subscription
// (`customer` + `start_date`) are not emulated and are refused as such.
import type Stripe from 'stripe';
import { previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { invalidRequest, noSuch, parameterError } from '../errors.js';
import { newId } from '../ids.js';
import { pageOf } from '../list.js';
import { listFields, p, parse, required } from '../params.js';
import type { Router } from '../router.js';
import { cancelSubscriptionNow, changeSubscription, periodOf, subCustomer } from '../engine/billing.js';
import { activeSchedule, release } from '../engine/schedules.js';
import { addUnits, nextBoundary } from '../engine/time.js';
import { idOf, mergeMetadata, mustGet } from './common.js';
import { couponUsable, promotionCodeUsable } from './discounts.js';

const SCHEDULE = 'subscription schedule';

const phaseItemSpec = p.obj({
  price: p.str,
  quantity: p.int,
  metadata: p.meta,
  plan: p.unsupported,
  price_data: p.unsupported,
  discounts: p.unsupported,
  billing_thresholds: p.unsupported,
  tax_rates: p.unsupported,
});

const phaseSpec = p.obj({
  items: p.arr(phaseItemSpec),
  start_date: p.ts,
  end_date: p.ts,
  duration: p.obj({ interval: p.enum('day', 'week', 'month', 'year'), interval_count: p.int }),
  proration_behavior: p.enum('always_invoice', 'create_prorations', 'none'),
  metadata: p.meta,
  discounts: p.arr(p.obj({ coupon: p.str, promotion_code: p.str, discount: p.str, discount_end: p.unsupported })),
  trial_end: p.ts,
  currency: p.str,
  description: p.str,
  default_payment_method: p.str,
  collection_method: p.enum('charge_automatically'),
  automatic_tax: p.obj({ enabled: p.or(p.enum('false'), p.unsupported), liability: p.any }),
  invoice_settings: p.any,
  billing_cycle_anchor: p.or(p.enum('automatic'), p.unsupported),
  // Real Stripe parameters whose effect is not emulated: refused, never ignored.
  add_invoice_items: p.unsupported,
  application_fee_percent: p.unsupported,
  billing_thresholds: p.unsupported,
  default_tax_rates: p.unsupported,
  iterations: p.unsupported,
  on_behalf_of: p.unsupported,
  transfer_data: p.unsupported,
  trial: p.unsupported,
  trial_continuation: p.unsupported,
  pause: p.unsupported,
  resume: p.unsupported,
});

interface PhaseParam {
  items?: { price?: string; quantity?: number; metadata?: Record<string, string | null> }[];
  start_date?: number | 'now';
  end_date?: number | 'now';
  duration?: { interval?: 'day' | 'week' | 'month' | 'year'; interval_count?: number };
  proration_behavior?: Stripe.SubscriptionSchedule.Phase.ProrationBehavior;
  metadata?: Record<string, string | null>;
  discounts?: { coupon?: string; promotion_code?: string; discount?: string }[];
  trial_end?: number | 'now';
  currency?: string;
  description?: string | null;
  default_payment_method?: string | null;
}

function emulatorLimit(param: string, what: string) {
  return parameterError(
    'parameter_unsupported_by_emulator',
    param,
    `The local Stripe emulator does not support ${what} yet. Real Stripe accepts it; add it to src/dev/stripe-emulator if DropIn needs it.`,
  );
}

function mustGetSchedule(emu: Emulator, id: string | undefined): Stripe.SubscriptionSchedule {
  const sched = id ? emu.state.subscriptionSchedules.get(id) : undefined;
  if (!sched) throw noSuch(String(id), 'schedule', SCHEDULE);
  return sched;
}

function requireOpen(sched: Stripe.SubscriptionSchedule, verb: string): void {
  if (sched.status !== 'active' && sched.status !== 'not_started') {
    throw invalidRequest(
      `You cannot ${verb} a subscription schedule that is currently in the \`${sched.status}\` status. It must be in one of the following statuses: \`not_started\`, \`active\`.`,
    );
  }
}

function phaseItem(price: Stripe.Price, quantity: number, metadata: Stripe.Metadata): Stripe.SubscriptionSchedule.Phase.Item {
  const item = { billing_thresholds: null, discounts: [], metadata, plan: price.id, price: price.id, tax_rates: [] };
  return price.recurring?.usage_type === 'metered' ? item : { ...item, quantity };
}

function phaseObject(
  fields: Pick<Stripe.SubscriptionSchedule.Phase, 'start_date' | 'end_date' | 'items' | 'currency'> &
    Partial<Stripe.SubscriptionSchedule.Phase>,
): Stripe.SubscriptionSchedule.Phase {
  return {
    add_invoice_items: [],
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: null,
    billing_thresholds: null,
    collection_method: null,
    default_payment_method: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    invoice_settings: null,
    metadata: {},
    on_behalf_of: null,
    proration_behavior: 'create_prorations',
    transfer_data: null,
    trial_end: null,
    ...fields,
  };
}

function intervalOf(price: Stripe.Price): { interval: string; count: number } {
  return { interval: price.recurring?.interval ?? 'month', count: price.recurring?.interval_count ?? 1 };
}

/** Whether `end` is a whole number of `price`'s intervals after `start` (a renewal falls on it). */
function onBoundary(start: number, end: number, price: Stripe.Price): boolean {
  const { interval, count } = intervalOf(price);
  for (let k = 1; ; k++) {
    const t = addUnits(start, interval, k * count);
    if (t >= end) return t === end;
  }
}

/** Whether the subscription renews at `end` (counted from its billing cycle anchor, as renewals are). */
function renewsAt(sub: Stripe.Subscription, end: number): boolean {
  const { interval, count } = intervalOf(sub.items.data[0]!.price);
  let t = periodOf(sub).end;
  while (t < end) t = nextBoundary(sub.billing_cycle_anchor, interval, count, t);
  return t === end;
}

/**
 * A phase's discounts, checked as Stripe checks them when the schedule is saved: each names exactly
 * one of an existing discount of this subscription or its customer, a coupon, or a promotion code,
 * and coupons and codes must be redeemable now. They are redeemed when the phase starts.
 */
function phaseDiscountList(
  emu: Emulator,
  sub: Stripe.Subscription,
  list: PhaseParam['discounts'],
  at: string,
  now: number,
): Stripe.SubscriptionSchedule.Phase.Discount[] {
  const customer = idOf(sub.customer as string);
  return (list ?? []).map((d, j) => {
    const param = `${at}[discounts][${j}]`;
    const given = [d.coupon, d.promotion_code, d.discount].filter((x) => x !== undefined);
    if (given.length !== 1)
      throw invalidRequest(`You must pass exactly one of \`coupon\`, \`promotion_code\` or \`discount\` in ${param}.`, { param });
    if (d.discount !== undefined) {
      const discount = mustGet(emu.state.discounts, d.discount, `${param}[discount]`, 'discount');
      const owner = idOf(discount.subscription as string | null);
      if ((owner !== null && owner !== sub.id) || idOf(discount.customer as string | null) !== customer)
        throw invalidRequest(`The discount ${discount.id} does not belong to this subscription or its customer.`, {
          param: `${param}[discount]`,
        });
      return { coupon: null, discount: discount.id, promotion_code: null };
    }
    if (d.promotion_code !== undefined) {
      const promo = mustGet(emu.state.promotionCodes, d.promotion_code, `${param}[promotion_code]`, 'promotion code');
      const problem = promotionCodeUsable(emu, promo, customer, now);
      if (problem) throw invalidRequest(problem, { param: `${param}[promotion_code]` });
      return { coupon: null, discount: null, promotion_code: promo.id };
    }
    const coupon = mustGet(emu.state.coupons, d.coupon, `${param}[coupon]`, 'coupon');
    const problem = couponUsable(emu, coupon, now);
    if (problem) throw invalidRequest(problem, { param: `${param}[coupon]` });
    return { coupon: coupon.id, discount: null, promotion_code: null };
  });
}

/** The phases an update asks for, checked the way Stripe checks them, as stored phase objects. */
function planPhases(
  emu: Emulator,
  sched: Stripe.SubscriptionSchedule,
  sub: Stripe.Subscription,
  params: PhaseParam[],
  now: number,
): Stripe.SubscriptionSchedule.Phase[] {
  if (params.length === 0) throw invalidRequest('You must pass at least one phase.', { param: 'phases' });
  const current = sched.current_phase;
  const out: Stripe.SubscriptionSchedule.Phase[] = [];
  params.forEach((ph, i) => {
    const at = `phases[${i}]`;
    const items = ph.items ?? [];
    if (items.length === 0) throw parameterError('parameter_missing', `${at}[items]`, `Missing required param: ${at}[items].`);
    const prices = items.map((it, j) => {
      const priceId = required<string>(it, 'price');
      const price = emu.state.prices.get(priceId);
      if (!price) throw noSuch(priceId, `${at}[items][${j}][price]`, 'price');
      if (!price.recurring)
        throw invalidRequest(`The price specified (${price.id}) is not recurring. Pass a recurring price.`, {
          param: `${at}[items][${j}][price]`,
        });
      return price;
    });
    const first = prices[0]!;
    for (const [j, price] of prices.entries()) {
      const a = intervalOf(price);
      const b = intervalOf(first);
      if (a.interval !== b.interval || a.count !== b.count)
        throw invalidRequest(
          'All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.',
          { param: `${at}[items][${j}][price]` },
        );
      if (price.currency !== sub.currency)
        throw invalidRequest(`The price ${price.id} uses currency ${price.currency}, the subscription ${sub.currency}.`, {
          param: `${at}[items][${j}][price]`,
        });
      if (prices.findIndex((x) => x.id === price.id) !== j)
        throw invalidRequest('Cannot add multiple subscription items with the same price.', {
          param: `${at}[items][${j}][price]`,
        });
    }

    const previous = out[i - 1];
    const start = ph.start_date === 'now' ? now : (ph.start_date ?? previous?.end_date ?? current?.start_date ?? now);
    if (i === 0 && current && start !== current.start_date)
      throw invalidRequest('You can not modify the start date of the current phase.', { param: `${at}[start_date]` });
    if (previous && start !== previous.end_date)
      throw invalidRequest(`The start_date of ${at} must be the end_date of the phase before it.`, {
        param: `${at}[start_date]`,
      });
    if (ph.end_date !== undefined && ph.duration !== undefined)
      throw invalidRequest(`You may only specify one of these parameters: ${at}[end_date], ${at}[duration].`, {
        param: `${at}[duration]`,
      });
    let end: number;
    if (ph.end_date !== undefined) end = ph.end_date === 'now' ? now : ph.end_date;
    else if (ph.duration) end = addUnits(start, ph.duration.interval ?? 'month', ph.duration.interval_count ?? 1);
    else {
      const { interval, count } = intervalOf(first);
      end = addUnits(start, interval, count);
    }
    if (end <= start) throw invalidRequest(`The end_date of ${at} must be after its start_date.`, { param: `${at}[end_date]` });
    if (end <= now) throw invalidRequest(`The end_date of ${at} must be in the future.`, { param: `${at}[end_date]` });

    const isCurrent = i === 0 && current !== null;
    if (isCurrent) {
      // Changing what the subscription bills right now would be an immediate, prorated update.
      const same =
        prices.length === sub.items.data.length &&
        prices.every((price, j) => {
          const item = sub.items.data.find((it) => it.price.id === price.id);
          return item && (price.recurring?.usage_type === 'metered' || (items[j]!.quantity ?? 1) === (item.quantity ?? 1));
        });
      if (!same) throw emulatorLimit(`${at}[items]`, "changing the current phase's items");
      if (!renewsAt(sub, end)) throw emulatorLimit(`${at}[end_date]`, 'a phase that ends between two renewals');
      const trialEnd = ph.trial_end === 'now' ? now : (ph.trial_end ?? null);
      if (sub.status === 'trialing' && trialEnd !== sub.trial_end)
        throw emulatorLimit(`${at}[trial_end]`, "changing the current phase's trial");
      // The current phase's discounts are the subscription's: listing others would change them now.
      const own = (sub.discounts ?? []).map((x) => idOf(x as string));
      const listed = (ph.discounts ?? []).map((x) => x.discount ?? null);
      if (listed.length !== own.length || listed.some((id, j) => id !== own[j]))
        throw emulatorLimit(`${at}[discounts]`, "changing the current phase's discounts (list the subscription's own)");
    } else {
      if (ph.trial_end !== undefined) throw emulatorLimit(`${at}[trial_end]`, 'trials in a later phase');
      if (!onBoundary(start, end, first)) throw emulatorLimit(`${at}[end_date]`, 'a phase that ends between two renewals');
    }
    out.push(
      phaseObject({
        start_date: start,
        end_date: end,
        currency: sub.currency,
        items: prices.map((price, j) => phaseItem(price, items[j]!.quantity ?? 1, mergeMetadata({}, items[j]!.metadata))),
        metadata: mergeMetadata({}, ph.metadata),
        discounts: phaseDiscountList(emu, sub, ph.discounts, at, now),
        proration_behavior: ph.proration_behavior ?? 'create_prorations',
        trial_end: isCurrent && sub.status === 'trialing' ? sub.trial_end : null,
        description: ph.description ?? null,
        default_payment_method: ph.default_payment_method ?? null,
      }),
    );
  });
  return out;
}

function subscriptionOf(emu: Emulator, sched: Stripe.SubscriptionSchedule): Stripe.Subscription | null {
  const id = idOf(sched.subscription as string | null);
  return id ? (emu.state.subscriptions.get(id) ?? null) : null;
}

/** end_behavior `cancel` ends the subscription at the last phase's end: Stripe shows it as the subscription's cancel_at. */
function syncCancelAt(emu: Emulator, sched: Stripe.SubscriptionSchedule, sub: Stripe.Subscription): void {
  const last = sched.phases[sched.phases.length - 1];
  const cancelAt = sched.end_behavior === 'cancel' && last ? last.end_date : null;
  if (sub.cancel_at === cancelAt) return;
  changeSubscription(emu, sub, () => {
    sub.cancel_at = cancelAt;
    sub.canceled_at = cancelAt === null ? null : emu.now(idOf(sub.customer as string));
  });
}

function createFromSubscription(emu: Emulator, subId: string): Stripe.SubscriptionSchedule {
  const sub = emu.state.subscriptions.get(subId);
  if (!sub) throw noSuch(subId, 'from_subscription', 'subscription');
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired')
    throw invalidRequest(`You cannot migrate a subscription that is already canceled.`, { param: 'from_subscription' });
  const attached = activeSchedule(emu, sub);
  if (attached)
    throw invalidRequest(`You cannot migrate a subscription that is already attached to a schedule: \`${attached.id}\`.`, {
      param: 'from_subscription',
    });
  const customer = subCustomer(emu, sub);
  const now = emu.now(customer.id);
  const period = periodOf(sub);
  const cancelAt = sub.cancel_at;
  const phase = phaseObject({
    start_date: period.start,
    end_date: cancelAt ?? period.end,
    currency: sub.currency,
    items: sub.items.data.map((it) => phaseItem(it.price, it.quantity ?? 1, it.metadata ?? {})),
    metadata: {},
    discounts: (sub.discounts ?? []).map((d) => ({ coupon: null, discount: idOf(d as string), promotion_code: null })),
    trial_end: sub.status === 'trialing' ? sub.trial_end : null,
    default_payment_method: idOf(sub.default_payment_method as string | null),
  });
  const sched: Stripe.SubscriptionSchedule = {
    id: newId('sub_sched'),
    object: 'subscription_schedule',
    application: null,
    billing_mode: { type: 'flexible', flexible: { proration_discounts: 'included' }, updated_at: now },
    canceled_at: null,
    completed_at: null,
    created: now,
    current_phase: { start_date: phase.start_date, end_date: phase.end_date },
    customer: customer.id,
    customer_account: null,
    default_settings: {
      application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: 'automatic',
      billing_thresholds: null,
      collection_method: 'charge_automatically',
      default_payment_method: idOf(sub.default_payment_method as string | null),
      description: sub.description,
      invoice_settings: {
        account_tax_ids: null,
        custom_fields: null,
        days_until_due: null,
        description: null,
        footer: null,
        issuer: { type: 'self' },
      },
      on_behalf_of: null,
      transfer_data: null,
    },
    // A subscription set to cancel keeps that end: the schedule ends there and cancels it.
    end_behavior: cancelAt !== null ? 'cancel' : 'release',
    livemode: false,
    metadata: {},
    pause_schedules: [],
    phases: [phase],
    released_at: null,
    released_subscription: null,
    status: 'active',
    subscription: sub.id,
    test_clock: idOf(sub.test_clock as string | null),
  };
  emu.state.subscriptionSchedules.set(sched);
  emu.emit('subscription_schedule.created', sched, { customer: customer.id });
  changeSubscription(emu, sub, () => {
    sub.schedule = sched.id;
    if (cancelAt !== null) sub.cancel_at_period_end = false;
  });
  return sched;
}

export function registerSubscriptionSchedules(router: Router): void {
  router.post('/v1/subscription_schedules', ({ emu, raw }) => {
    const body = parse<{
      from_subscription?: string;
      customer?: string;
      start_date?: number | 'now';
      phases?: PhaseParam[];
      end_behavior?: string;
      metadata?: Record<string, string | null>;
      default_settings?: unknown;
    }>(
      {
        from_subscription: p.str,
        customer: p.str,
        customer_account: p.str,
        start_date: p.ts,
        phases: p.arr(phaseSpec),
        end_behavior: p.enum('release', 'cancel', 'none', 'renew'),
        metadata: p.meta,
        default_settings: p.any,
        billing_mode: p.any,
        pause_schedules: p.unsupported,
      },
      raw,
    );
    if (body.from_subscription) {
      // Stripe: with from_subscription the schedule copies the subscription; anything else is a second call.
      for (const key of ['customer', 'start_date', 'phases', 'end_behavior', 'default_settings'] as const) {
        if (body[key] !== undefined)
          throw invalidRequest(`You cannot set \`${key}\` if \`from_subscription\` is set.`, { param: key });
      }
      const sched = createFromSubscription(emu, body.from_subscription);
      if (body.metadata) sched.metadata = mergeMetadata({}, body.metadata);
      return sched;
    }
    throw emulatorLimit('customer', 'schedules that start a new subscription (only `from_subscription`)');
  });

  router.get('/v1/subscription_schedules/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGetSchedule(emu, params.id);
  });

  router.get('/v1/subscription_schedules', ({ emu, raw, path }) => {
    const q = parse<{ limit?: number; starting_after?: string; ending_before?: string; customer?: string; scheduled?: boolean }>(
      {
        ...listFields,
        customer: p.str,
        scheduled: p.bool,
        canceled_at: p.range,
        completed_at: p.range,
        created: p.range,
        released_at: p.range,
      },
      raw,
    );
    const filter = (s: Stripe.SubscriptionSchedule) =>
      (!q.customer || idOf(s.customer as string) === q.customer) &&
      (q.scheduled === undefined || (s.status === 'not_started') === q.scheduled);
    return pageOf(emu.state.subscriptionSchedules, filter, q, path);
  });

  router.post('/v1/subscription_schedules/:id', ({ emu, params, raw }) => {
    const body = parse<{
      phases?: PhaseParam[];
      end_behavior?: 'release' | 'cancel' | 'none' | 'renew';
      metadata?: Record<string, string | null> | null;
      proration_behavior?: string;
      default_settings?: unknown;
    }>(
      {
        phases: p.arr(phaseSpec),
        end_behavior: p.enum('release', 'cancel', 'none', 'renew'),
        metadata: p.meta,
        proration_behavior: p.enum('always_invoice', 'create_prorations', 'none'),
        default_settings: p.any,
        pause_schedules: p.unsupported,
      },
      raw,
    );
    const sched = mustGetSchedule(emu, params.id);
    requireOpen(sched, 'update');
    const sub = subscriptionOf(emu, sched);
    if (!sub) throw emulatorLimit('phases', 'schedules without a subscription');
    if (body.end_behavior === 'none' || body.end_behavior === 'renew')
      throw emulatorLimit('end_behavior', `end_behavior \`${body.end_behavior}\``);
    const now = emu.now(idOf(sched.customer as string));
    const before = snapshot(sched);
    if (body.phases) sched.phases = planPhases(emu, sched, sub, body.phases, now);
    if (body.end_behavior) sched.end_behavior = body.end_behavior;
    if (body.metadata !== undefined) sched.metadata = mergeMetadata(sched.metadata, body.metadata);
    const first = sched.phases[0];
    if (first && sched.current_phase) sched.current_phase = { start_date: first.start_date, end_date: first.end_date };
    const previous = previousAttributes(before, sched);
    if (Object.keys(previous).length)
      emu.emit('subscription_schedule.updated', sched, { customer: idOf(sched.customer as string), previous });
    syncCancelAt(emu, sched, sub);
    return sched;
  });

  router.post('/v1/subscription_schedules/:id/release', ({ emu, params, raw }) => {
    const body = parse<{ preserve_cancel_date?: boolean }>({ preserve_cancel_date: p.bool }, raw);
    const sched = mustGetSchedule(emu, params.id);
    requireOpen(sched, 'release');
    const sub = subscriptionOf(emu, sched);
    const now = emu.now(idOf(sched.customer as string));
    const before = snapshot(sched);
    release(sched, now, sub?.id ?? null);
    emu.emit('subscription_schedule.released', sched, {
      customer: idOf(sched.customer as string),
      previous: previousAttributes(before, sched),
    });
    if (sub)
      changeSubscription(emu, sub, () => {
        sub.schedule = null;
        // The cancellation the schedule set goes with it, unless asked to stay.
        if (sched.end_behavior === 'cancel' && !body.preserve_cancel_date) {
          sub.cancel_at = null;
          sub.canceled_at = null;
        }
      });
    return sched;
  });

  router.post('/v1/subscription_schedules/:id/cancel', ({ emu, params, raw }) => {
    const body = parse<{ invoice_now?: boolean; prorate?: boolean }>({ invoice_now: p.bool, prorate: p.bool }, raw);
    const sched = mustGetSchedule(emu, params.id);
    requireOpen(sched, 'cancel');
    const sub = subscriptionOf(emu, sched);
    // Canceling the subscription ends its schedule too (engine: `canceled`, with its event).
    if (sub)
      cancelSubscriptionNow(emu, sub, {
        reason: 'cancellation_requested',
        invoiceNow: body.invoice_now ?? true,
        prorate: body.prorate ?? true,
      });
    return sched;
  });
}
