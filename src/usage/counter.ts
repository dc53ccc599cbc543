// Usage counting: one row per unit of work in usage_events, keyed by the unit's idempotency id,
// counted with countDocuments. Never $inc on a shared document: FerretDB 1.24 loses concurrent
// $inc's (docs/decisions/006, 007). Quotas are enforced insert-then-count, like the rate limits:
// the k-th of concurrent units counts at least k rows, so no more than the quota ever gets through.
import type { AppDeps } from '../deps';
import type { UsageMetric } from '../db/collections';
import { AppError } from '../lib/errors';
import { entitlement, planState, type Entitlement } from './entitlements';
import { noteOverage } from './meter';
import { quotaNotices } from './notices';

export async function countUsage(deps: AppDeps, q: { userId: string; metric: UsageMetric; periodStart: Date }): Promise<number> {
  return deps.db.c.usageEvents.countDocuments({ userId: q.userId, metric: q.metric, periodStart: q.periodStart });
}

// Per-process view of recent counts, so the REST API need not count on every call while far from a
// limit. Rows are always written; only the *check* uses the cached figure, and it switches to an
// exact count as soon as the remaining quota is within the margin.
const recent = new Map<string, { at: number; count: number; local: number }>();
const FRESH_MS = 1_000;

function margin(limit: number): number {
  return Math.max(20, Math.ceil(limit * 0.05));
}

async function usedApprox(
  deps: AppDeps,
  key: string,
  q: { userId: string; metric: UsageMetric; periodStart: Date },
): Promise<number> {
  const hit = recent.get(key);
  if (hit && Date.now() - hit.at < FRESH_MS) return hit.count + hit.local;
  const count = await countUsage(deps, q);
  recent.set(key, { at: Date.now(), count, local: 0 });
  if (recent.size > 100_000) recent.clear();
  return count;
}

const isDuplicate = (err: unknown) => (err as { code?: number }).code === 11000;

/**
 * Counts one unit of `metric` for the user if their entitlement allows it; throws PAYMENT_REQUIRED
 * naming the plan that unlocks more otherwise (and keeps nothing). `unitId` is the unit's
 * idempotency id: the same id twice is counted once.
 */
export async function consume(
  deps: AppDeps,
  opts: { userId: string; metric: UsageMetric; unitId: string; ref?: string | null; now?: Date },
): Promise<Entitlement> {
  const now = opts.now ?? new Date();
  const feature = opts.metric;
  // First a cheap look (cached count), exact when close to the limit.
  const probe = await entitlement(deps, { userId: opts.userId, feature, now, used: 0 });
  const q = { userId: opts.userId, metric: opts.metric, periodStart: probe.period.start };
  const key = `${opts.userId}:${opts.metric}:${probe.period.start.getTime()}`;
  const approx = await usedApprox(deps, key, q);
  const limit = probe.limit ?? 0;
  const exact = approx >= limit - margin(limit);
  const before = await entitlement(deps, { userId: opts.userId, feature, now, used: exact ? await countUsage(deps, q) : approx });
  if (!before.allowed) throw quotaError(before);

  try {
    await deps.db.c.usageEvents.insertOne({
      _id: opts.unitId,
      userId: opts.userId,
      metric: opts.metric,
      periodStart: before.period.start,
      periodEnd: before.period.end,
      planId: before.plan,
      at: now,
      ref: opts.ref ?? null,
    });
  } catch (err) {
    if (isDuplicate(err)) return before; // the same unit again: already counted
    throw err;
  }
  const cached = recent.get(key);
  if (cached) cached.local += 1;

  let used = before.used + 1;
  if (exact) {
    used = await countUsage(deps, q);
    const billable = feature === 'api_call' && (await planState(deps, opts.userId, now)).overageBillable;
    if (used > limit && !billable) {
      // Lost the race for the last units: give ours back and refuse.
      await deps.db.c.usageEvents.deleteOne({ _id: opts.unitId });
      throw quotaError(await entitlement(deps, { userId: opts.userId, feature, now, used: limit }));
    }
  }
  const after: Entitlement = { ...before, used, remaining: Math.max(0, limit - used), overage: used > limit };
  if (after.overage) noteOverage(deps, { userId: opts.userId, periodStart: before.period.start });
  await quotaNotices(deps, { userId: opts.userId, metric: opts.metric, used, limit, period: before.period, plan: before.plan });
  return after;
}

export function quotaError(e: Entitlement): AppError {
  return new AppError('PAYMENT_REQUIRED', e.reason ?? 'This is not included in your plan.');
}

/** Used by tests and the dashboard after a billing change. */
export function forgetCounts(): void {
  recent.clear();
}
