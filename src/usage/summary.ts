// What the usage dashboard and GET /api/v1/usage show: each metric of the current period against
// its quota, overage so far and its price, and the totals of past periods. Counts are exact
// (countDocuments over one row per unit).
import type { AppDeps } from '../deps';
import type { UsageMetric } from '../db/collections';
import { plans, type PlanId } from '../billing/plans';
import { planState } from './entitlements';
import { countUsage, unitsPerDay } from './units';

export interface MetricUsage {
  metric: UsageMetric;
  label: string;
  used: number;
  limit: number;
  remaining: number;
  /** Units past the included quota (billed on paid plans). */
  overage: number;
  /** Cents per overage unit, when overage is billed; null when it is refused instead. */
  overageUnitAmount: number | null;
  overageAmount: number;
}

export interface UsageSummary {
  plan: { id: PlanId; name: string };
  status: string | null;
  period: { start: string; end: string };
  currency: string;
  metrics: MetricUsage[];
  /** Overage units reported to Stripe so far this period (the rest are on their way). */
  overageReported: number;
  history: { periodStart: string; periodEnd: string; downloads: number; apiCalls: number }[];
}

const labels: Record<UsageMetric, string> = { download: 'Downloads', api_call: 'API calls' };

export async function usageSummary(deps: AppDeps, userId: string, opts: { fresh?: boolean } = {}): Promise<UsageSummary> {
  const state = await planState(deps, userId, new Date(), opts);
  const plan = plans[state.plan];
  const periodStart = state.period.start;
  const [downloads, apiCalls, reported, past] = await Promise.all([
    countUsage(deps, { userId, metric: 'download', periodStart }),
    countUsage(deps, { userId, metric: 'api_call', periodStart }),
    deps.db.c.meterOutbox.countDocuments({ userId, periodStart, status: 'sent' }),
    deps.db.c.usageEvents
      .aggregate<{ _id: { periodStart: Date; periodEnd: Date; metric: UsageMetric }; n: number }>([
        { $match: { userId, periodStart: { $lt: periodStart } } },
        { $group: { _id: { periodStart: '$periodStart', periodEnd: '$periodEnd', metric: '$metric' }, n: { $sum: '$units' } } },
      ])
      .toArray(),
  ]);
  const metric = (m: UsageMetric, used: number, limit: number, billed: boolean): MetricUsage => {
    const overage = Math.max(0, used - limit);
    const unit = billed ? (plan.overage?.unitAmount ?? 0) : null;
    return {
      metric: m,
      label: labels[m],
      used,
      limit,
      remaining: Math.max(0, limit - used),
      overage,
      overageUnitAmount: unit,
      overageAmount: overage * (unit ?? 0),
    };
  };
  const byPeriod = new Map<number, { periodStart: string; periodEnd: string; downloads: number; apiCalls: number }>();
  for (const row of past) {
    const key = row._id.periodStart.getTime();
    const entry = byPeriod.get(key) ?? {
      periodStart: row._id.periodStart.toISOString(),
      periodEnd: row._id.periodEnd.toISOString(),
      downloads: 0,
      apiCalls: 0,
    };
    if (row._id.metric === 'download') entry.downloads += row.n;
    else entry.apiCalls += row.n;
    byPeriod.set(key, entry);
  }
  return {
    plan: { id: plan.id, name: plan.name },
    status: state.status,
    period: { start: state.period.start.toISOString(), end: state.period.end.toISOString() },
    currency: 'usd',
    metrics: [
      metric('download', downloads, plan.limits.downloadsPerPeriod, false),
      metric('api_call', apiCalls, plan.limits.apiCallsIncluded, state.overageBillable),
    ],
    overageReported: reported,
    history: [...byPeriod.values()].sort((a, b) => b.periodStart.localeCompare(a.periodStart)).slice(0, 12),
  };
}

export type UsageDays = Record<UsageMetric, { day: string; units: number }[]>;

/**
 * Each metric's units per UTC day of the current period, from its start to today (or to its end,
 * if that came first): the dashboard's small charts.
 */
export async function usageDays(deps: AppDeps, userId: string, opts: { fresh?: boolean } = {}): Promise<UsageDays> {
  const state = await planState(deps, userId, new Date(), opts);
  const periodStart = state.period.start;
  const to = new Date(Math.min(Date.now(), state.period.end.getTime()));
  const of = (metric: UsageMetric) => unitsPerDay(deps, { userId, metric, periodStart, from: periodStart, to });
  const [download, api_call] = await Promise.all([of('download'), of('api_call')]);
  return { download, api_call };
}
