// How much has been used: the units counted by usage_events rows. Every figure (the quota gate,
// entitlements, the usage page, the meter's overage) is this one sum, a single $group accumulator
// (docs/decisions/007), so they always agree.
import type { Filter } from 'mongodb';
import type { AppDeps } from '../deps';
import type { UsageEventDoc, UsageMetric } from '../db/collections';

/** Units of `metric` the user used in the period starting at `periodStart`. */
export async function countUsage(deps: AppDeps, q: { userId: string; metric: UsageMetric; periodStart: Date }): Promise<number> {
  return sumUnits(deps, { userId: q.userId, metric: q.metric, periodStart: q.periodStart });
}

/** Units counted by the usage rows matching `filter`. */
export async function sumUnits(deps: AppDeps, filter: Filter<UsageEventDoc>): Promise<number> {
  const [row] = await deps.db.c.usageEvents
    .aggregate<{ n: number }>([{ $match: filter }, { $group: { _id: null, n: { $sum: '$units' } } }])
    .toArray();
  return row?.n ?? 0;
}
