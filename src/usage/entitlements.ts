// "May this user do X now, and how much is left?" — the one answer every gate uses (content pages,
// downloads, the REST API, the usage dashboard). Plans and limits come from the plan catalog; the
// plan in force comes from the billing mirror (plan-state.ts), read here through a short cache.
import type { AppDeps } from '../deps';
import type { UsageMetric } from '../db/collections';
import { plans, planList, type PlanId } from '../billing/plans';
import { currentSubscription } from '../billing/subscription';
import { type Period, type PlanState, planStateOf } from './plan-state';
import { countUsage } from './units';

export type Feature = 'download' | 'api_call' | 'content';

export interface Entitlement {
  allowed: boolean;
  plan: PlanId;
  /** Included units this period; null when the feature has no quota (content access). */
  limit: number | null;
  used: number;
  /** Included units left (never below 0); null without a quota. */
  remaining: number | null;
  period: Period;
  /** True when this unit is allowed past the included quota and will be billed as overage. */
  overage: boolean;
  /** Why it is refused (or what applies), in words a person can act on. */
  reason: string | null;
  /** For refusals: the cheapest plan that would allow it, if any. */
  upgradeTo: PlanId | null;
}

const metricOf: Record<Exclude<Feature, 'content'>, UsageMetric> = { download: 'download', api_call: 'api_call' };

export function rank(plan: PlanId): number {
  return plans[plan].rank;
}

/**
 * The plan in force. `fresh` skips the cache: pages people look at right after paying use it, so an
 * upgrade shows at once; the REST API's hot path accepts a few seconds' lag.
 *
 * The cache is short and per server (`deps.caches.plans`): the REST API asks on every call. Billing
 * changes reach other processes within SESSION_CACHE_MS (tests run with 0: always fresh).
 */
export async function planState(
  deps: AppDeps,
  userId: string,
  now = new Date(),
  opts: { fresh?: boolean } = {},
): Promise<PlanState> {
  const ttl = Math.min(deps.env.SESSION_CACHE_MS, 5_000);
  const planCache = deps.caches.plans;
  const hit = planCache.get(userId);
  if (ttl > 0 && !opts.fresh && hit && Date.now() - hit.at < ttl) {
    const state = await hit.state;
    if (state.period.end > now) return state;
  }
  const state = currentSubscription(deps, userId).then((sub) => planStateOf(sub, now));
  if (ttl > 0) {
    planCache.set(userId, { at: Date.now(), state });
    if (planCache.size > 50_000) planCache.clear();
    state.catch(() => planCache.delete(userId));
  }
  return state;
}

/**
 * The units of a quota'd feature the plan in force includes per period, and whether units past them
 * are billed as overage (paid plans' API calls, outside trials) rather than refused.
 */
export function quotaOf(state: PlanState, feature: Exclude<Feature, 'content'>): { limit: number; billable: boolean } {
  const limits = plans[state.plan].limits;
  return {
    limit: feature === 'download' ? limits.downloadsPerPeriod : limits.apiCallsIncluded,
    billable: feature === 'api_call' && state.overageBillable,
  };
}

function cheapestPlanWhere(test: (p: (typeof planList)[number]) => boolean, above: PlanId): PlanId | null {
  return planList.find((p) => p.rank > rank(above) && test(p))?.id ?? null;
}

const fmt = (n: number) => n.toLocaleString('en-US');

// Every billed call past the quota carries this sentence: worded once per plan, not per call.
const overageReasons = new Map<PlanId, string>();
function overageReason(plan: PlanId): string {
  let reason = overageReasons.get(plan);
  if (!reason) {
    const p = plans[plan];
    const price = p.overage?.unitAmount ?? 0;
    reason = `Past the ${fmt(p.limits.apiCallsIncluded)} calls included in ${p.name}: each call is billed at $${(price / 100).toFixed(2)}.`;
    overageReasons.set(plan, reason);
  }
  return reason;
}

/**
 * The entitlement for one feature now. `used` is exact unless `used` is passed in (the REST API's
 * fast path passes its cached count and re-checks exactly near the limit; see counter.ts).
 */
export async function entitlement(
  deps: AppDeps,
  opts: { userId: string; feature: Feature; minPlan?: PlanId; now?: Date; used?: number; state?: PlanState; fresh?: boolean },
): Promise<Entitlement> {
  const now = opts.now ?? new Date();
  const state = opts.state ?? (await planState(deps, opts.userId, now, { fresh: opts.fresh }));
  if (opts.feature === 'content') return entitlementOf(state, { feature: 'content', minPlan: opts.minPlan });
  const used =
    opts.used ??
    (await countUsage(deps, { userId: opts.userId, metric: metricOf[opts.feature], periodStart: state.period.start }));
  return entitlementOf(state, { feature: opts.feature, used });
}

/**
 * The same answer from what the caller already holds: the plan in force and, for a quota, the units
 * used. Synchronous, for the hot paths that have both (the REST API's per-call check).
 */
export function entitlementOf(
  state: PlanState,
  opts: { feature: 'content'; minPlan?: PlanId } | { feature: Exclude<Feature, 'content'>; used: number },
): Entitlement {
  const { plan, period } = state;

  if (opts.feature === 'content') {
    const required = opts.minPlan ?? 'free';
    const allowed = rank(plan) >= rank(required);
    return {
      allowed,
      plan,
      limit: null,
      used: 0,
      remaining: null,
      period,
      overage: false,
      reason: allowed ? null : `This item unlocks with ${plans[required].name}.`,
      upgradeTo: allowed ? null : required,
    };
  }

  const used = opts.used;
  const { limit, billable } = quotaOf(state, opts.feature);
  const remaining = Math.max(0, limit - used);
  if (used < limit) {
    return { allowed: true, plan, limit, used, remaining, period, overage: false, reason: null, upgradeTo: null };
  }
  if (billable) {
    return {
      allowed: true,
      plan,
      limit,
      used,
      remaining: 0,
      period,
      overage: true,
      reason: overageReason(plan),
      upgradeTo: null,
    };
  }
  const what = opts.feature === 'download' ? 'downloads' : 'API calls';
  const span = plan === 'free' ? 'this month' : 'this billing period';
  const better = cheapestPlanWhere(
    (p) =>
      opts.feature === 'download'
        ? p.limits.downloadsPerPeriod > limit
        : p.limits.apiCallsIncluded > limit || p.limits.apiOverage,
    plan,
  );
  const trialNote =
    opts.feature === 'api_call' && plan !== 'free' && state.status === 'trialing'
      ? ' Overage billing starts when your trial ends.'
      : '';
  const reason = better
    ? `You have used all ${fmt(limit)} ${what} included in ${plans[plan].name} ${span}. Upgrade to ${plans[better].name} for ${fmt(
        opts.feature === 'download' ? plans[better].limits.downloadsPerPeriod : plans[better].limits.apiCallsIncluded,
      )} ${what} a period.${trialNote}`
    : `You have used all ${fmt(limit)} ${what} included in ${plans[plan].name} ${span}. They renew on ${period.end.toISOString().slice(0, 10)}.${trialNote}`;
  return { allowed: false, plan, limit, used, remaining: 0, period, overage: false, reason, upgradeTo: better };
}
