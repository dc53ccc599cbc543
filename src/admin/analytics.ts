// Revenue analytics for the admin overview, read from the figures the billing effects keep up to
// date (src/billing/figures): the totals now, what happened each day, and each day's closing
// snapshot. A fresh overview is two reads by `_id` (the totals with their 30- and 90-day windows,
// and the snapshot 30 days back), never a pass over the mirror.
import type { AppDeps } from '../deps';
import { repairFailingOnce } from './failing';
import {
  dayKey,
  dayRows,
  emptyFigures,
  type FigureDayDoc,
  type FiguresDoc,
  figureCollections,
  lastDays,
  MOVEMENT_KINDS,
  type MovementKind,
  type RecoveryStep,
  windowsOf,
} from '../billing/figures/model';
import { moneyList } from '../billing/figures/fold';

const DAY = 86_400_000;

export interface Money {
  currency: string;
  amount: number;
}

export interface RecoveryFigures {
  windowDays: number;
  /** Invoices won back after their payment failed, and what they brought in. */
  recovered: Money[];
  recoveredCount: number;
  /** Payments that began to fail in the window. */
  failures: number;
  /** recoveredCount ÷ failures (null without failures). */
  rate: number | null;
  /** Mean days from the first failure to the payment (null without recoveries). */
  avgDaysToRecover: number | null;
  byStep: Record<RecoveryStep, number>;
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
  /** Paying subscribers 30 days ago: that day's closing snapshot, or estimated (active now + churned − new). */
  churnBase30d: number;
  churnBaseEstimated: boolean;
  /** churned30d ÷ churnBase30d. */
  churnRate30d: number | null;
  /** Trials that ended in the last 30 days, and how many of them turned into paid (active) subscriptions. */
  trialsEnded30d: number;
  trialsConverted30d: number;
  trialConversionRate: number | null;
  /** Open invoices of past_due, unpaid and incomplete subscriptions. */
  atRisk: Money[];
  atRiskSubscriptions: number;
  /** MRR of past_due subscriptions: lost unless their payment is recovered. */
  atRiskMrr: Money[];
  /** MRR movements in the last 30 days. */
  movements30d: { kind: MovementKind; count: number; mrr: Money[] }[];
  /**
   * Net revenue retention over 30 days, per currency: (MRR 30 days ago + expansion − contraction −
   * churn) ÷ MRR 30 days ago, where MRR 30 days ago = MRR now − the net of the window's movements.
   */
  nrr30d: { currency: string; rate: number | null; startMrr: number; expansion: number; contraction: number; churn: number }[];
  recovery: RecoveryFigures[];
  /** When the figures last changed. */
  computedAt: string;
}

function recoveryOf(t: FigureDayDoc, windowDays: number): RecoveryFigures {
  return {
    windowDays,
    recovered: moneyList(t.recovered.amount, 1),
    recoveredCount: t.recovered.count,
    failures: t.failures.count,
    rate: t.failures.count > 0 ? Math.min(1, t.recovered.count / t.failures.count) : null,
    avgDaysToRecover: t.recovered.count > 0 ? t.recovered.days / t.recovered.count : null,
    byStep: t.recovered.byStep,
  };
}

/** The overview from stored figures as of `now` (30- and 90-day windows end today). */
export async function computeOverview(deps: AppDeps, now = new Date()): Promise<Overview> {
  const col = figureCollections(deps);
  const [totals, base] = await Promise.all([
    col.figures.findOne({ _id: 'totals' }),
    deps.db.c.adminSnapshots.findOne({ _id: dayKey(new Date(now.getTime() - 30 * DAY)) }),
  ]);
  // The windows the folder keeps for today; for another day (or before the folder got to it), summed here.
  const windows = totals?.windows?.day === dayKey(now) ? totals.windows : windowsOf(now, await dayRows(deps, now));
  const f: FiguresDoc = totals ?? emptyFigures(now);
  const w = windows.d30;
  const estimatedBase = f.active + w.churned - w.newSubscriptions;
  const churnBase = base ? base.activeSubscribers : Math.max(0, estimatedBase);
  const currencies = [
    ...new Set([...Object.keys(f.mrr12), ...MOVEMENT_KINDS.flatMap((k) => Object.keys(w.movements[k].mrr12))]),
  ].sort();
  const mv = (k: MovementKind, cur: string) => (w.movements[k].mrr12[cur] ?? 0) / 12;
  return {
    mrr: moneyList(f.mrr12),
    arr: moneyList(f.mrr12, 1),
    activeSubscribers: f.active,
    byPlan: Object.entries(f.byPlan)
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([planId, active]) => ({ planId, active })),
    trialing: f.trialing,
    pastDue: f.pastDue,
    newSubscriptions30d: w.newSubscriptions,
    churned30d: w.churned,
    churnBase30d: churnBase,
    churnBaseEstimated: !base,
    churnRate30d: churnBase > 0 ? w.churned / churnBase : null,
    trialsEnded30d: w.trialsEnded,
    trialsConverted30d: w.trialsConverted,
    trialConversionRate: w.trialsEnded > 0 ? w.trialsConverted / w.trialsEnded : null,
    atRisk: moneyList(f.atRisk, 1),
    atRiskSubscriptions: f.atRiskSubscriptions,
    atRiskMrr: moneyList(f.atRiskMrr12),
    movements30d: MOVEMENT_KINDS.map((kind) => ({
      kind,
      count: w.movements[kind].count,
      mrr: moneyList(w.movements[kind].mrr12),
    })),
    nrr30d: currencies.map((currency) => {
      const now12 = (f.mrr12[currency] ?? 0) / 12;
      const start =
        now12 -
        (mv('new', currency) + mv('reactivation', currency) + mv('expansion', currency)) +
        mv('contraction', currency) +
        mv('churn', currency);
      const kept = start + mv('expansion', currency) - mv('contraction', currency) - mv('churn', currency);
      return {
        currency,
        rate: start > 0 ? kept / start : null,
        startMrr: Math.round(start),
        expansion: Math.round(mv('expansion', currency)),
        contraction: Math.round(mv('contraction', currency)),
        churn: Math.round(mv('churn', currency)),
      };
    }),
    recovery: [recoveryOf(windows.d30, 30), recoveryOf(windows.d90, 90)],
    computedAt: f.updatedAt.toISOString(),
  };
}

/**
 * The overview as admins read it: a second per process at most (every web process reads the same
 * stored figures, so all show a change within about a second of its fold). `fresh` skips that second.
 */
const held = new WeakMap<object, { at: number; value: Promise<Overview> }>();

export async function overview(deps: AppDeps, opts: { fresh?: boolean } = {}): Promise<Overview> {
  const entry = held.get(deps.db);
  if (!opts.fresh && entry && Date.now() - entry.at < 1_000) return entry.value;
  const value = computeOverview(deps);
  held.set(deps.db, { at: Date.now(), value });
  value.catch(() => held.delete(deps.db));
  return value;
}

export interface HistoryPoint {
  day: string;
  mrr: Money[];
  activeSubscribers: number;
  trialing: number;
  pastDue: number;
  /** Subscriptions started and ended that day. */
  newSubscriptions: number;
  churned: number;
}

/**
 * One point a day: each past day's closing figures (a day without a change keeps the day before's),
 * and today's live figures, so the last point always equals the cards above the chart.
 */
export async function history(deps: AppDeps, opts: { days: number; now?: Date }): Promise<HistoryPoint[]> {
  const now = opts.now ?? new Date();
  const keys = lastDays(now, opts.days);
  const range = { $gte: keys[0] as string, $lte: keys[keys.length - 1] as string };
  // Range reads of two collections with a row a day: one query each, not a read per day.
  const [snaps, dayDocs, live, before] = await Promise.all([
    deps.db.c.adminSnapshots.find({ _id: range }).toArray(),
    dayRows(deps, now, opts.days),
    computeOverview(deps, now),
    // The closing figures before the window, to carry into its first days.
    deps.db.c.adminSnapshots
      .find({ _id: { $lt: keys[0] as string } })
      .sort({ _id: -1 })
      .limit(1)
      .toArray(),
  ]);
  const snapBy = new Map(snaps.map((s) => [s._id, s]));
  const dayBy = new Map(dayDocs.map((d) => [d._id, d]));
  const today = dayKey(now);
  let carried = before[0] ?? null;
  const points: HistoryPoint[] = [];
  for (const key of keys) {
    const snap = snapBy.get(key) ?? null;
    if (snap) carried = snap;
    const d = dayBy.get(key);
    const counts = { newSubscriptions: d?.newSubscriptions ?? 0, churned: d?.churned ?? 0 };
    if (key === today) {
      points.push({
        day: key,
        mrr: live.mrr,
        activeSubscribers: live.activeSubscribers,
        trialing: live.trialing,
        pastDue: live.pastDue,
        ...counts,
      });
    } else if (carried) {
      points.push({
        day: key,
        mrr: carried.mrr,
        activeSubscribers: carried.activeSubscribers,
        trialing: carried.trialing,
        pastDue: carried.pastDue,
        ...counts,
      });
    }
  }
  return points;
}

/** At start, the weekly rebuild of the failed-payments rows (one process a week does it). */
export function startSnapshotJob(deps: AppDeps): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const first = setTimeout(() => {
    running = repairFailingOnce(deps)
      .then(() => undefined)
      .catch((err: unknown) => deps.log.warn({ err }, 'rebuilding the failed-payments rows failed'))
      .finally(() => {
        running = null;
      });
  }, 5_000);
  first.unref();
  return {
    async stop() {
      clearTimeout(first);
      await running;
    },
  };
}
