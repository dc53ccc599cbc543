// Usage counting: one row per unit of work in usage_events, keyed by the unit's idempotency id,
// counted with countDocuments. Never $inc on a shared document: FerretDB 1.24 loses concurrent
// $inc's (docs/decisions/006, 007). Quotas are enforced insert-then-count, like the rate limits:
// the k-th of concurrent units counts at least k rows, so no more than the quota ever gets through.
import type { AppDeps } from '../deps';
import type { UsageEventDoc, UsageMetric } from '../db/collections';
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
/** How long a count is reused: briefly where a quota can refuse, longer where overage is billed. */
const FRESH_MS = 1_000;
const FRESH_BILLED_MS = 10_000;
/** Quotas up to this size are always checked with an exact count (cheap at that size). */
const ALWAYS_EXACT_UP_TO = 1_000;

function margin(limit: number): number {
  return Math.max(50, Math.ceil(limit * 0.05));
}

function tracker(
  deps: AppDeps,
  key: string,
  q: { userId: string; metric: UsageMetric; periodStart: Date },
  freshMs: number,
): Tracker {
  const hit = recent.get(key);
  if (hit && Date.now() - hit.at < freshMs) return hit;
  const t: Tracker = { at: Date.now(), count: countUsage(deps, q), local: 0 };
  t.count.catch(() => recent.delete(key));
  recent.set(key, t);
  if (recent.size > 100_000) recent.clear();
  return t;
}

// Group commit: units arriving together are written with one insertMany, and each caller
// resumes only once its row is stored. Under load this turns hundreds of inserts a second into a
// few batches without weakening anything: every row is still its own document under its own id.
interface Queued {
  doc: UsageEventDoc;
  done: (inserted: boolean) => void;
  fail: (err: unknown) => void;
}
const queues = new WeakMap<object, { rows: Queued[]; flushing: number }>();
const BATCH = 500;
/**
 * Batches in flight at once. One: FerretDB serialises writes, and measured with bench/api.ts two or
 * more writers were slower (14.8% of bare with one, 6.3% with four).
 */
const WRITERS = 1;

function insertUnit(deps: AppDeps, doc: UsageEventDoc): Promise<boolean> {
  const coll = deps.db.c.usageEvents;
  let q = queues.get(coll);
  if (!q) {
    q = { rows: [], flushing: 0 };
    queues.set(coll, q);
  }
  const queue = q;
  return new Promise<boolean>((done, fail) => {
    queue.rows.push({ doc, done, fail });
    if (queue.flushing < WRITERS) {
      queue.flushing += 1;
      setImmediate(() => void drain(deps, queue));
    }
  });
}

async function drain(deps: AppDeps, queue: { rows: Queued[]; flushing: number }): Promise<void> {
  while (queue.rows.length) {
    const batch = queue.rows.splice(0, BATCH);
    const failed = new Map<number, unknown>();
    try {
      await deps.db.c.usageEvents.insertMany(
        batch.map((b) => b.doc),
        { ordered: false },
      );
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { index: number; code: number }[] | { index: number; code: number } })
        .writeErrors;
      const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : null;
      if (!list) {
        for (const b of batch) b.fail(err);
        continue;
      }
      for (const w of list) failed.set(w.index, w.code === 11000 ? 'duplicate' : err);
    }
    batch.forEach((b, i) => {
      const f = failed.get(i);
      if (f === undefined) b.done(true);
      else if (f === 'duplicate') b.done(false);
      else b.fail(f);
    });
  }
  queue.flushing -= 1;
}

/**
 * Counts one unit of `metric` for the user if their entitlement allows it; throws PAYMENT_REQUIRED
 * naming the plan that unlocks more otherwise (and keeps nothing). `unitId` is the unit's
 * idempotency id: the same id twice is counted once.
 */
export async function consume(
  deps: AppDeps,
  opts: { userId: string; metric: UsageMetric; unitId: string; ref?: string | null; now?: Date; fresh?: boolean },
): Promise<Entitlement> {
  const now = opts.now ?? new Date();
  const feature = opts.metric;
  const state = await planState(deps, opts.userId, now, { fresh: opts.fresh });
  const limits = plans[state.plan].limits;
  const limit = feature === 'download' ? limits.downloadsPerPeriod : limits.apiCallsIncluded;
  const billable = feature === 'api_call' && state.overageBillable;
  const q = { userId: opts.userId, metric: opts.metric, periodStart: state.period.start };
  const t = tracker(
    deps,
    `${opts.userId}:${opts.metric}:${state.period.start.getTime()}`,
    q,
    billable ? FRESH_BILLED_MS : FRESH_MS,
  );
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
  const inserted = await insertUnit(deps, {
    _id: opts.unitId,
    userId: opts.userId,
    metric: opts.metric,
    periodStart: before.period.start,
    periodEnd: before.period.end,
    planId: before.plan,
    at: now,
    ref: opts.ref ?? null,
  }).catch((err) => {
    release();
    throw err;
  });
  if (!inserted) {
    release();
    return before; // the same unit again: already counted
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
