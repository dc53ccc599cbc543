// Revenue analytics for the admin overview, from the subscriptions mirror (no aggregation stage
// beyond what every target database has: one projected read, figures computed in code). Daily
// snapshots keep history; the live figures are cached per process (cache.ts).
import type { AppDeps } from '../deps';
import type { AdminSnapshotDoc } from '../db/collections';
import { isDuplicateKey } from '../db/errors';
import { hasPaymentTrouble, isPaying } from '../billing/status';
import { cacheFor } from './cache';
import { repairFailingOnce } from './failing';

const DAY = 86_400_000;

export interface Money {
  currency: string;
  amount: number;
}

export interface Overview {
  /** Monthly recurring revenue of active and past_due subscriptions; yearly prices count 1/12. */
  mrr: Money[];
  arr: Money[];
  activeSubscribers: number;
  byPlan: { planId: string; active: number }[];
  trialing: number;
  pastDue: number;
  newSubscriptions30d: number;
  churned30d: number;
  /** churned30d over the subscribers at the window's start (active now + churned − new). */
  churnRate30d: number | null;
  /** Trials that ended in the last 30 days, and how many of them are now paying (active). */
  trialsEnded30d: number;
  trialsConverted30d: number;
  trialConversionRate: number | null;
  /** Open invoices of past_due, unpaid and incomplete subscriptions. */
  atRisk: Money[];
  atRiskSubscriptions: number;
  computedAt: string;
}

function addMoney(map: Map<string, number>, currency: string, amount: number) {
  map.set(currency, (map.get(currency) ?? 0) + amount);
}

const toMoney = (map: Map<string, number>): Money[] =>
  [...map.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, amount]) => ({ currency, amount: Math.round(amount) }));

const inWindow = (d: Date | null | undefined, from: number, to: number) => !!d && d.getTime() >= from && d.getTime() <= to;

/**
 * One projected read of the mirror, every figure computed in a single pass here: a range filter,
 * count or $group may each be a scan of its own (src/db/reads.ts), so one read beats five queries
 * wherever they run. Callers go through `overview()`, which caches it.
 */
export async function computeOverview(deps: AppDeps, now = new Date()): Promise<Overview> {
  const to = now.getTime();
  const from = to - 30 * DAY;
  const rows = await deps.db.c.subscriptions
    .find(
      {},
      {
        projection: {
          status: 1,
          planId: 1,
          interval: 1,
          currency: 1,
          unitAmount: 1,
          quantity: 1,
          created: 1,
          endedAt: 1,
          trialStart: 1,
          trialEnd: 1,
          latestInvoice: 1,
        },
      },
    )
    .toArray();

  const mrr = new Map<string, number>();
  const atRisk = new Map<string, number>();
  const byPlan = new Map<string, number>();
  let active = 0;
  let trialing = 0;
  let pastDue = 0;
  let newCount = 0;
  let churned = 0;
  let trialsEnded = 0;
  let trialsConverted = 0;
  let atRiskSubscriptions = 0;
  for (const s of rows) {
    if (s.status === 'trialing') trialing += 1;
    if (isPaying(s.status)) {
      active += 1;
      if (s.status === 'past_due') pastDue += 1;
      const plan = s.planId ?? 'unknown';
      byPlan.set(plan, (byPlan.get(plan) ?? 0) + 1);
      const perPeriod = (s.unitAmount ?? 0) * (s.quantity ?? 1);
      addMoney(mrr, s.currency, s.interval === 'year' ? perPeriod / 12 : perPeriod);
    }
    if (inWindow(s.created, from, to)) newCount += 1;
    if (s.status === 'canceled' && inWindow(s.endedAt, from, to)) churned += 1;
    if (s.trialStart && inWindow(s.trialEnd, from, to)) {
      trialsEnded += 1;
      if (s.status === 'active') trialsConverted += 1;
    }
    const inv = s.latestInvoice;
    if (hasPaymentTrouble(s.status) && inv?.status === 'open') {
      atRiskSubscriptions += 1;
      addMoney(atRisk, inv.currency, Math.max(0, inv.amountDue - inv.amountPaid));
    }
  }
  const arr = new Map([...mrr.entries()].map(([cur, amount]) => [cur, amount * 12]));
  const atStart = active + churned - newCount;

  return {
    mrr: toMoney(mrr),
    arr: toMoney(arr),
    activeSubscribers: active,
    byPlan: [...byPlan.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([planId, n]) => ({ planId, active: n })),
    trialing,
    pastDue,
    newSubscriptions30d: newCount,
    churned30d: churned,
    churnRate30d: atStart > 0 ? churned / atStart : null,
    trialsEnded30d: trialsEnded,
    trialsConverted30d: trialsConverted,
    trialConversionRate: trialsEnded > 0 ? trialsConverted / trialsEnded : null,
    atRisk: toMoney(atRisk),
    atRiskSubscriptions,
    computedAt: now.toISOString(),
  };
}

/**
 * The overview as admins read it: computed at most once a minute per process (served stale while a
 * rebuild runs), at once after an admin action, or on demand (`fresh`, the Refresh button).
 */
export async function overview(deps: AppDeps, opts: { fresh?: boolean } = {}): Promise<Overview> {
  const cache = cacheFor(deps, 'overview', async () => {
    const o = await computeOverview(deps);
    // Stored for processes that start later (a deploy, a restart): they serve it while computing
    // their own, instead of keeping the first admin waiting for a full read of the mirror.
    await deps.db.c.adminOverview
      .updateOne({ _id: 'latest' }, { $set: { at: new Date(o.computedAt), json: JSON.stringify(o) } }, { upsert: true })
      .catch((err: unknown) => deps.log.warn({ err }, 'storing the admin overview failed'));
    return o;
  });
  if (!opts.fresh) {
    await cache.prime(async () => {
      const doc = await deps.db.c.adminOverview.findOne({ _id: 'latest' });
      return doc ? { value: JSON.parse(doc.json) as Overview, at: doc.at.getTime() } : null;
    });
  }
  return (await cache.get(opts)).value;
}

export const dayKey = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * Writes today's snapshot if it is not there yet. The unique `YYYY-MM-DD` _id makes this safe to
 * run from every process, any number of times: the first insert of the day wins.
 */
export async function takeSnapshot(deps: AppDeps, now = new Date()): Promise<'written' | 'exists'> {
  const _id = dayKey(now);
  if (await deps.db.c.adminSnapshots.findOne({ _id }, { projection: { _id: 1 } })) return 'exists';
  const o = await computeOverview(deps, now);
  const doc: AdminSnapshotDoc = {
    _id,
    at: now,
    mrr: o.mrr,
    activeSubscribers: o.activeSubscribers,
    trialing: o.trialing,
    pastDue: o.pastDue,
    newSubscriptions30d: o.newSubscriptions30d,
    churned30d: o.churned30d,
  };
  try {
    await deps.db.c.adminSnapshots.insertOne(doc);
    return 'written';
  } catch (err) {
    if (isDuplicateKey(err)) return 'exists';
    throw err;
  }
}

export interface HistoryPoint {
  day: string;
  mrr: Money[];
  activeSubscribers: number;
  trialing: number;
  pastDue: number;
  newSubscriptions30d: number;
  churned30d: number;
}

export async function history(deps: AppDeps, opts: { days: number }): Promise<HistoryPoint[]> {
  const from = dayKey(new Date(Date.now() - opts.days * DAY));
  const docs = await deps.db.c.adminSnapshots
    .find({ _id: { $gte: from } })
    .sort({ _id: 1 })
    .limit(opts.days + 1)
    .toArray();
  return docs.map((d) => ({
    day: d._id,
    mrr: d.mrr,
    activeSubscribers: d.activeSubscribers,
    trialing: d.trialing,
    pastDue: d.pastDue,
    newSubscriptions30d: d.newSubscriptions30d,
    churned30d: d.churned30d,
  }));
}

/**
 * The scheduled job: a snapshot at start and then every hour (only the day's first one sticks); at
 * start, also the weekly rebuild of the failed-payments rows (one process a week does it).
 */
export function startSnapshotJob(deps: AppDeps, everyMs = 3_600_000): { stop(): Promise<void> } {
  // The run in flight, so stopping can wait for it before the database closes.
  let running: Promise<void> | null = null;
  const track = (work: () => Promise<void>) => {
    if (running) return;
    running = work().finally(() => {
      running = null;
    });
  };
  const snapshot = async () => {
    await takeSnapshot(deps).catch((err: unknown) => deps.log.warn({ err }, 'admin snapshot failed; will retry next hour'));
  };
  const first = setTimeout(() => {
    track(async () => {
      await snapshot();
      await repairFailingOnce(deps).catch((err: unknown) => deps.log.warn({ err }, 'rebuilding the failed-payments rows failed'));
    });
  }, 5_000);
  const timer = setInterval(() => track(snapshot), everyMs);
  first.unref();
  timer.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
