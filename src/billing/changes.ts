// Changing a subscription: plan swaps with an exact preview, cancel at period end, resume.
// Every write carries an idempotency key derived from the user's action, then syncs at once so
// the dashboard shows Stripe's answer without waiting for a webhook.
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { withStripeErrors } from './errors';
import { overageItemChanges } from '../usage/meter';
import { plans, type Interval, type PlanId } from './plans';
import { priceFor } from './prices';
import { requireSubscription } from './subscription';
import { requireStripe, syncCustomer } from './sync';

export interface ChangePreview {
  prorationDate: number;
  /** What will be charged (positive) or credited (negative) now, in the smallest currency unit. */
  amountDue: number;
  total: number;
  currency: string;
  lines: { description: string; amount: number; proration: boolean }[];
  direction: 'upgrade' | 'downgrade' | 'interval';
  /**
   * Whether this invoice is billed at once. False when the change invoices nothing now (during a
   * trial): the preview is then the next invoice, at the end of the trial or period.
   */
  billedNow: boolean;
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

async function target(deps: AppDeps, userId: string, planId: PlanId, interval: Interval) {
  const sub = await requireSubscription(deps, userId);
  const price = await priceFor(deps, planId, interval);
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
}): Promise<ChangePreview> {
  const { deps, userId } = opts;
  const stripe = requireStripe(deps);
  const { sub, price, direction } = await target(deps, userId, opts.planId, opts.interval);
  const live = await withStripeErrors(() => stripe.subscriptions.retrieve(sub._id));
  const prorationDate = await billingNow(stripe, live);
  const overage = await withStripeErrors(() => overageItemChanges(deps, sub._id, opts.planId, opts.interval, live));
  const invoice = await withStripeErrors(() =>
    stripe.invoices.createPreview({
      customer: sub.customerId,
      subscription: sub._id,
      subscription_details: {
        items: [{ id: sub.itemId, price: price.id }, ...overage],
        proration_date: prorationDate,
        proration_behavior: PRORATION,
      },
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
    })),
    direction,
    billedNow: invoice.billing_reason !== 'upcoming',
  };
}

export async function changePlan(opts: {
  deps: AppDeps;
  userId: string;
  planId: PlanId;
  interval: Interval;
  /** From the preview, so the invoice equals what was shown. */
  prorationDate: number;
  actionId: string;
}): Promise<void> {
  const { deps, userId } = opts;
  const stripe = requireStripe(deps);
  const { sub, price } = await target(deps, userId, opts.planId, opts.interval);
  const live = await withStripeErrors(() => stripe.subscriptions.retrieve(sub._id));
  const now = await billingNow(stripe, live);
  if (opts.prorationDate > now + 60 || opts.prorationDate < now - 3600) {
    throw new AppError('BAD_REQUEST', 'This preview has expired. Please review the change again.', { field: 'prorationDate' });
  }
  // The metered overage item follows the plan (same interval, new plan's rate): src/usage/meter.ts.
  const overage = await withStripeErrors(() => overageItemChanges(deps, sub._id, opts.planId, opts.interval, live));
  await withStripeErrors(() =>
    stripe.subscriptions.update(
      sub._id,
      {
        items: [{ id: sub.itemId, price: price.id }, ...overage],
        proration_behavior: PRORATION,
        proration_date: opts.prorationDate,
        // If the charge fails, Stripe keeps the old plan: our mirror never shows a change Stripe did not make.
        payment_behavior: 'pending_if_incomplete',
        metadata: { dropin_plan: opts.planId },
      },
      { idempotencyKey: `dropin-change-${userId}-${opts.actionId}` },
    ),
  );
  await syncCustomer(deps, sub.customerId, { source: 'user.action', key: opts.actionId });
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
  const sub = await requireSubscription(deps, userId);
  if (sub.cancelAtPeriodEnd) return;
  await withStripeErrors(() =>
    stripe.subscriptions.update(
      sub._id,
      {
        cancel_at_period_end: true,
        cancellation_details: {
          ...(opts.reason ? { feedback: opts.reason } : {}),
          ...(opts.comment ? { comment: opts.comment } : {}),
        },
      },
      { idempotencyKey: `dropin-cancel-${userId}-${opts.actionId}` },
    ),
  );
  await syncCustomer(deps, sub.customerId, { source: 'user.action', key: opts.actionId });
}

export async function resume(opts: { deps: AppDeps; userId: string; actionId: string }): Promise<void> {
  const { deps, userId } = opts;
  const stripe = requireStripe(deps);
  const sub = await requireSubscription(deps, userId);
  if (!sub.cancelAtPeriodEnd) return;
  await withStripeErrors(() =>
    stripe.subscriptions.update(
      sub._id,
      { cancel_at_period_end: false },
      { idempotencyKey: `dropin-resume-${userId}-${opts.actionId}` },
    ),
  );
  await syncCustomer(deps, sub.customerId, { source: 'user.action', key: opts.actionId });
}
