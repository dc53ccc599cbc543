// Usage counting: one row per unit of work in usage_events, keyed by the unit's idempotency id,
// counted with countDocuments. Never $inc on a shared document: FerretDB 1.24 loses concurrent
// $inc's (docs/decisions/006, 007). Quotas are enforced insert-then-count, like the rate limits:
// the k-th of concurrent units counts at least k rows, so no more than the quota ever gets through.
import type { AppDeps } from '../deps';
import type { UsageMetric } from '../db/collections';
import { AppError } from '../lib/errors';
import { plans } from '../billing/plans';
import { entitlement, planState, type Entitlement } from './entitlements';
import { noteOverage } from './meter';
import { quotaNotices } from './notices';

export async function countUsage(deps: AppDeps, q: { userId: string; metric: UsageMetric; periodStart: Date }): Promise<number> {
  return deps.db.c.usageEvents.countDocuments({ userId: q.userId, metric: q.metric, periodStart: q.periodStart });
}

// Per-process view of recent counts, so the REST API need not count on every call. Rows are always
// written; only the *check* may use this figure, and only where nothing can be refused on it: a
// quota that can refuse is counted exactly (insert-then-count) when it is small or nearly used up.
// In-flight units reserve a place synchronously, so a burst in one process sees itself.
interface Tracker {
  at: number;
  count: Promise<number>;
  local: number;
}
const recent = new Map<string, Tracker>();
const FRESH_MS = 1_000;
/** Quotas up to this size are always checked with an exact count (cheap at that size). */
const ALWAYS_EXACT_UP_TO = 1_000;

function margin(limit: number): number {
  return Math.max(50, Math.ceil(limit * 0.05));
}

function tracker(deps: AppDeps, key: string, q: { userId: string; metric: UsageMetric; periodStart: Date }): Tracker {
  const hit = recent.get(key);
  if (hit && Date.now() - hit.at < FRESH_MS) return hit;
  const t: Tracker = { at: Date.now(), count: countUsage(deps, q), local: 0 };
  t.count.catch(() => recent.delete(key));
  recent.set(key, t);
  if (recent.size > 100_000) recent.clear();
  return t;
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
  const state = await planState(deps, opts.userId, now);
  const limits = plans[state.plan].limits;
  const limit = feature === 'download' ? limits.downloadsPerPeriod : limits.apiCallsIncluded;
  const billable = feature === 'api_call' && state.overageBillable;
  const q = { userId: opts.userId, metric: opts.metric, periodStart: state.period.start };
  const t = tracker(deps, `${opts.userId}:${opts.metric}:${state.period.start.getTime()}`, q);
  const counted = await t.count;
  const position = counted + t.local; // synchronous from here to the next await: a unique place
  t.local += 1;
  const release = () => {
    t.local -= 1;
  };
  const exact = !billable && (limit <= ALWAYS_EXACT_UP_TO || position >= limit - margin(limit));
  let before: Entitlement;
  try {
    before = await entitlement(deps, {
      userId: opts.userId,
      feature,
      now,
      state,
      used: exact ? await countUsage(deps, q) : position,
    });
  } catch (err) {
    release();
    throw err;
  }
  if (!before.allowed) {
    release();
    throw quotaError(before);
  }
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
    release();
    if (isDuplicate(err)) return before; // the same unit again: already counted
    throw err;
  }

  let used = before.used + 1;
  if (exact) {
    used = await countUsage(deps, q);
    if (used > limit) {
      // Lost the race for the last units: give ours back and refuse.
      await deps.db.c.usageEvents.deleteOne({ _id: opts.unitId });
      release();
      throw quotaError(await entitlement(deps, { userId: opts.userId, feature, now, state, used: limit }));
    }
  }
  const after: Entitlement = { ...before, used, remaining: Math.max(0, limit - used), overage: billable && used > limit };
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
