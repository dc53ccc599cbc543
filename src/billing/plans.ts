// The plan catalog, defined once. `npm run stripe:catalog` pushes the paid plans to Stripe
// (keyed by lookup_key); entitlements and the pricing page read limits and features from here.
export type PlanId = 'free' | 'pro' | 'business';
export type Interval = 'month' | 'year';

export interface PlanPrice {
  /** Stable key the app uses to find the Stripe price; never reuse one for a different amount. */
  lookupKey: string;
  /** In the currency's smallest unit (cents). */
  unitAmount: number;
}

export interface Plan {
  id: PlanId;
  name: string;
  tagline: string;
  /** Ordered from cheapest to dearest; used to tell an upgrade from a downgrade. */
  rank: number;
  trialDays: number;
  prices: Record<Interval, PlanPrice> | null;
  features: string[];
  limits: {
    /** Library downloads included per billing period (Free: per calendar month). */
    downloadsPerPeriod: number;
    /** API calls included per billing period. */
    apiCallsIncluded: number;
    /** Whether calls past the included amount are billed (metered) instead of refused. */
    apiOverage: boolean;
    apiKeys: number;
  };
  /**
   * API calls past `apiCallsIncluded`, billed in arrears through the Stripe Billing Meter below: a
   * metered price per interval, added to the subscription at checkout beside the plan's price.
   */
  overage?: { unitAmount: number; prices: Record<Interval, { lookupKey: string }> };
}

/** The Billing Meter that API overage is reported to (one event of value 1 per call past quota). */
export const API_METER = { eventName: 'dropin_api_call', displayName: 'DropIn API calls' } as const;

export const CURRENCY = 'usd';
export const PRODUCT_PREFIX = 'dropin_';

export const plans: Record<PlanId, Plan> = {
  free: {
    id: 'free',
    name: 'Free',
    tagline: 'Browse the library and try the tools.',
    rank: 0,
    trialDays: 0,
    prices: null,
    features: ['Browse and search the whole library', '5 downloads a month', '100 API calls a month', '1 API key'],
    limits: { downloadsPerPeriod: 5, apiCallsIncluded: 100, apiOverage: false, apiKeys: 1 },
  },
  pro: {
    id: 'pro',
    name: 'Pro',
    tagline: 'For individuals who use DropIn every week.',
    rank: 1,
    trialDays: 14,
    prices: {
      month: { lookupKey: 'dropin_pro_monthly', unitAmount: 1_200 },
      year: { lookupKey: 'dropin_pro_yearly', unitAmount: 12_000 },
    },
    features: [
      'Everything in Free',
      'Pro articles, files and tools',
      '100 downloads a period',
      '10,000 API calls included',
      'API overage billed by use',
      '5 API keys',
    ],
    limits: { downloadsPerPeriod: 100, apiCallsIncluded: 10_000, apiOverage: true, apiKeys: 5 },
    overage: {
      unitAmount: 2,
      prices: { month: { lookupKey: 'dropin_pro_api_overage_monthly' }, year: { lookupKey: 'dropin_pro_api_overage_yearly' } },
    },
  },
  business: {
    id: 'business',
    name: 'Business',
    tagline: 'For teams that build on DropIn.',
    rank: 2,
    trialDays: 14,
    prices: {
      month: { lookupKey: 'dropin_business_monthly', unitAmount: 4_900 },
      year: { lookupKey: 'dropin_business_yearly', unitAmount: 49_000 },
    },
    features: [
      'Everything in Pro',
      'Business-only content and tools',
      '1,000 downloads a period',
      '100,000 API calls included',
      'API overage billed by use',
      '25 API keys',
    ],
    limits: { downloadsPerPeriod: 1_000, apiCallsIncluded: 100_000, apiOverage: true, apiKeys: 25 },
    overage: {
      unitAmount: 1,
      prices: {
        month: { lookupKey: 'dropin_business_api_overage_monthly' },
        year: { lookupKey: 'dropin_business_api_overage_yearly' },
      },
    },
  },
};

export const planList: Plan[] = Object.values(plans).sort((a, b) => a.rank - b.rank);

/** The plan and interval a Stripe price's lookup_key belongs to, if it is one of ours. */
export function planForLookupKey(lookupKey: string | null | undefined): { plan: Plan; interval: Interval } | null {
  if (!lookupKey) return null;
  for (const plan of planList) {
    if (!plan.prices) continue;
    for (const interval of ['month', 'year'] as const) {
      if (plan.prices[interval].lookupKey === lookupKey) return { plan, interval };
    }
  }
  return null;
}
