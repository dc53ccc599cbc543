// Looks up our Stripe prices by lookup_key, with a short per-process cache: the pricing page and
// every checkout need them, and they change only when the catalog is pushed.
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { withStripeErrors } from './errors';
import { planList, plans, type Interval, type PlanId } from './plans';
import { requireStripe } from './sync';

const TTL_MS = 60_000;
let cache: { at: number; byKey: Map<string, Stripe.Price>; stripe: Stripe } | null = null;

export async function catalogPrices(deps: AppDeps): Promise<Map<string, Stripe.Price>> {
  const stripe = requireStripe(deps);
  if (cache && cache.stripe === stripe && Date.now() - cache.at < TTL_MS) return cache.byKey;
  const keys = planList.flatMap((p) => (p.prices ? [p.prices.month.lookupKey, p.prices.year.lookupKey] : []));
  const list = await withStripeErrors(() => stripe.prices.list({ lookup_keys: keys, active: true, limit: 100 }));
  const byKey = new Map(list.data.filter((p) => p.lookup_key).map((p) => [p.lookup_key as string, p]));
  cache = { at: Date.now(), byKey, stripe };
  return byKey;
}

export async function priceFor(deps: AppDeps, planId: PlanId, interval: Interval): Promise<Stripe.Price> {
  const plan = plans[planId];
  if (!plan.prices) throw new AppError('BAD_REQUEST', `${plan.name} is free and needs no checkout.`, { field: 'planId' });
  const price = (await catalogPrices(deps)).get(plan.prices[interval].lookupKey);
  if (!price)
    throw new AppError('UNAVAILABLE', `The ${plan.name} price is not set up in Stripe yet (run npm run stripe:catalog).`);
  return price;
}

/** Forget cached prices (tests that push a new catalog). */
export function clearPriceCache(): void {
  cache = null;
}
