// Pushes the plan catalog to Stripe, idempotently: products get stable ids (dropin_<plan>),
// prices are found by lookup_key. Prices are immutable in Stripe, so a changed amount creates a
// new price and moves the lookup_key to it (transfer_lookup_key); existing subscribers keep the
// old price until they change plan. Works the same against the emulator and a real account.
import type Stripe from 'stripe';
import { API_METER, CURRENCY, PRODUCT_PREFIX, planList, type Interval } from './plans';

export interface CatalogResult {
  products: { id: string; action: 'created' | 'updated' | 'unchanged' }[];
  prices: { lookupKey: string; id: string; action: 'created' | 'replaced' | 'unchanged' }[];
  meter?: { id: string; action: 'created' | 'unchanged' };
}

export async function pushCatalog(stripe: Stripe): Promise<CatalogResult> {
  const result: CatalogResult = { products: [], prices: [] };
  const meter = await ensureApiMeter(stripe);
  result.meter = { id: meter.id, action: meter.created ? 'created' : 'unchanged' };
  const lookupKeys = planList.flatMap((p) => [
    ...(p.prices ? [p.prices.month.lookupKey, p.prices.year.lookupKey] : []),
    ...(p.overage ? [p.overage.prices.month.lookupKey, p.overage.prices.year.lookupKey] : []),
  ]);
  const existing = await stripe.prices.list({ lookup_keys: lookupKeys, active: true, limit: 100 });
  const byKey = new Map(existing.data.map((p) => [p.lookup_key as string, p]));

  for (const plan of planList) {
    if (!plan.prices) continue;
    const productId = `${PRODUCT_PREFIX}${plan.id}`;
    const wanted = { name: `DropIn ${plan.name}`, description: plan.tagline, metadata: { dropin_plan: plan.id } };
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
      product.metadata.dropin_plan !== plan.id ||
      !product.active
    ) {
      await stripe.products.update(productId, { ...wanted, active: true });
      result.products.push({ id: productId, action: 'updated' });
    } else {
      result.products.push({ id: productId, action: 'unchanged' });
    }

    for (const interval of ['month', 'year'] as Interval[]) {
      const spec = plan.prices[interval];
      const current = byKey.get(spec.lookupKey);
      const matches =
        current &&
        current.unit_amount === spec.unitAmount &&
        current.currency === CURRENCY &&
        current.recurring?.interval === interval &&
        (typeof current.product === 'string' ? current.product : current.product.id) === productId;
      if (matches) {
        result.prices.push({ lookupKey: spec.lookupKey, id: current.id, action: 'unchanged' });
        continue;
      }
      const price = await stripe.prices.create(
        {
          product: productId,
          currency: CURRENCY,
          unit_amount: spec.unitAmount,
          recurring: { interval },
          lookup_key: spec.lookupKey,
          transfer_lookup_key: true,
          metadata: { dropin_plan: plan.id, dropin_interval: interval },
        },
        { idempotencyKey: `catalog-price-${spec.lookupKey}-${spec.unitAmount}-${CURRENCY}` },
      );
      result.prices.push({ lookupKey: spec.lookupKey, id: price.id, action: current ? 'replaced' : 'created' });
    }

    // API overage: a metered price per interval on the plan's product, tied to the API meter.
    if (!plan.overage) continue;
    for (const interval of ['month', 'year'] as Interval[]) {
      const lookupKey = plan.overage.prices[interval].lookupKey;
      const unitAmount = plan.overage.unitAmount;
      const current = byKey.get(lookupKey);
      const matches =
        current &&
        current.unit_amount === unitAmount &&
        current.currency === CURRENCY &&
        current.recurring?.interval === interval &&
        current.recurring?.usage_type === 'metered' &&
        current.recurring?.meter === meter.id &&
        (typeof current.product === 'string' ? current.product : current.product.id) === productId;
      if (matches) {
        result.prices.push({ lookupKey, id: current.id, action: 'unchanged' });
        continue;
      }
      const price = await stripe.prices.create(
        {
          product: productId,
          currency: CURRENCY,
          unit_amount: unitAmount,
          recurring: { interval, usage_type: 'metered', meter: meter.id },
          lookup_key: lookupKey,
          transfer_lookup_key: true,
          metadata: { dropin_plan: plan.id, dropin_interval: interval, dropin_metered: 'api_calls' },
        },
        { idempotencyKey: `catalog-price-${lookupKey}-${unitAmount}-${CURRENCY}-${meter.id}` },
      );
      result.prices.push({ lookupKey, id: price.id, action: current ? 'replaced' : 'created' });
    }
  }
  return result;
}

/** The active meter for API overage, created once (Stripe allows one active meter per event name). */
async function ensureApiMeter(stripe: Stripe): Promise<{ id: string; created: boolean }> {
  for await (const m of stripe.billing.meters.list({ status: 'active', limit: 100 })) {
    if (m.event_name === API_METER.eventName) return { id: m.id, created: false };
  }
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
