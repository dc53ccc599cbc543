// Looks up our Stripe prices by lookup_key: each paid plan's prices and its metered overage prices,
// in one per-process cache of a minute. The pricing page, every checkout and every plan change need
// them, and they change only when the catalog is pushed.
import type Stripe from 'stripe';
import { AppError } from '../lib/errors';
import { withStripeErrors } from './errors';
import { planList, plans, type Interval, type PlanId } from './plans';

const TTL_MS = 60_000;
/** Stripe answers at most this many lookup_keys in one list call. */
const KEYS_PER_CALL = 10;
let cache: { at: number; byKey: Map<string, Stripe.Price>; stripe: Stripe } | null = null;

/** Every lookup key the catalog uses. */
const catalogKeys = planList.flatMap((p) => [
  ...(p.prices ? [p.prices.month.lookupKey, p.prices.year.lookupKey] : []),
  ...(p.overage ? [p.overage.prices.month.lookupKey, p.overage.prices.year.lookupKey] : []),
]);

/** The catalog's active prices at Stripe, by lookup_key. */
export async function catalogPrices(stripe: Stripe): Promise<Map<string, Stripe.Price>> {
  if (cache && cache.stripe === stripe && Date.now() - cache.at < TTL_MS) return cache.byKey;
  const byKey = new Map<string, Stripe.Price>();
  for (let i = 0; i < catalogKeys.length; i += KEYS_PER_CALL) {
    const lookup_keys = catalogKeys.slice(i, i + KEYS_PER_CALL);
    const list = await withStripeErrors(() => stripe.prices.list({ lookup_keys, active: true, limit: 100 }));
    for (const p of list.data) if (p.lookup_key) byKey.set(p.lookup_key, p);
  }
  cache = { at: Date.now(), byKey, stripe };
  return byKey;
}

export async function priceFor(stripe: Stripe, planId: PlanId, interval: Interval): Promise<Stripe.Price> {
  const plan = plans[planId];
  if (!plan.prices) throw new AppError('BAD_REQUEST', `${plan.name} is free and needs no checkout.`, { field: 'planId' });
  const price = (await catalogPrices(stripe)).get(plan.prices[interval].lookupKey);
  if (!price)
    throw new AppError('UNAVAILABLE', `The ${plan.name} price is not set up in Stripe yet (run npm run stripe:catalog).`);
  return price;
}

/** Forget cached prices (tests that push a new catalog). */
export function clearPriceCache(): void {
  cache = null;
}
