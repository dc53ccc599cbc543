// Usage counting: rows in usage_events, each inserted once under a unique _id and carrying the
// number of units it counts; usage is the sum of `units` (units.ts). Never $inc on a shared
// document: it may lose concurrent increments (src/db/writes.ts; docs/decisions/007). A unit with
// a caller's idempotency id, or one that may have to be given back, is a row of its own; units
// whose ids we minted ourselves and that cannot be refused (billed overage) are written together,
// one row per batch. Quotas are enforced insert-then-count, like the rate limits: the k-th of
// concurrent units counts at least k, so no more than the quota ever gets through.
import type { AppDeps } from '../deps';
import type { UsageEventDoc, UsageMetric } from '../db/collections';
import { isDuplicateKey, refusedRows } from '../db/errors';
import { AppError } from '../lib/errors';
import type { UsageTracker } from '../caches';
import { entitlementOf, planState, quotaOf, type Entitlement } from './entitlements';
import type { PlanState } from './plan-state';
import { noteOverage } from './meter';
import { quotaNotices } from './notices';
import { countUsage } from './units';

// Per-server view of recent counts (deps.caches.usage), so the REST API need not count on every
// call. Rows are always written; only the *check* may use this figure, and only where nothing can
// be refused on it: a quota that can refuse is counted exactly (insert-then-count) when it is small
// or nearly used up. In-flight units reserve a place synchronously, so a burst in one process sees
// itself. A stale figure is refreshed in the background while callers go on with it: only the first
// call of a user's period waits for a count. (Waiting on every refresh stalled the whole API for as
// long as a count takes, which grows with the collection where the count is a scan: src/db/indexes.ts.)
/**
 * How long a count is reused: briefly where a quota can refuse; a minute where overage is billed
 * and the figure only feeds headers and notices (this process's own units count at once; other
 * processes' show at the next refresh).
 */
const FRESH_MS = 1_000;
const FRESH_BILLED_MS = 60_000;
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
): UsageTracker {
  const recent = deps.caches.usage;
  const hit = recent.get(key);
  if (hit && typeof hit.count === 'number' && hit.sinceRefresh === null && Date.now() - hit.at >= freshMs) {
    const t = hit;
    const started = Date.now();
    t.sinceRefresh = 0;
    countUsage(deps, q).then(
      (n) => {
        t.count = n;
        t.local = t.sinceRefresh ?? 0;
        t.at = started;
        t.sinceRefresh = null;
      },
      () => {
        t.sinceRefresh = null; // the next call tries again; meanwhile the old figure stands
      },
    );
  }
  if (hit) return hit;
  const first = countUsage(deps, q);
  const t: UsageTracker = { at: Date.now(), count: first, local: 0, sinceRefresh: null };
  first.then(
    (n) => {
      t.count = n;
    },
    () => recent.delete(key),
  );
  recent.set(key, t);
  if (recent.size > 100_000) recent.clear();
  return t;
}

/** Reserves a place among the units counted by `t`; returns it and the function giving it back. */
function reserve(t: UsageTracker, counted: number): { position: number; release: () => void } {
  const position = counted + t.local;
  t.local += 1;
  if (t.sinceRefresh !== null) t.sinceRefresh += 1;
  return {
    position,
    release: () => {
      t.local -= 1;
      if (t.sinceRefresh !== null) t.sinceRefresh -= 1;
    },
  };
}

// Group commit: units arriving together are written with one insert, and each caller
// resumes only once its units are stored. Units that may share a row (see `shared` below) are
// folded into one row per user, metric, period, plan and key; the others keep a row each. Under load
// this turns thousands of units a second into a few small writes without weakening anything: every
// unit is stored before its caller answers, and every row is inserted once under a unique id.
interface Queued {
  doc: UsageEventDoc;
  shared: boolean;
  done: (inserted: boolean) => void;
  fail: (err: unknown) => void;
}
const queues = new WeakMap<object, { rows: Queued[]; flushing: number }>();
const BATCH = 500;
/**
 * Batches in flight at once, per process: one. A second writer only split bursts into smaller
 * batches without storing them any faster (bench/api.ts: no faster with two; the local database
 * writes one transaction at a time, docs/decisions/001).
 */
const WRITERS = 1;
/**
 * Event-loop turns an idle writer waits before it takes a batch. Requests that arrive together are
 * read over consecutive turns, so taking the queue on the very next turn split each burst into two
 * or three writes; one more turn puts it in one. bench/api.ts, 20 clients: about 16 units per write
 * instead of 8, a third fewer writes, and 31–34% of the bare route instead of 25–28%.
 */
const GATHER_TURNS = 2;

function afterTurns(turns: number, fn: () => void): void {
  setImmediate(turns <= 1 ? fn : () => afterTurns(turns - 1, fn));
}

function insertUnit(deps: AppDeps, doc: UsageEventDoc, shared: boolean): Promise<boolean> {
  const coll = deps.db.c.usageEvents;
  let q = queues.get(coll);
  if (!q) {
    q = { rows: [], flushing: 0 };
    queues.set(coll, q);
  }
  const queue = q;
  return new Promise<boolean>((done, fail) => {
    queue.rows.push({ doc, shared, done, fail });
    if (queue.flushing < WRITERS) {
      queue.flushing += 1;
      afterTurns(GATHER_TURNS, () => void drain(deps, queue));
    }
  });
}

/** The rows to insert for a batch: shared units folded together, with the callers each row answers. */
function foldBatch(batch: Queued[]): { doc: UsageEventDoc; callers: Queued[] }[] {
  const rows: { doc: UsageEventDoc; callers: Queued[] }[] = [];
  const folded = new Map<string, { doc: UsageEventDoc; callers: Queued[] }>();
  for (const b of batch) {
    if (!b.shared) {
      rows.push({ doc: b.doc, callers: [b] });
      continue;
    }
    const d = b.doc;
    const key = `${d.userId}\u0000${d.metric}\u0000${d.periodStart.getTime()}\u0000${d.planId}\u0000${d.ref ?? ''}`;
    const row = folded.get(key);
    if (row) {
      row.doc.units += d.units;
      if (d.at > row.doc.at) row.doc.at = d.at;
      row.callers.push(b);
    } else {
      const entry = { doc: { ...d }, callers: [b] };
      folded.set(key, entry);
      rows.push(entry);
    }
  }
  return rows;
}

async function drain(deps: AppDeps, queue: { rows: Queued[]; flushing: number }): Promise<void> {
  while (queue.rows.length) {
    const rows = foldBatch(queue.rows.splice(0, BATCH));
    // The driver's insert helpers rather than the bare insert command: on a replica set the driver
    // retries a write whose answer was lost as a retryable write, which the server applies once, so
    // a unit is never both stored and reported as failed (whose retry by the client would count it
    // twice). One row (the usual case once a burst is folded) skips insertMany's bulk machinery.
    const failed = new Map<number, unknown>();
    try {
      const [only] = rows;
      if (rows.length === 1 && only) await deps.db.c.usageEvents.insertOne(only.doc);
      else
        await deps.db.c.usageEvents.insertMany(
          rows.map((r) => r.doc),
          { ordered: false },
        );
    } catch (err) {
      // A one-row insert reports a duplicate as the error itself.
      const single = rows.length === 1 && isDuplicateKey(err) ? [{ index: 0, duplicate: true }] : null;
      const list = refusedRows(err) ?? single;
      if (!list) {
        for (const r of rows) for (const b of r.callers) b.fail(err);
        continue;
      }
      for (const w of list) failed.set(w.index, w.duplicate ? 'duplicate' : err);
    }
    rows.forEach((r, i) => {
      const f = failed.get(i);
      for (const b of r.callers) {
        if (f === undefined) b.done(true);
        else if (f === 'duplicate') b.done(false);
        else b.fail(f);
      }
    });
  }
  queue.flushing -= 1;
}

/**
 * Counts one unit of `metric` for the user if their entitlement allows it; throws PAYMENT_REQUIRED
 * naming the plan that unlocks more otherwise (and keeps nothing). `unitId` is the unit's
 * idempotency id: the same id twice is counted once. `minted` says the id is a fresh random one of
 * ours that no caller can send again, which lets the unit share a stored row with others.
 */
export async function consume(
  deps: AppDeps,
  opts: {
    userId: string;
    metric: UsageMetric;
    unitId: string;
    minted?: boolean;
    ref?: string | null;
    now?: Date;
    fresh?: boolean;
    /** The plan in force, when the caller has just read it. */
    state?: PlanState;
  },
): Promise<Entitlement> {
  const now = opts.now ?? new Date();
  const feature = opts.metric;
  const state = opts.state ?? (await planState(deps, opts.userId, now, { fresh: opts.fresh }));
  const { limit, billable } = quotaOf(state, feature);
  const q = { userId: opts.userId, metric: opts.metric, periodStart: state.period.start };
  const t = tracker(
    deps,
    `${opts.userId}:${opts.metric}:${state.period.start.getTime()}`,
    q,
    billable ? FRESH_BILLED_MS : FRESH_MS,
  );
  // Synchronous from the count to the reservation: each concurrent unit gets a place of its own.
  const counted = typeof t.count === 'number' ? t.count : await t.count;
  const { position, release } = reserve(t, counted);
  const exact = !billable && (limit <= ALWAYS_EXACT_UP_TO || position >= limit - margin(limit));
  let before: Entitlement;
  try {
    before = entitlementOf(state, { feature, used: exact ? await countUsage(deps, q) : position });
  } catch (err) {
    release();
    throw err;
  }
  if (!before.allowed) {
    release();
    throw quotaError(before);
  }
  // A unit may share a row only if its id is ours (no caller retries it, so it can never be a
  // duplicate) and nothing can make us give it back (no exact quota check follows).
  const shared = Boolean(opts.minted) && !exact;
  const inserted = await insertUnit(
    deps,
    {
      _id: opts.unitId,
      userId: opts.userId,
      metric: opts.metric,
      periodStart: before.period.start,
      periodEnd: before.period.end,
      planId: before.plan,
      at: now,
      ref: opts.ref ?? null,
      units: 1,
    },
    shared,
  ).catch((err) => {
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
      throw quotaError(entitlementOf(state, { feature, used: limit }));
    }
  }
  const after: Entitlement = { ...before, used, remaining: Math.max(0, limit - used), overage: billable && used > limit };
  if (after.overage) noteOverage(deps, { userId: opts.userId, periodStart: before.period.start });
  await quotaNotices(deps, {
    userId: opts.userId,
    metric: opts.metric,
    used,
    limit,
    period: before.period,
    plan: before.plan,
  });
  return after;
}

export function quotaError(e: Entitlement): AppError {
  return new AppError('PAYMENT_REQUIRED', e.reason ?? 'This is not included in your plan.');
}

/** Used by tests and the dashboard after a billing change. */
export function forgetCounts(deps: AppDeps): void {
  deps.caches.usage.clear();
}
