// Pushes the plan catalog to Stripe, idempotently: products get stable ids (dropin_<plan>),
// prices are found by lookup_key. Prices are immutable in Stripe, so a changed amount creates a
// new price and moves the lookup_key to it (transfer_lookup_key); existing subscribers keep the
// old price until they change plan. The customer portal configuration (src/billing/portal.ts)
// follows the prices. Works the same against the emulator and a real account.
import type Stripe from 'stripe';
import { API_METER, CURRENCY, PRODUCT_PREFIX, planList, type Interval } from './plans';
import { ensurePortalConfiguration } from './portal';

export interface CatalogResult {
  products: { id: string; action: 'created' | 'updated' | 'unchanged' }[];
  prices: { lookupKey: string; id: string; action: 'created' | 'replaced' | 'reactivated' | 'unchanged' }[];
  meter?: { id: string; action: 'created' | 'unchanged' };
  portal?: { id: string; action: 'created' | 'updated' | 'unchanged' };
}

/** A price the catalog wants, by lookup_key: each paid plan's two prices and its metered overage prices. */
export interface PriceSpec {
  lookupKey: string;
  planId: string;
  productId: string;
  interval: Interval;
  unitAmount: number;
  metered: boolean;
}

export const catalogPriceSpecs: PriceSpec[] = planList.flatMap((plan) => {
  if (!plan.prices) return [];
  const productId = `${PRODUCT_PREFIX}${plan.id}`;
  const intervals: Interval[] = ['month', 'year'];
  return [
    ...intervals.map((interval) => ({
      lookupKey: plan.prices![interval].lookupKey,
      planId: plan.id,
      productId,
      interval,
      unitAmount: plan.prices![interval].unitAmount,
      metered: false,
    })),
    ...(plan.overage
      ? intervals.map((interval) => ({
          lookupKey: plan.overage!.prices[interval].lookupKey,
          planId: plan.id,
          productId,
          interval,
          unitAmount: plan.overage!.unitAmount,
          metered: true,
        }))
      : []),
  ];
});

/** The product each paid plan has at Stripe (stable id `dropin_<plan>`). */
export const catalogProductSpecs = planList.flatMap((plan) =>
  plan.prices
    ? [
        {
          id: `${PRODUCT_PREFIX}${plan.id}`,
          planId: plan.id,
          name: `DropIn ${plan.name}`,
          description: plan.tagline,
          metadata: { dropin_plan: plan.id },
        },
      ]
    : [],
);

/** Whether a price at Stripe is the one the spec describes (metered ones tied to `meterId`). */
export function priceMatches(current: Stripe.Price | undefined, spec: PriceSpec, meterId: string | null): boolean {
  if (!current) return false;
  const product = typeof current.product === 'string' ? current.product : current.product.id;
  return (
    current.unit_amount === spec.unitAmount &&
    current.currency === CURRENCY &&
    current.recurring?.interval === spec.interval &&
    product === spec.productId &&
    (spec.metered
      ? current.recurring?.usage_type === 'metered' && current.recurring?.meter === meterId
      : current.recurring?.usage_type !== 'metered')
  );
}

/** The catalog's active prices at Stripe, by lookup_key (one list call: Stripe takes up to 10 keys). */
export async function livePrices(stripe: Stripe): Promise<Map<string, Stripe.Price>> {
  const existing = await stripe.prices.list({ lookup_keys: catalogPriceSpecs.map((p) => p.lookupKey), active: true, limit: 100 });
  return new Map(existing.data.map((p) => [p.lookup_key as string, p]));
}

/** The active meter API overage is reported to, or null. */
export async function findApiMeter(stripe: Stripe): Promise<Stripe.Billing.Meter | null> {
  for await (const m of stripe.billing.meters.list({ status: 'active', limit: 100 })) {
    if (m.event_name === API_METER.eventName) return m;
  }
  return null;
}

export async function pushCatalog(stripe: Stripe): Promise<CatalogResult> {
  const result: CatalogResult = { products: [], prices: [] };
  const meter = await ensureApiMeter(stripe);
  result.meter = { id: meter.id, action: meter.created ? 'created' : 'unchanged' };
  const byKey = await livePrices(stripe);
  /** The catalog's prices as they are once this push is done, by lookup_key. */
  const final = new Map<string, Stripe.Price>();

  for (const { id: productId, planId, ...wanted } of catalogProductSpecs) {
    let product: Stripe.Product | null = null;
    try {
      product = await stripe.products.retrieve(productId);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    if (!product) {
      await stripe.products.create({ id: productId, ...wanted }, { idempotencyKey: `catalog-product-${productId}` });
      result.products.push({ id: productId, action: 'created' });
    } else if (
      product.name !== wanted.name ||
      product.description !== wanted.description ||
      product.metadata.dropin_plan !== planId ||
      !product.active
    ) {
      await stripe.products.update(productId, { ...wanted, active: true });
      result.products.push({ id: productId, action: 'updated' });
    } else {
      result.products.push({ id: productId, action: 'unchanged' });
    }
  }

  // Metered overage prices bill API calls through the meter; the others are the plans' own prices.
  for (const spec of catalogPriceSpecs) {
    const current = byKey.get(spec.lookupKey);
    if (current && priceMatches(current, spec, meter.id)) {
      result.prices.push({ lookupKey: spec.lookupKey, id: current.id, action: 'unchanged' });
      final.set(spec.lookupKey, current);
      continue;
    }
    // An archived price that is still the right one comes back as it was (same id for its subscribers;
    // a new one with the same parameters would also replay the archived one's idempotency key).
    if (!current) {
      const archived = (await stripe.prices.list({ lookup_keys: [spec.lookupKey], active: false, limit: 10 })).data.find((p) =>
        priceMatches(p, spec, meter.id),
      );
      if (archived) {
        const price = await stripe.prices.update(archived.id, { active: true });
        result.prices.push({ lookupKey: spec.lookupKey, id: price.id, action: 'reactivated' });
        final.set(spec.lookupKey, price);
        continue;
      }
    }
    const price = await stripe.prices.create(
      {
        product: spec.productId,
        currency: CURRENCY,
        unit_amount: spec.unitAmount,
        recurring: spec.metered
          ? { interval: spec.interval, usage_type: 'metered', meter: meter.id }
          : { interval: spec.interval },
        lookup_key: spec.lookupKey,
        transfer_lookup_key: true,
        metadata: {
          dropin_plan: spec.planId,
          dropin_interval: spec.interval,
          ...(spec.metered ? { dropin_metered: 'api_calls' } : {}),
        },
      },
      {
        idempotencyKey: `catalog-price-${spec.lookupKey}-${spec.unitAmount}-${CURRENCY}${spec.metered ? `-${meter.id}` : ''}`,
      },
    );
    result.prices.push({ lookupKey: spec.lookupKey, id: price.id, action: current ? 'replaced' : 'created' });
    final.set(spec.lookupKey, price);
  }
  result.portal = await ensurePortalConfiguration(stripe, { prices: final });
  return result;
}

/** The active meter for API overage, created once (Stripe allows one active meter per event name). */
async function ensureApiMeter(stripe: Stripe): Promise<{ id: string; created: boolean }> {
  const existing = await findApiMeter(stripe);
  if (existing) return { id: existing.id, created: false };
  const meter = await stripe.billing.meters.create(
    {
      display_name: API_METER.displayName,
      event_name: API_METER.eventName,
      default_aggregation: { formula: 'sum' },
      customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
      value_settings: { event_payload_key: 'value' },
    },
    { idempotencyKey: `catalog-meter-${API_METER.eventName}` },
  );
  return { id: meter.id, created: true };
}

function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}
