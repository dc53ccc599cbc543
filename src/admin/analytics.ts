// Revenue analytics for the admin overview, from the subscriptions mirror. Only aggregation stages
// every target database has ($match/$group/$sum; docs/decisions/006) do the counting, so the
// server reads a handful of groups, never every subscription. Daily snapshots keep history.
import type { AppDeps } from '../deps';
import type { AdminSnapshotDoc } from '../db/collections';
import { cacheFor } from './cache';

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

/** Statuses that pay (or are being dunned) now: MRR and "active subscribers". */
const PAYING = ['active', 'past_due'];
const FAILED = ['past_due', 'unpaid', 'incomplete'];

interface PriceGroup {
  _id: {
    status: string;
    planId: string | null;
    interval: string | null;
    currency: string;
    unitAmount: number | null;
    quantity: number;
  };
  n: number;
}

function addMoney(map: Map<string, number>, currency: string, amount: number) {
  map.set(currency, (map.get(currency) ?? 0) + amount);
}

const toMoney = (map: Map<string, number>): Money[] =>
  [...map.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, amount]) => ({ currency, amount: Math.round(amount) }));

export async function computeOverview(deps: AppDeps, now = new Date()): Promise<Overview> {
  const { c } = deps.db;
  const since = new Date(now.getTime() - 30 * DAY);
  const [groups, newCount, churned, trials, risk] = await Promise.all([
    c.subscriptions
      .aggregate<PriceGroup>([
        { $match: { status: { $in: [...PAYING, 'trialing'] } } },
        {
          $group: {
            _id: {
              status: '$status',
              planId: '$planId',
              interval: '$interval',
              currency: '$currency',
              unitAmount: '$unitAmount',
              quantity: '$quantity',
            },
            n: { $sum: 1 },
          },
        },
      ])
      .toArray(),
    c.subscriptions.countDocuments({ created: { $gte: since, $lte: now } }),
    c.subscriptions.countDocuments({ status: 'canceled', endedAt: { $gte: since, $lte: now } }),
    c.subscriptions
      .aggregate<{ _id: string; n: number }>([
        { $match: { trialEnd: { $gte: since, $lte: now }, trialStart: { $ne: null } } },
        { $group: { _id: '$status', n: { $sum: 1 } } },
      ])
      .toArray(),
    c.subscriptions
      .find({ status: { $in: FAILED }, 'latestInvoice.status': 'open' }, { projection: { latestInvoice: 1, currency: 1 } })
      .toArray(),
  ]);

  const mrr = new Map<string, number>();
  const byPlan = new Map<string, number>();
  let active = 0;
  let trialing = 0;
  let pastDue = 0;
  for (const g of groups) {
    const { status, planId, interval, currency, unitAmount, quantity } = g._id;
    if (status === 'trialing') {
      trialing += g.n;
      continue;
    }
    active += g.n;
    if (status === 'past_due') pastDue += g.n;
    byPlan.set(planId ?? 'unknown', (byPlan.get(planId ?? 'unknown') ?? 0) + g.n);
    const perPeriod = (unitAmount ?? 0) * (quantity ?? 1) * g.n;
    addMoney(mrr, currency, interval === 'year' ? perPeriod / 12 : perPeriod);
  }
  const arr = new Map([...mrr.entries()].map(([cur, amount]) => [cur, amount * 12]));

  const trialsEnded = trials.reduce((s, t) => s + t.n, 0);
  const trialsConverted = trials.find((t) => t._id === 'active')?.n ?? 0;
  const atStart = active + churned - newCount;

  const atRisk = new Map<string, number>();
  for (const r of risk) {
    const inv = r.latestInvoice;
    if (inv) addMoney(atRisk, inv.currency, Math.max(0, inv.amountDue - inv.amountPaid));
  }

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
    atRiskSubscriptions: risk.length,
    computedAt: now.toISOString(),
  };
}

/**
 * The overview as admins read it: computed at most once a minute per process (served stale while a
 * rebuild runs), at once after an admin action, or on demand (`fresh`, the Refresh button).
 */
export async function overview(deps: AppDeps, opts: { fresh?: boolean } = {}): Promise<Overview> {
  return (await cacheFor(deps, 'overview', () => computeOverview(deps)).get(opts)).value;
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
    if ((err as { code?: number }).code === 11000) return 'exists';
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

/** The scheduled job: a snapshot at start and then every hour (only the day's first one sticks). */
export function startSnapshotJob(deps: AppDeps, everyMs = 3_600_000): { stop(): void } {
  const run = () =>
    takeSnapshot(deps).catch((err: unknown) => deps.log.warn({ err }, 'admin snapshot failed; will retry next hour'));
  const first = setTimeout(run, 5_000);
  const timer = setInterval(run, everyMs);
  first.unref();
  timer.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
