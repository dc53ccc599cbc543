// Changing a subscription: upgrades at once with an exact preview; downgrades and interval switches
// scheduled for the end of the paid period (a Stripe subscription schedule) and undone by releasing
// it; cancel at period end, resume. Every write goes through writeSubscription: an idempotency key derived from the user's action,
// an answer that tells what Stripe really did, and a sync at once so the dashboard shows it
// without waiting for a webhook.
import Stripe from 'stripe';
import type { AppDeps } from '../deps';
import type { SubscriptionDoc } from '../db/collections';
import { claim } from '../db/claims';
import { AppError } from '../lib/errors';
import { toAppError, withStripeErrors } from './errors';
import { overageItemChanges, overagePriceFor } from './overage';
import { planItem, SCHEDULE_CODE_EXPAND, SCHEDULE_EXPAND } from './mirror';
import { plans, type Interval, type PlanId } from './plans';
import { priceFor } from './prices';
import { isEnded } from './status';
import { requireSubscription } from './subscription';
import { requireStripe, syncAfterWrite, syncCustomer } from './sync';

export interface ChangePreview {
  prorationDate: number;
  /** What will be charged (positive) or credited (negative) now, in the smallest currency unit. */
  amountDue: number;
  total: number;
  currency: string;
  lines: {
    description: string;
    amount: number;
    proration: boolean;
    /** A line of the metered overage price: API calls past the quota, billed by use. */
    metered: boolean;
    /** How many units the line bills (API calls, for a metered line); null when Stripe gives none. */
    quantity: number | null;
  }[];
  /**
   * The new plan's API overage terms (calls past `included` are billed by use at `unitAmount` each,
   * at the end of each period); null for a plan that refuses calls past its quota.
   */
  overage: { included: number; unitAmount: number } | null;
  direction: 'upgrade' | 'downgrade' | 'interval';
  /**
   * Whether this invoice is billed at once. False when the change invoices nothing now (during a
   * trial, or a change scheduled for the period end): the preview is then the next invoice.
   */
  billedNow: boolean;
  /** What discounts take off this invoice (the promotion code's, or the subscription's own). */
  discount: number;
  /** The promotion code applied with the change, as Stripe spells it; null without one. */
  promotionCode: string | null;
  /**
   * How many of the subscription's own discounts stay beside the promotion code (a code is added to
   * them, never in their place); 0 without a code.
   */
  keptDiscounts: number;
  /**
   * For a change scheduled for the end of the paid period (unix seconds): nothing is charged now,
   * and `total` and `lines` are the new plan's price on the next invoice (metered overage used until
   * then is billed beside it). Null when the change is made at once.
   */
  effectiveAt: number | null;
}

// Charge or credit the difference now, so what the preview shows is exactly what is billed.
const PRORATION = 'always_invoice' as const;

/**
 * Now, as Stripe bills this subscription, in unix seconds: the frozen time of its test clock when it
 * runs on one (Stripe test mode), else the real clock. Prorating a clock's subscription at real
 * time would credit or charge for the wrong span.
 */
async function billingNow(stripe: Stripe, live: Stripe.Subscription): Promise<number> {
  const clock = live.test_clock;
  if (!clock) return Math.floor(Date.now() / 1000);
  const id = typeof clock === 'string' ? clock : clock.id;
  return (await withStripeErrors(() => stripe.testHelpers.testClocks.retrieve(id))).frozen_time;
}

/**
 * When a change takes effect: a downgrade or an interval switch waits for the end of the period the
 * customer has paid for (null: at once). In a trial nothing has been paid, so every change is
 * immediate, as it is when the period is not paid (past due).
 */
async function scheduledAt(
  deps: AppDeps,
  sub: SubscriptionDoc,
  direction: ChangePreview['direction'],
  live: Stripe.Subscription,
): Promise<number | null> {
  if (direction === 'upgrade' || live.status !== 'active') return null;
  if (live.cancel_at_period_end || live.cancel_at) {
    // Ended on Stripe's side while our page does not show it yet: the mirror catches up first.
    if (!sub.cancelAtPeriodEnd) await syncCustomer(deps, sub.customerId, { source: 'user.action' }).catch(() => undefined);
    throw new AppError('CONFLICT', 'Your subscription is set to end. Resume it first to change your plan at the renewal.');
  }
  return planItem(live).current_period_end;
}

const idOf = (v: string | { id: string } | null): string | null => (v === null ? null : typeof v === 'string' ? v : v.id);

async function target(deps: AppDeps, userId: string, planId: PlanId, interval: Interval) {
  const sub = await requireSubscription(deps, userId);
  const price = await priceFor(requireStripe(deps), planId, interval);
  if (price.id === sub.priceId) throw new AppError('BAD_REQUEST', 'You are already on this plan.', { field: 'planId' });
  const from = sub.planId ? plans[sub.planId as PlanId] : null;
  const to = plans[planId];
  const direction: ChangePreview['direction'] =
    !from || to.rank > from.rank ? 'upgrade' : to.rank < from.rank ? 'downgrade' : 'interval';
  return { sub, price, direction };
}

export async function previewChange(opts: {
  deps: AppDeps;
  userId: string;
  planId: PlanId;
  interval: Interval;
  /** A promotion code the customer typed, applied to the subscription with the change. */
  promotionCode?: string | undefined;
}): Promise<ChangePreview> {
  const { deps, userId } = opts;
  const stripe = requireStripe(deps);
  const { sub, price, direction } = await target(deps, userId, opts.planId, opts.interval);
  const live = await liveSubscription(deps, sub);
  const prorationDate = await billingNow(stripe, live);
  const at = await scheduledAt(deps, sub, direction, live);
  const promotion = await promotionFor(deps, opts.promotionCode);
  const overage = await withStripeErrors(() => overageItemChanges(deps, sub._id, opts.planId, opts.interval, live));
  if (at !== null) {
    // Stripe prices the new plan with the discounts its phase will carry (the promotion code beside
    // the subscription's own), and checks the code as it would for a change made now.
    const invoice = await promotionErrors(() =>
      stripe.invoices.createPreview({
        customer: sub.customerId,
        subscription: sub._id,
        subscription_details: { items: [{ id: sub.itemId, price: price.id }, ...overage], proration_behavior: 'none' },
        ...(promotion ? { discounts: withPromotion(live, promotion) } : {}),
      }),
    );
    const quantity = planItem(live).quantity ?? 1;
    const planLine = invoice.lines.data.find((l) => idOf(l.pricing?.price_details?.price ?? null) === price.id);
    const amount = planLine?.amount ?? (price.unit_amount ?? 0) * quantity;
    const discount = planLine?.discount_amounts?.reduce((n, d) => n + d.amount, 0) ?? 0;
    return {
      prorationDate,
      amountDue: 0,
      total: amount - discount,
      currency: price.currency,
      lines: [
        {
          description: `${plans[opts.planId].name} (${opts.interval === 'month' ? 'monthly' : 'yearly'})`,
          amount,
          proration: false,
          metered: false,
          quantity,
        },
      ],
      overage: overageTerms(opts.planId),
      direction,
      billedNow: false,
      effectiveAt: at,
      discount,
      promotionCode: promotion?.code ?? null,
      keptDiscounts: promotion ? subscriptionDiscounts(live).length : 0,
    };
  }
  // The metered prices the previewed invoice can bill: the subscription's and the new plan's.
  const metered = new Set(live.items.data.filter((i) => i.price.recurring?.usage_type === 'metered').map((i) => i.price.id));
  const newOverage = await withStripeErrors(() => overagePriceFor(deps, opts.planId, opts.interval));
  if (newOverage) metered.add(newOverage.id);
  const invoice = await promotionErrors(() =>
    stripe.invoices.createPreview({
      customer: sub.customerId,
      subscription: sub._id,
      subscription_details: {
        items: [{ id: sub.itemId, price: price.id }, ...overage],
        proration_date: prorationDate,
        proration_behavior: PRORATION,
      },
      // Discounts given here replace the subscription's own for the preview: they are listed too.
      ...(promotion ? { discounts: withPromotion(live, promotion) } : {}),
    }),
  );
  return {
    prorationDate,
    amountDue: invoice.amount_due,
    total: invoice.total,
    currency: invoice.currency,
    lines: invoice.lines.data.map((l: Stripe.InvoiceLineItem) => ({
      description: l.description ?? '',
      amount: l.amount,
      proration: Boolean(l.parent?.subscription_item_details?.proration ?? l.parent?.invoice_item_details?.proration),
      metered: metered.has(idOf(l.pricing?.price_details?.price ?? null) ?? ''),
      quantity: l.quantity ?? null,
    })),
    overage: overageTerms(opts.planId),
    direction,
    billedNow: invoice.billing_reason !== 'upcoming',
    effectiveAt: null,
    discount: invoice.total_discount_amounts?.reduce((n, d) => n + d.amount, 0) ?? 0,
    promotionCode: promotion?.code ?? null,
    keptDiscounts: promotion ? subscriptionDiscounts(live).length : 0,
  };
}

function overageTerms(planId: PlanId): ChangePreview['overage'] {
  const plan = plans[planId];
  return plan.limits.apiOverage && plan.overage
    ? { included: plan.limits.apiCallsIncluded, unitAmount: plan.overage.unitAmount }
    : null;
}

/** The subscription's own discounts (not its customer's), by id. */
function subscriptionDiscounts(live: Stripe.Subscription): string[] {
  return (live.discounts ?? []).map((d) => (typeof d === 'string' ? d : d.id));
}

/**
 * The subscription's discounts with a promotion code added: Stripe's `discounts` replaces the whole
 * list (a subscription's, or a schedule phase's), so a coupon the customer already has (a permanent
 * one, say) is listed again to keep it. Without a code, the list keeps what the subscription has.
 */
function withPromotion(live: Stripe.Subscription, promotion: { id: string } | null) {
  const own = subscriptionDiscounts(live).map((discount) => ({ discount }));
  return promotion ? [...own, { promotion_code: promotion.id }] : own;
}

/**
 * The promotion code a customer typed, as Stripe knows it (codes are matched without regard to
 * case). Unknown or inactive: an error on the field. A change made now puts it on the subscription;
 * a change scheduled for the renewal puts it on the schedule's next phase, so it starts with the
 * new plan.
 */
async function promotionFor(deps: AppDeps, code: string | undefined): Promise<{ id: string; code: string } | null> {
  if (!code) return null;
  const stripe = requireStripe(deps);
  const found = await withStripeErrors(() => stripe.promotionCodes.list({ code, active: true, limit: 1 }));
  const promo = found.data[0];
  if (!promo)
    throw new AppError('BAD_REQUEST', `"${code}" isn't a valid promotion code, or it has expired.`, { field: 'promotionCode' });
  return { id: promo.id, code: promo.code };
}

/** Stripe's refusal of a promotion code (first-time customers only, used up…) as an error on the field. */
async function promotionErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw promotionRefusal(err) ?? toAppError(err);
  }
}

/**
 * The field error for a Stripe refusal of the discounts sent (`discounts[…]` on a subscription or a
 * preview, `phases[1][discounts][…]` on a schedule); null for any other error.
 */
function promotionRefusal(err: unknown): AppError | null {
  if (err instanceof Stripe.errors.StripeInvalidRequestError && /(^|\[)discounts\b/.test(err.param ?? ''))
    // In our words: Stripe's text names parameters and ids a customer has no use for.
    return new AppError(
      'BAD_REQUEST',
      "This promotion code can't be used here. It may be for another customer or for first-time customers only, or need a larger amount.",
      { field: 'promotionCode' },
    );
  return null;
}

export async function changePlan(opts: {
  deps: AppDeps;
  userId: string;
  planId: PlanId;
  interval: Interval;
  /** From the preview, so the invoice equals what was shown. */
  prorationDate: number;
  promotionCode?: string | undefined;
  actionId: string;
}): Promise<void> {
  const { deps, userId } = opts;
  const stripe = requireStripe(deps);
  if (await actionDone(deps, userId, opts.actionId)) return;
  if (await actionTried(deps, userId, opts.actionId)) {
    // An earlier try of this very action reached Stripe without an answer, and the mirror has
    // since caught up with it (a webhook): the plan asked for is in place, so the action is done.
    const current = await requireSubscription(deps, userId);
    if (current.priceId === (await priceFor(stripe, opts.planId, opts.interval)).id) {
      await claim(deps.db.c, doneKey(userId, opts.actionId));
      return;
    }
  }
  const { sub, price, direction } = await target(deps, userId, opts.planId, opts.interval);
  const live = await liveSubscription(deps, sub);
  const at = await scheduledAt(deps, sub, direction, live);
  const promotion = await promotionFor(deps, opts.promotionCode);
  if (at !== null) {
    await sameCodeAsTried(deps, { userId, actionId: opts.actionId, promotionId: promotion?.id ?? null });
    return scheduleChange(deps, { ...opts, sub, live, price, at, promotion });
  }
  const now = await billingNow(stripe, live);
  if (opts.prorationDate > now + 60 || opts.prorationDate < now - 3600) {
    throw new AppError('BAD_REQUEST', 'This preview has expired. Please review the change again.', { field: 'prorationDate' });
  }
  // The metered overage item follows the plan (same interval, new plan's rate): billing/overage.ts.
  // A pending update may only change the price and quantity of existing items, so it carries the
  // metered item's swap; extra metered items are removed first, in an update of their own, and a
  // missing one is added once the change has applied, by the alignment every synced plan change runs
  // (alignOverageItems, from billing/effects.ts).
  const overage = await withStripeErrors(() => overageItemChanges(deps, sub._id, opts.planId, opts.interval, live));
  const swaps = overage.filter((c) => c.id && !c.deleted);
  const removals = overage.filter((c) => c.deleted);
  // A change made now replaces one scheduled for later: the schedule lets go of the subscription first.
  const scheduleId = idOf(live.schedule);
  const applied = (row: SubscriptionDoc) => row.priceId === price.id;
  await sameCodeAsTried(deps, { userId, actionId: opts.actionId, promotionId: promotion?.id ?? null });
  await writeSubscription(deps, { userId, actionId: opts.actionId, sub, applied }, async (expand) => {
    if (scheduleId)
      await stripe.subscriptionSchedules.release(
        scheduleId,
        {},
        { idempotencyKey: `dropin-change-${userId}-${opts.actionId}-release` },
      );
    // A pending update (pending_if_incomplete) cannot carry discounts, so the promotion code goes on
    // first: the change's invoice is then discounted as the preview showed. Should the change's
    // payment fail, the code stays on the current plan.
    if (promotion)
      await promotionErrors(() =>
        stripe.subscriptions.update(
          sub._id,
          { discounts: withPromotion(live, promotion) },
          { idempotencyKey: `dropin-change-${userId}-${opts.actionId}-discount-${promotion.id}` },
        ),
      );
    if (removals.length)
      await stripe.subscriptions.update(
        sub._id,
        { items: removals, proration_behavior: 'none' },
        { idempotencyKey: `dropin-change-${userId}-${opts.actionId}-overage` },
      );
    return stripe.subscriptions.update(
      sub._id,
      {
        items: [{ id: sub.itemId, price: price.id }, ...swaps],
        proration_behavior: PRORATION,
        proration_date: opts.prorationDate,
        // If the charge fails, Stripe keeps the old plan: our mirror never shows a change Stripe did not make.
        payment_behavior: 'pending_if_incomplete',
        metadata: { dropin_plan: opts.planId },
        expand,
      },
      { idempotencyKey: `dropin-change-${userId}-${opts.actionId}` },
    );
  });
}

/**
 * Schedules a change for the end of the paid period: the subscription's schedule (made from it, or
 * the one it already has) keeps today's items until `at`, then bills the new price and the new
 * plan's metered overage price, with no proration; afterwards it releases the subscription. Both
 * phases keep the subscription's own discounts; a promotion code joins them on the new plan's phase.
 */
async function scheduleChange(
  deps: AppDeps,
  opts: {
    userId: string;
    planId: PlanId;
    interval: Interval;
    actionId: string;
    sub: SubscriptionDoc;
    live: Stripe.Subscription;
    price: Stripe.Price;
    at: number;
    promotion: { id: string } | null;
  },
): Promise<void> {
  const { userId, sub, live } = opts;
  const stripe = requireStripe(deps);
  const overage = await withStripeErrors(() => overagePriceFor(deps, opts.planId, opts.interval));
  const key = `dropin-change-${userId}-${opts.actionId}`;
  const item = (p: Stripe.Price, quantity: number) =>
    p.recurring?.usage_type === 'metered' ? { price: p.id } : { price: p.id, quantity };
  await writeSubscription(deps, { userId, actionId: opts.actionId, sub }, async (expand) => {
    const existing = idOf(live.schedule);
    const schedule = existing
      ? await stripe.subscriptionSchedules.retrieve(existing)
      : await stripe.subscriptionSchedules.create({ from_subscription: sub._id }, { idempotencyKey: `${key}-schedule` });
    const start = schedule.current_phase?.start_date ?? schedule.phases[0]?.start_date;
    // A refused code is an error on its field; any other error is writeSubscription's to tell.
    await stripe.subscriptionSchedules
      .update(
        schedule.id,
        {
          end_behavior: 'release',
          phases: [
            {
              items: live.items.data.map((i) => item(i.price, i.quantity ?? 1)),
              start_date: start,
              end_date: opts.at,
              proration_behavior: 'none',
              discounts: withPromotion(live, null),
            },
            {
              items: [item(opts.price, planItem(live).quantity ?? 1), ...(overage ? [item(overage, 1)] : [])],
              proration_behavior: 'none',
              discounts: withPromotion(live, opts.promotion),
              metadata: { dropin_plan: opts.planId },
            },
          ],
        },
        { idempotencyKey: key },
      )
      .catch(async (err: unknown) => {
        const refusal = promotionRefusal(err);
        // A schedule made for this change and left with the code refused would change nothing but
        // still stand on the subscription: let it go, so the subscription is as it was.
        if (refusal && !existing) {
          await stripe.subscriptionSchedules
            .release(schedule.id, {}, { idempotencyKey: `${key}-release-refused` })
            .catch((releaseErr: unknown) =>
              deps.log.warn({ err: releaseErr, schedule: schedule.id }, 'could not release the schedule of a refused change'),
            );
        }
        throw refusal ?? err;
      });
    return readBack(stripe, sub._id, expand);
  });
}

/** Drops a change scheduled for the period end: the schedule releases the subscription as it is today. */
export async function undoScheduledChange(opts: { deps: AppDeps; userId: string; actionId: string }): Promise<void> {
  const { deps, userId } = opts;
  const stripe = requireStripe(deps);
  if (await actionDone(deps, userId, opts.actionId)) return;
  const sub = await requireSubscription(deps, userId);
  const live = await liveSubscription(deps, sub);
  const scheduleId = idOf(live.schedule);
  if (!scheduleId) {
    // Already released, or the change has happened: show what is true now.
    await syncCustomer(deps, sub.customerId, { source: 'user.action' });
    throw new AppError('CONFLICT', 'There is no scheduled change to undo any more. Your plan is shown as it is now.');
  }
  await writeSubscription(deps, { userId, actionId: opts.actionId, sub }, async (expand) => {
    await stripe.subscriptionSchedules.release(scheduleId, {}, { idempotencyKey: `dropin-undo-${userId}-${opts.actionId}` });
    return readBack(stripe, sub._id, expand);
  });
}

export async function cancelAtPeriodEnd(opts: {
  deps: AppDeps;
  userId: string;
  reason: Stripe.SubscriptionUpdateParams.CancellationDetails.Feedback | null;
  comment: string;
  actionId: string;
}): Promise<void> {
  const { deps, userId } = opts;
  const stripe = requireStripe(deps);
  if (await actionDone(deps, userId, opts.actionId)) return;
  const sub = await requireSubscription(deps, userId);
  const live = await liveSubscription(deps, sub);
  if (await alreadyAsAsked(deps, { sub, live, cancelAtPeriodEnd: true })) return;
  // Stripe refuses cancellation changes on a subscription its schedule manages. Ending at the period
  // end supersedes a change scheduled for then, so the schedule lets go of it first.
  const scheduleId = idOf(live.schedule);
  await writeSubscription(
    deps,
    { userId, actionId: opts.actionId, sub, applied: (row) => row.cancelAtPeriodEnd },
    async (expand) => {
      if (scheduleId)
        await stripe.subscriptionSchedules.release(
          scheduleId,
          {},
          { idempotencyKey: `dropin-cancel-${userId}-${opts.actionId}-release` },
        );
      return stripe.subscriptions.update(
        sub._id,
        {
          cancel_at_period_end: true,
          cancellation_details: {
            ...(opts.reason ? { feedback: opts.reason } : {}),
            ...(opts.comment ? { comment: opts.comment } : {}),
          },
          expand,
        },
        { idempotencyKey: `dropin-cancel-${userId}-${opts.actionId}` },
      );
    },
  );
}

export async function resume(opts: { deps: AppDeps; userId: string; actionId: string }): Promise<void> {
  const { deps, userId } = opts;
  const stripe = requireStripe(deps);
  if (await actionDone(deps, userId, opts.actionId)) return;
  const sub = await requireSubscription(deps, userId);
  const live = await liveSubscription(deps, sub);
  if (await alreadyAsAsked(deps, { sub, live, cancelAtPeriodEnd: false })) return;
  await writeSubscription(deps, { userId, actionId: opts.actionId, sub, applied: (row) => !row.cancelAtPeriodEnd }, (expand) =>
    stripe.subscriptions.update(
      sub._id,
      { cancel_at_period_end: false, expand },
      { idempotencyKey: `dropin-resume-${userId}-${opts.actionId}` },
    ),
  );
}

/**
 * Whether a cancel or a resume has anything left to do is Stripe's to say, not the mirror's: a mirror
 * behind Stripe (a lost webhook, a change made elsewhere) would answer "done" for a change never
 * made. When Stripe already is as asked and the mirror says otherwise, the mirror is brought up to
 * date, so the page shows what is true.
 */
async function alreadyAsAsked(
  deps: AppDeps,
  opts: { sub: SubscriptionDoc; live: Stripe.Subscription; cancelAtPeriodEnd: boolean },
): Promise<boolean> {
  // Resuming also undoes an end date set in Stripe's dashboard (`cancel_at`), which the page shows
  // as ending too.
  const asAsked = opts.cancelAtPeriodEnd
    ? opts.live.cancel_at_period_end
    : !opts.live.cancel_at_period_end && !opts.live.cancel_at;
  if (!asAsked) return false;
  const mirrorAsAsked = opts.cancelAtPeriodEnd ? opts.sub.cancelAtPeriodEnd : !opts.sub.cancelAtPeriodEnd && !opts.sub.cancelAt;
  if (!mirrorAsAsked) {
    await syncCustomer(deps, opts.sub.customerId, { source: 'user.action' }).catch((err: unknown) =>
      deps.log.warn({ err, customerId: opts.sub.customerId }, 'resync of a mirror behind Stripe failed'),
    );
  }
  return true;
}

/**
 * The subscription as Stripe has it now. One that has ended there while our mirror still shows it
 * (its webhook is late or lost) is resynced, and the answer says it ended.
 */
async function liveSubscription(deps: AppDeps, sub: SubscriptionDoc): Promise<Stripe.Subscription> {
  const stripe = requireStripe(deps);
  try {
    const live = await stripe.subscriptions.retrieve(sub._id);
    if (!isEnded(live.status)) return live;
  } catch (err) {
    if (!(err instanceof Stripe.errors.StripeInvalidRequestError)) throw toAppError(err);
  }
  throw await staleOrRefused(
    deps,
    sub,
    new AppError('CONFLICT', 'This subscription has already ended. Start a new one from Pricing.'),
  );
}

/** Expanded like the sync's reads, so a written object can stand in for a read. */
const WRITE_EXPAND = ['latest_invoice', 'default_payment_method', SCHEDULE_EXPAND, SCHEDULE_CODE_EXPAND];

const doneKey = (userId: string, actionId: string) => `billing-action:${userId}:${actionId}`;

/** Recorded before an action's write is sent: a retry knows an earlier try may have reached Stripe. */
const triedKey = (userId: string, actionId: string) => `billing-action-tried:${userId}:${actionId}`;

async function actionTried(deps: AppDeps, userId: string, actionId: string): Promise<boolean> {
  return (await deps.db.c.claims.findOne({ _id: triedKey(userId, actionId) }, { projection: { _id: 1 } })) !== null;
}

/**
 * One action carries one promotion code: a retry that brings another (or drops it) is refused on the
 * field, since the first try may already have put its code on the subscription. The code each try
 * brings is claimed under the action; a claim for any other code means the action changed.
 */
async function sameCodeAsTried(
  deps: AppDeps,
  opts: { userId: string; actionId: string; promotionId: string | null },
): Promise<void> {
  const prefix = `billing-action-code:${opts.userId}:${opts.actionId}:`;
  const mine = `${prefix}${opts.promotionId ?? '-'}`;
  await claim(deps.db.c, mine);
  const other = await deps.db.c.claims.findOne({ _id: { $gt: prefix, $lt: `${prefix}\uffff`, $ne: mine } });
  if (other)
    throw new AppError(
      'BAD_REQUEST',
      'This change was already sent with a different promotion code. Review the change again to use this one.',
      { field: 'promotionCode' },
    );
}

/** True when Stripe already accepted this action: a retry or a second click answers as the first did. */
async function actionDone(deps: AppDeps, userId: string, actionId: string): Promise<boolean> {
  return (await deps.db.c.claims.findOne({ _id: doneKey(userId, actionId) }, { projection: { _id: 1 } })) !== null;
}

/**
 * One write to a user's subscription, told as it really ended.
 * - Once Stripe accepts it, the action is recorded as done and the answer is success: the mirror is
 *   synced now, or, when Stripe cannot be read back at this moment, written from the object the
 *   write returned and synced again in the background.
 * - A refusal because our mirror was behind (the subscription ended or changed on Stripe's side)
 *   resyncs, and answers with what is true now.
 * - When Stripe does not answer, it may still have applied the write; a retry with the same action
 *   id replays it (the idempotency key), so it never happens twice.
 */
async function writeSubscription(
  deps: AppDeps,
  action: {
    userId: string;
    actionId: string;
    sub: SubscriptionDoc;
    /** Whether a mirror row shows this action's outcome (see the idempotency case below). */
    applied?: (row: SubscriptionDoc) => boolean;
  },
  write: (expand: string[]) => Promise<Stripe.Subscription | null>,
): Promise<void> {
  const { sub } = action;
  const cause = { source: 'user.action', key: action.actionId } as const;
  const fetchedAt = new Date();
  let written: Stripe.Subscription | null;
  await claim(deps.db.c, triedKey(action.userId, action.actionId));
  try {
    written = await write(WRITE_EXPAND);
  } catch (err) {
    // Stripe has this action's key with other parameters: an earlier try of this very action
    // reached it (its answer was lost), and what it asks for now was worked out from the state
    // that try made. If that outcome is in place, the action is done.
    if (err instanceof Stripe.errors.StripeIdempotencyError && action.applied) {
      await syncCustomer(deps, sub.customerId, cause).catch(() => undefined);
      const row = await deps.db.c.subscriptions.findOne({ _id: sub._id });
      if (row && action.applied(row)) {
        await claim(deps.db.c, doneKey(action.userId, action.actionId));
        return;
      }
    }
    if (err instanceof Stripe.errors.StripeInvalidRequestError) throw await staleOrRefused(deps, sub, err);
    if (err instanceof Stripe.errors.StripeConnectionError || err instanceof Stripe.errors.StripeAPIError)
      throw new AppError(
        'UNAVAILABLE',
        'Our payment provider did not confirm the change. Please try again: it will not be made twice.',
      );
    throw toAppError(err);
  }
  await claim(deps.db.c, doneKey(action.userId, action.actionId));
  await syncAfterWrite(deps, sub.customerId, cause, written ? { subscription: written, fetchedAt } : undefined);
}

/**
 * The subscription after a write that returns no subscription (a schedule's). The write is done
 * whatever this read meets, so a failed read is null: the sync that follows reads it again.
 */
async function readBack(stripe: Stripe, id: string, expand: string[]): Promise<Stripe.Subscription | null> {
  return stripe.subscriptions.retrieve(id, { expand }).catch(() => null);
}

/** Stripe refused a write: because our mirror is behind (answered in our words), or for its own reason. */
async function staleOrRefused(deps: AppDeps, acted: SubscriptionDoc, err: Stripe.errors.StripeInvalidRequestError | AppError) {
  try {
    await syncCustomer(deps, acted.customerId, { source: 'user.action' });
  } catch (syncErr) {
    deps.log.warn({ err: syncErr, customerId: acted.customerId }, 'resync after a refused change failed');
    return toAppError(err);
  }
  const now = await deps.db.c.subscriptions.findOne({ _id: acted._id });
  if (!now || isEnded(now.status))
    return new AppError('CONFLICT', 'This subscription has already ended. Start a new one from Pricing.');
  if (
    now.status !== acted.status ||
    now.priceId !== acted.priceId ||
    now.cancelAtPeriodEnd !== acted.cancelAtPeriodEnd ||
    JSON.stringify(now.scheduledChange ?? null) !== JSON.stringify(acted.scheduledChange ?? null)
  )
    return new AppError('CONFLICT', 'Your subscription changed since this page was loaded. Review it and try again.');
  return toAppError(err);
}
