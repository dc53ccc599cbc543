// DropIn's customer portal configuration, kept in code like the plan catalog: subscribers may switch
// between the paid plans' prices, cancel at the end of the period and update their card, and see
// their invoices. Stripe refuses portal sessions on an account with no configuration at all, so
// `npm run stripe:catalog` creates this one and every portal session names it.
import type Stripe from 'stripe';
import { PRODUCT_PREFIX, planList } from './plans';

/** The metadata that marks DropIn's configuration among the account's. */
export const PORTAL_METADATA = { dropin_portal: 'v1' } as const;

const TTL_MS = 60_000;
let cache: { at: number; id: string | null; stripe: Stripe } | null = null;

/** What DropIn's configuration says, given the catalog's licensed prices by lookup_key. */
export function portalConfigurationParams(
  prices: Map<string, Stripe.Price>,
): Stripe.BillingPortal.ConfigurationCreateParams & { features: Stripe.BillingPortal.ConfigurationCreateParams.Features } {
  const products = planList.flatMap((plan) => {
    if (!plan.prices) return [];
    const ids = [plan.prices.month.lookupKey, plan.prices.year.lookupKey].map((k) => prices.get(k)?.id);
    if (ids.some((id) => !id)) return [];
    return [{ product: `${PRODUCT_PREFIX}${plan.id}`, prices: ids as string[] }];
  });
  return {
    name: 'DropIn',
    features: {
      customer_update: { enabled: false },
      invoice_history: { enabled: true },
      payment_method_update: { enabled: true },
      subscription_cancel: { enabled: true, mode: 'at_period_end', proration_behavior: 'none' },
      subscription_update: {
        enabled: products.length > 0,
        default_allowed_updates: ['price'],
        proration_behavior: 'always_invoice',
        products,
      },
    },
    metadata: { ...PORTAL_METADATA },
  };
}

/** DropIn's active configuration on the account, or null. */
export async function findPortalConfiguration(stripe: Stripe): Promise<Stripe.BillingPortal.Configuration | null> {
  for await (const cfg of stripe.billingPortal.configurations.list({ active: true, limit: 100 })) {
    if (cfg.metadata?.dropin_portal === PORTAL_METADATA.dropin_portal) return cfg;
  }
  return null;
}

/** The id portal sessions name (cached a minute); null leaves the account's default to Stripe. */
export async function portalConfigurationId(stripe: Stripe): Promise<string | null> {
  if (cache && cache.stripe === stripe && Date.now() - cache.at < TTL_MS) return cache.id;
  const id = (await findPortalConfiguration(stripe))?.id ?? null;
  cache = { at: Date.now(), id, stripe };
  return id;
}

/**
 * How an existing configuration differs from what DropIn wants, one phrase per difference; empty
 * when it matches.
 */
export function portalDifferences(
  cfg: Stripe.BillingPortal.Configuration,
  wanted: ReturnType<typeof portalConfigurationParams>,
): string[] {
  const out: string[] = [];
  const f = cfg.features;
  const w = wanted.features;
  if (!f.payment_method_update.enabled) out.push('payment method update is off');
  if (!f.invoice_history.enabled) out.push('invoice history is off');
  if (!f.subscription_cancel.enabled) out.push('cancellation is off');
  else if (f.subscription_cancel.mode !== 'at_period_end')
    out.push(`cancellation is "${f.subscription_cancel.mode}", not at period end`);
  const have = new Set(f.subscription_update.enabled ? (f.subscription_update.products ?? []).flatMap((p) => p.prices) : []);
  const products = w.subscription_update?.products;
  const want = Array.isArray(products) ? products.flatMap((p) => p.prices ?? []) : [];
  const missing = want.filter((id) => !have.has(id));
  if (want.length && !f.subscription_update.enabled) out.push('plan switching is off');
  else if (missing.length) out.push(`plan switching lacks ${missing.join(', ')}`);
  const extra = [...have].filter((id) => !want.includes(id));
  if (extra.length) out.push(`plan switching offers prices DropIn no longer sells: ${extra.join(', ')}`);
  return out;
}

/** Creates DropIn's configuration, or brings an existing one in line; answers what it did. */
export async function ensurePortalConfiguration(
  stripe: Stripe,
  opts: { prices: Map<string, Stripe.Price> },
): Promise<{ id: string; action: 'created' | 'updated' | 'unchanged' }> {
  const wanted = portalConfigurationParams(opts.prices);
  const current = await findPortalConfiguration(stripe);
  cache = null;
  if (!current) {
    const created = await stripe.billingPortal.configurations.create(wanted);
    return { id: created.id, action: 'created' };
  }
  if (!portalDifferences(current, wanted).length) return { id: current.id, action: 'unchanged' };
  await stripe.billingPortal.configurations.update(current.id, { features: wanted.features });
  return { id: current.id, action: 'updated' };
}
