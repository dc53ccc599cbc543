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

/**
 * Units of `metric` the user used each UTC day from `from` up to `to`, oldest first, one entry per
 * day (zero included). The same rows as `sumUnits`, bucketed here: the databases we run on have no
 * date-truncating aggregation, and a period's rows are few enough to read their time and count.
 */
export async function unitsPerDay(
  deps: AppDeps,
  q: { userId: string; metric: UsageMetric; periodStart: Date; from: Date; to: Date },
): Promise<{ day: string; units: number }[]> {
  const DAY = 86_400_000;
  const first = Math.floor(q.from.getTime() / DAY) * DAY;
  const days = Math.max(1, Math.ceil((q.to.getTime() - first) / DAY));
  const counts = new Array<number>(days).fill(0);
  const rows = deps.db.c.usageEvents.find(
    { userId: q.userId, metric: q.metric, periodStart: q.periodStart },
    { projection: { _id: 0, at: 1, units: 1 } },
  );
  for await (const row of rows) {
    const i = Math.floor((row.at.getTime() - first) / DAY);
    if (i >= 0 && i < days) counts[i] = (counts[i] ?? 0) + (row.units ?? 1);
  }
  return counts.map((units, i) => ({ day: new Date(first + i * DAY).toISOString().slice(0, 10), units }));
}
