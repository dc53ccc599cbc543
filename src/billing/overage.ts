// The metered overage price a paid plan carries beside its plan price: API calls past the plan's
// quota are billed through it in arrears (usage/meter.ts reports them). A subscription keeps one
// such item, at its current plan's rate and interval, whoever changed the plan.
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { plans, type Interval, type PlanId } from './plans';
import { catalogPrices } from './prices';
import { grantsAccess } from './status';

/** The plan's metered overage price for `interval`; null for plans without overage or without Stripe. */
export async function overagePriceFor(deps: AppDeps, planId: PlanId, interval: Interval): Promise<Stripe.Price | null> {
  const spec = plans[planId].overage;
  if (!spec || !deps.stripe) return null;
  const price = (await catalogPrices(deps.stripe)).get(spec.prices[interval].lookupKey);
  if (!price)
    throw new AppError(
      'UNAVAILABLE',
      `The ${plans[planId].name} overage price is not set up in Stripe yet (run npm run stripe:catalog).`,
    );
  return price;
}

/**
 * The item changes that keep a subscription's metered overage price in step with a plan change:
 * Stripe requires every price on a subscription to share one interval, and overage is billed at the
 * new plan's rate. Swaps the metered item's price, adds one if missing, removes it for plans
 * without overage. Used beside the plan item's own swap by src/billing/changes.ts.
 */
export async function overageItemChanges(
  deps: AppDeps,
  subscriptionId: string,
  planId: PlanId,
  interval: Interval,
  /** The subscription as just retrieved, when the caller has it. */
  live?: Stripe.Subscription,
): Promise<{ id?: string; price?: string; deleted?: boolean }[]> {
  if (!deps.stripe) return [];
  const sub = live ?? (await deps.stripe.subscriptions.retrieve(subscriptionId));
  const metered = sub.items.data.filter((i) => i.price.recurring?.usage_type === 'metered');
  const price = await overagePriceFor(deps, planId, interval);
  const [keep, ...extra] = metered;
  const changes: { id?: string; price?: string; deleted?: boolean }[] = extra.map((i) => ({ id: i.id, deleted: true }));
  if (price && !keep) changes.push({ price: price.id });
  else if (price && keep && keep.price.id !== price.id) changes.push({ id: keep.id, price: price.id });
  else if (!price && keep) changes.push({ id: keep.id, deleted: true });
  return changes;
}

/**
 * After a plan change made outside DropIn (the billing portal, the Stripe dashboard), moves the
 * metered overage item to the new plan's rate, as a change made here does in the same update.
 * Runs on synced changes; a subscription already in step costs one retrieve and changes nothing.
 */
export async function alignOverageItems(
  deps: AppDeps,
  changes: {
    subscriptionId: string;
    before: { planId: string | null; interval: string | null } | null;
    after: { planId: string | null; interval: Interval | null; status: string; priceId: string } | null;
  }[],
): Promise<void> {
  if (!deps.stripe) return;
  for (const { subscriptionId, before, after } of changes) {
    if (!after || !before || !grantsAccess(after.status) || !after.planId || !after.interval) continue;
    if (before.planId === after.planId && before.interval === after.interval) continue;
    if (!Object.hasOwn(plans, after.planId)) continue;
    const items = await overageItemChanges(deps, subscriptionId, after.planId as PlanId, after.interval);
    if (!items.length) continue;
    await deps.stripe.subscriptions.update(
      subscriptionId,
      { items, proration_behavior: 'none' },
      // Keyed by the edit itself (the items name the item ids it removes): the same alignment
      // retried is applied once, and a later, different one is never mistaken for it.
      {
        idempotencyKey: `overage-align:${subscriptionId}:${createHash('sha256').update(JSON.stringify(items)).digest('hex').slice(0, 32)}`,
      },
    );
    deps.log.info({ subscriptionId, planId: after.planId }, 'moved the metered overage item to the new plan');
  }
}
