// The admin's revenue figures, kept up to date as billing changes rather than computed from the
// whole mirror: what one subscription contributes to them, the stored shapes, and the pure rules
// that turn one subscription's change into movements of the figures. No I/O here; fold.ts applies
// these to the stored figures, rebuild.ts recomputes everything from the mirror.
import type { Collection } from 'mongodb';
import { refusedRows } from '../../db/errors';
import type { AppDeps } from '../../deps';
import type { MovementKind, MrrMovementDoc, RecoveryDoc, RecoveryStep, SubscriptionDoc } from '../../db/collections';

export type { MrrMovementDoc, RecoveryDoc };
import { hasPaymentTrouble, isPaying } from '../status';

/**
 * What one subscription adds to the figures. Money is in twelfths of the currency's smallest unit,
 * so a yearly price's monthly share (1/12) stays a whole number and sums never drift.
 */
export interface Contribution {
  status: string;
  planId: string | null;
  currency: string;
  /** Monthly recurring revenue × 12: the price × quantity while paying (active, past_due), else 0. */
  mrr12: number;
  /** An open invoice is owed while the subscription has payment trouble (past_due, unpaid, incomplete). */
  owing: boolean;
  /** What that invoice still owes, else 0. */
  atRisk: number;
  atRiskCurrency: string;
  cancelAtPeriodEnd: boolean;
  created: Date;
  endedAt: Date | null;
  trialStart: Date | null;
  trialEnd: Date | null;
}

export function contributionOf(s: SubscriptionDoc): Contribution {
  const perPeriod = (s.unitAmount ?? 0) * (s.quantity ?? 1);
  const inv = s.latestInvoice;
  const owing = hasPaymentTrouble(s.status) && inv?.status === 'open';
  return {
    status: s.status,
    planId: s.planId,
    currency: s.currency,
    mrr12: isPaying(s.status) ? (s.interval === 'year' ? perPeriod : perPeriod * 12) : 0,
    owing,
    atRisk: owing && inv ? Math.max(0, inv.amountDue - inv.amountPaid) : 0,
    atRiskCurrency: inv?.currency ?? s.currency,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    created: s.created,
    endedAt: s.endedAt,
    trialStart: s.trialStart,
    trialEnd: s.trialEnd,
  };
}

/** One subscription's change as the billing effects saw it, waiting to be folded into the figures. */
export interface FigureChangeDoc {
  /** `<subscriptionId>:<fetchedAt ms>` (`:gone` when it left the mirror): a change applied twice is stored once. */
  _id: string;
  subscriptionId: string;
  customerId: string;
  userId: string | null;
  /** When the Stripe reads behind the change started: an older change never undoes a newer one. */
  at: Date;
  after: Contribution | null;
  /** What started the sync (webhook, checkout, payment.retry, …): which step recovered a payment. */
  source: string;
  /** Set when the change names a card update (the default payment method changed). */
  cardChanged: boolean;
  insertedAt: Date;
}

/** What the figures last counted for one subscription (`sub:<id>`) or customer (`cus:<id>`). */
export interface FigureSubjectDoc {
  _id: string;
  /** The change counted last (its `at`): older changes are skipped. */
  at: Date;
  contribution: Contribution | null;
  /** Customers: ever had recurring revenue, so a return counts as reactivation, not new. */
  everPaid?: boolean;
  /** Subscriptions: how a trial ended, so a later first payment still counts as a conversion. */
  trial?: { endedDay: string; converted: boolean } | null;
  /** Subscriptions: when payment trouble began, while it lasts (for days to recover). */
  trouble?: { since: Date; amount: number; currency: string; cardUpdated: boolean } | null;
}

export const MOVEMENT_KINDS = [
  'new',
  'expansion',
  'contraction',
  'churn',
  'reactivation',
] as const satisfies readonly MovementKind[];
export const RECOVERY_STEPS = ['retry', 'card_update', 'manual'] as const satisfies readonly RecoveryStep[];
export type { MovementKind, RecoveryStep };

/** Amounts by currency code (codes are [a-z]{3}: safe as field names). */
export type ByCurrency = Record<string, number>;

/** The figures now (_id `totals`): read by every overview, written by the folder only. */
export interface FiguresDoc {
  _id: string;
  mrr12: ByCurrency;
  active: number;
  byPlan: Record<string, number>;
  trialing: number;
  pastDue: number;
  atRisk: ByCurrency;
  atRiskSubscriptions: number;
  /** MRR of subscriptions whose renewal is failing (past_due): lost unless recovered. */
  atRiskMrr12: ByCurrency;
  /** Subscriptions by status, by `<plan>:<status>`, and set to cancel at the period end: the list's counts. */
  byStatus: Record<string, number>;
  byPlanStatus: Record<string, number>;
  cancelling: number;
  /**
   * What the last 30 and 90 days (today included) add up to, as of `day`: kept by the folder after
   * each fold and at each day's start, so an overview reads one document.
   */
  windows?: { day: string; d30: FigureDayDoc; d90: FigureDayDoc } | null;
  /** Folds applied since the last rebuild: lets a check see that nothing moved while it counted. */
  folds: number;
  /** Written afresh by every fold (a rebuild leaves none): a fold knows the totals it reads are the ones it left. */
  foldId?: string;
  updatedAt: Date;
  rebuiltAt: Date;
}

/** What happened on one UTC day. Counts from a rebuild (subscriptions, trials) and from folds (all). */
export interface FigureDayDoc {
  /** `YYYY-MM-DD`. */
  _id: string;
  newSubscriptions: number;
  churned: number;
  trialsEnded: number;
  trialsConverted: number;
  movements: Record<MovementKind, { count: number; mrr12: ByCurrency }>;
  /** Payments that began to fail this day (an open invoice owed), and what they owed. */
  failures: { count: number; amount: ByCurrency };
  /** Failed payments won back this day: how many, how much, the days each took (summed), by step. */
  recovered: { count: number; amount: ByCurrency; days: number; byStep: Record<RecoveryStep, number> };
}

/**
 * A fold's outcome, written in one document before any of it is applied (fold.ts): every write it
 * lists replaces a document with a value (or inserts one once), so applying it again after a crash
 * part way through gives the same figures, and nothing is counted twice.
 */
export interface FoldJournalDoc {
  _id: 'pending';
  at: Date;
  totals: FiguresDoc;
  subjects: FigureSubjectDoc[];
  days: FigureDayDoc[];
  movements: MrrMovementDoc[];
  recoveries: RecoveryDoc[];
  /** The folded changes, removed from the queue last. */
  changeIds: string[];
}

export function figureCollections(deps: AppDeps) {
  const db = deps.db.db;
  return {
    journal: db.collection<FoldJournalDoc>('admin_figure_fold'),
    changes: db.collection<FigureChangeDoc>('admin_figure_changes'),
    subjects: db.collection<FigureSubjectDoc>('admin_figure_subjects'),
    figures: db.collection<FiguresDoc>('admin_figures'),
    days: db.collection<FigureDayDoc>('admin_figure_days'),
    movements: deps.db.c.adminMovements,
    recoveries: deps.db.c.adminRecoveries,
  };
}
export type FigureCollections = ReturnType<typeof figureCollections>;
export type { Collection };

export const dayKey = (d: Date): string => d.toISOString().slice(0, 10);

export function emptyFigures(now: Date): FiguresDoc {
  return {
    _id: 'totals',
    mrr12: {},
    active: 0,
    byPlan: {},
    trialing: 0,
    pastDue: 0,
    atRisk: {},
    atRiskSubscriptions: 0,
    atRiskMrr12: {},
    byStatus: {},
    byPlanStatus: {},
    cancelling: 0,
    folds: 0,
    updatedAt: now,
    rebuiltAt: now,
  };
}

export function emptyDay(day: string): FigureDayDoc {
  const movements = {} as FigureDayDoc['movements'];
  for (const k of MOVEMENT_KINDS) movements[k] = { count: 0, mrr12: {} };
  return {
    _id: day,
    newSubscriptions: 0,
    churned: 0,
    trialsEnded: 0,
    trialsConverted: 0,
    movements,
    failures: { count: 0, amount: {} },
    recovered: { count: 0, amount: {}, days: 0, byStep: { retry: 0, card_update: 0, manual: 0 } },
  };
}

const bump = (map: Record<string, number>, key: string, by: number) => {
  const v = (map[key] ?? 0) + by;
  if (v === 0) delete map[key];
  else map[key] = v;
};

/** Adds (sign 1) or takes away (sign −1) a contribution's share of the figures now. */
export function addTo(f: FiguresDoc, c: Contribution | null, sign: 1 | -1): void {
  if (!c) return;
  bump(f.byStatus, c.status, sign);
  bump(f.byPlanStatus, `${c.planId ?? 'unknown'}:${c.status}`, sign);
  if (c.cancelAtPeriodEnd) f.cancelling += sign;
  if (isPaying(c.status)) {
    f.active += sign;
    bump(f.byPlan, c.planId ?? 'unknown', sign);
    if (c.status === 'past_due') {
      f.pastDue += sign;
      if (c.mrr12) bump(f.atRiskMrr12, c.currency, sign * c.mrr12);
    }
  }
  if (c.mrr12) bump(f.mrr12, c.currency, sign * c.mrr12);
  if (c.status === 'trialing') f.trialing += sign;
  if (c.owing) {
    f.atRiskSubscriptions += sign;
    bump(f.atRisk, c.atRiskCurrency, sign * c.atRisk);
  }
}

export { bump };

/** Inserts rows keyed by what they record; rows already stored (the same thing recorded again) are fine. */
export async function insertOnce<T extends { _id: string }>(coll: Collection<T>, docs: T[]): Promise<void> {
  if (!docs.length) return;
  try {
    await coll.insertMany(docs as never, { ordered: false });
  } catch (err) {
    const refused = refusedRows(err);
    if (!refused || refused.some((r) => !r.duplicate)) throw err;
  }
}

/** The last `n` UTC days up to and including `now`'s, oldest first. */
export function lastDays(now: Date, n: number): string[] {
  return Array.from({ length: n }, (_, i) => dayKey(new Date(now.getTime() - (n - 1 - i) * 86_400_000)));
}

const addAll = (into: ByCurrency, from: ByCurrency) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

/** Day rows added up. */
export function sumDays(days: FigureDayDoc[]): FigureDayDoc {
  const total = emptyDay('sum');
  for (const d of days) {
    total.newSubscriptions += d.newSubscriptions;
    total.churned += d.churned;
    total.trialsEnded += d.trialsEnded;
    total.trialsConverted += d.trialsConverted;
    for (const k of MOVEMENT_KINDS) {
      total.movements[k].count += d.movements[k].count;
      addAll(total.movements[k].mrr12, d.movements[k].mrr12);
    }
    total.failures.count += d.failures.count;
    addAll(total.failures.amount, d.failures.amount);
    total.recovered.count += d.recovered.count;
    addAll(total.recovered.amount, d.recovered.amount);
    total.recovered.days += d.recovered.days;
    for (const s of RECOVERY_STEPS) total.recovered.byStep[s] += d.recovered.byStep[s];
  }
  return total;
}

/** The day rows of the 90 days up to `now`: one range read of a collection with a row a day. */
export async function dayRows(deps: AppDeps, now: Date, n = 90): Promise<FigureDayDoc[]> {
  const keys = lastDays(now, n);
  return figureCollections(deps)
    .days.find({ _id: { $gte: keys[0] as string, $lte: keys[keys.length - 1] as string } })
    .toArray();
}

/** The 30- and 90-day sums as of `now`, from day rows (`fresh` replaces stored rows of the same day). */
export function windowsOf(now: Date, rows: FigureDayDoc[]): NonNullable<FiguresDoc['windows']> {
  const keys = lastDays(now, 90);
  const from30 = keys[60] as string;
  const inRange = rows.filter((d) => d._id >= (keys[0] as string) && d._id <= (keys[89] as string));
  return { day: dayKey(now), d30: sumDays(inRange.filter((d) => d._id >= from30)), d90: sumDays(inRange) };
}
