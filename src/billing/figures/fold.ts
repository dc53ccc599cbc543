// Folds the changes the billing effects recorded into the stored figures: the totals now, what
// happened each day (subscriptions started and ended, trials, MRR movements, recovered payments),
// one row per MRR movement and per recovery, and the day's closing snapshot. Only the holder of the
// figures lease folds (job.ts), so every figure document has one writer and needs no atomic
// counter (FerretDB 1.24 loses concurrent updates to one document: docs/decisions/006).
import type { AnyBulkWriteOperation } from 'mongodb';
import type { AppDeps } from '../../deps';
import type { AdminSnapshotDoc } from '../../db/collections';
import { findByIds } from '../../db/reads';
import { newId } from '../../lib/ids';
import {
  addTo,
  bump,
  type Contribution,
  dayKey,
  emptyDay,
  emptyFigures,
  type FigureChangeDoc,
  type FigureCollections,
  type FigureDayDoc,
  type FiguresDoc,
  type FigureSubjectDoc,
  type FoldJournalDoc,
  figureCollections,
  insertOnce,
  dayRows,
  windowsOf,
  type MovementKind,
  type MrrMovementDoc,
  type RecoveryDoc,
  type RecoveryStep,
} from './model';

const DAY = 86_400_000;

/** Changes folded in one go: bounded so one fold stays short beside requests. */
const BATCH = 500;

/**
 * The subjects this process's folds last read or wrote (null: none stored), so a fold reads only
 * those it has not met. The lease holder is the one writer of subjects, so they stay true while
 * the totals a fold reads are the ones this process's last fold left (`token`: that fold's
 * `foldId`). Any other totals (a rebuild, another holder's folds, a finished journal) empty it, and
 * so does losing the lease (job.ts).
 */
interface SubjectCache {
  token: string | null;
  subjects: Map<string, FigureSubjectDoc | null>;
}
const subjectCaches = new WeakMap<object, SubjectCache>();
/** Past this many subjects (about 1 KB of memory each) the cache starts over. */
const SUBJECTS_CACHED_MAX = 50_000;

/** Empties this process's cache of subjects (a rebuild is about to replace them). */
export function forgetSubjects(deps: AppDeps): void {
  const cache = subjectCaches.get(deps.db.c);
  if (!cache) return;
  cache.token = null;
  cache.subjects.clear();
}

function subjectCacheOf(deps: AppDeps): SubjectCache {
  let cache = subjectCaches.get(deps.db.c);
  if (!cache) {
    cache = { token: null, subjects: new Map() };
    subjectCaches.set(deps.db.c, cache);
  }
  return cache;
}

export interface FoldResult {
  folded: number;
  /** Changes older than what the figures already counted for their subscription. */
  skipped: number;
  /** More changes are waiting. */
  more: boolean;
}

/** State a fold works on in memory, written back at its end. */
interface Work {
  totals: FiguresDoc;
  subjects: Map<string, FigureSubjectDoc>;
  days: Map<string, FigureDayDoc>;
  movements: MrrMovementDoc[];
  recoveries: RecoveryDoc[];
}

/**
 * Folds up to one batch of waiting changes, oldest first. `owns` is asked before writing: a fold
 * whose lease was lost meanwhile writes nothing (its changes stay for the next holder).
 */
export async function foldChanges(deps: AppDeps, opts: { owns?: () => boolean } = {}): Promise<FoldResult> {
  const col = figureCollections(deps);
  // A fold that stopped part way through its writes is finished first, from its journal.
  await finishPendingFold(deps);
  // The queue is small (folded every half second); after a burst it is taken a batch at a time, in
  // the order the database returns it. Order does not matter for correctness: a change older than
  // what its subscription last counted is skipped.
  const batch = await col.changes.find({}).limit(BATCH).toArray();
  if (!batch.length) return { folded: 0, skipped: 0, more: false };
  batch.sort((a, b) => a.at.getTime() - b.at.getTime() || (a._id < b._id ? -1 : 1));

  const subjectIds = [...new Set(batch.flatMap((ch) => [`sub:${ch.subscriptionId}`, `cus:${ch.customerId}`]))];
  const cache = subjectCacheOf(deps);
  const totals = await col.figures.findOne({ _id: 'totals' });
  if (!totals?.foldId || totals.foldId !== cache.token) cache.subjects.clear();
  const unmet = subjectIds.filter((id) => !cache.subjects.has(id));
  const read = await findByIds(col.subjects, unmet);
  const known = subjectIds.flatMap((id) => {
    const s = cache.subjects.get(id);
    // A copy: a fold changes its subjects in place, and may end without writing them.
    return s ? [structuredClone(s)] : [];
  });
  const work: Work = {
    totals: totals ?? emptyFigures(new Date()),
    subjects: new Map([...known, ...read].map((s) => [s._id, s])),
    days: new Map(),
    movements: [],
    recoveries: [],
  };
  const day = async (key: string) => {
    let d = work.days.get(key);
    if (!d) {
      d = (await col.days.findOne({ _id: key })) ?? emptyDay(key);
      work.days.set(key, d);
    }
    return d;
  };

  let folded = 0;
  let skipped = 0;
  for (const ch of batch) {
    const subKey = `sub:${ch.subscriptionId}`;
    const prev = work.subjects.get(subKey);
    if (prev && prev.at.getTime() >= ch.at.getTime()) {
      skipped += 1;
      continue;
    }
    await applyChange(work, ch, prev ?? null, day);
    folded += 1;
  }
  if (opts.owns && !opts.owns()) return { folded: 0, skipped: 0, more: true };

  const now = new Date();
  work.totals.folds += 1;
  work.totals.foldId = newId();
  work.totals.updatedAt = now;
  // The windows from the stored day rows with this fold's rows in their place.
  const stored = await dayRows(deps, now);
  work.totals.windows = windowsOf(now, [...stored.filter((d) => !work.days.has(d._id)), ...work.days.values()]);
  // The whole outcome in one write first: the day rows are counts that a second fold of the same
  // changes would add to again, so they, the subjects (what each subscription last counted), the
  // totals and the queue are only ever written from this journal, which may be applied again.
  const journal: FoldJournalDoc = {
    _id: 'pending',
    at: now,
    totals: work.totals,
    subjects: [...work.subjects.values()],
    days: [...work.days.values()],
    movements: work.movements,
    recoveries: work.recoveries,
    changeIds: batch.map((ch) => ch._id),
  };
  await col.journal.replaceOne({ _id: 'pending' }, journal, { upsert: true });
  await applyJournal(deps, col, journal);
  if (cache.subjects.size > SUBJECTS_CACHED_MAX) cache.subjects.clear();
  for (const id of unmet) cache.subjects.set(id, null);
  // Kept as they are: nothing changes them after this, and each fold takes copies out (above).
  for (const subject of journal.subjects) cache.subjects.set(subject._id, subject);
  cache.token = journal.totals.foldId ?? null;
  return { folded, skipped, more: batch.length === BATCH };
}

/** Applies the journal of a fold that did not finish, if there is one (before a fold or a rebuild). */
export async function finishPendingFold(deps: AppDeps): Promise<boolean> {
  const col = figureCollections(deps);
  const journal = await col.journal.findOne({ _id: 'pending' });
  if (!journal) return false;
  await applyJournal(deps, col, journal);
  return true;
}

async function applyJournal(deps: AppDeps, col: FigureCollections, j: FoldJournalDoc): Promise<void> {
  const replace = <T extends { _id: string }>(docs: Iterable<T>): AnyBulkWriteOperation<T>[] =>
    [...docs].map((d) => ({ replaceOne: { filter: { _id: d._id } as never, replacement: d, upsert: true } }));
  // Every write replaces a document with the journal's value or inserts one once, so their order
  // is free: what the overview reads (the totals, the day rows, today's snapshot: small
  // collections) goes first, so every process shows the fold as soon as it can; what each
  // subscription last counted (a row per subscription and customer, a large collection) last.
  if (j.movements.length) await insertOnce(col.movements, j.movements);
  if (j.recoveries.length) await insertOnce(col.recoveries, j.recoveries);
  if (j.days.length) await col.days.bulkWrite(replace(j.days), { ordered: false });
  await col.figures.replaceOne({ _id: 'totals' }, j.totals, { upsert: true });
  await writeClosing(deps, j.totals, j.at);
  if (j.subjects.length) await col.subjects.bulkWrite(replace(j.subjects), { ordered: false });
  if (j.changeIds.length)
    await col.changes.bulkWrite(
      j.changeIds.map((id) => ({ deleteOne: { filter: { _id: id } } })),
      { ordered: false },
    );
  await col.journal.deleteOne({ _id: 'pending' });
}

/** Today's point of the history: the figures as they stand after this fold (the last fold of a day closes it). */
export async function writeClosing(deps: AppDeps, totals: FiguresDoc, now: Date): Promise<void> {
  const doc: AdminSnapshotDoc = {
    _id: dayKey(now),
    at: now,
    mrr: moneyList(totals.mrr12),
    activeSubscribers: totals.active,
    trialing: totals.trialing,
    pastDue: totals.pastDue,
  };
  await deps.db.c.adminSnapshots.replaceOne({ _id: doc._id }, doc, { upsert: true });
}

/** MRR × 12 by currency as whole amounts per month, in currency order. */
export function moneyList(byCurrency: Record<string, number>, divisor = 12): { currency: string; amount: number }[] {
  return Object.entries(byCurrency)
    .filter(([, v]) => v !== 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, v]) => ({ currency, amount: Math.round(v / divisor) }));
}

async function applyChange(
  work: Work,
  ch: FigureChangeDoc,
  prev: FigureSubjectDoc | null,
  day: (key: string) => Promise<FigureDayDoc>,
): Promise<void> {
  const p = prev?.contribution ?? null;
  const n = ch.after;
  addTo(work.totals, p, -1);
  addTo(work.totals, n, 1);

  const cusKey = `cus:${ch.customerId}`;
  const customer = work.subjects.get(cusKey) ?? { _id: cusKey, at: ch.at, contribution: null, everPaid: false };
  const subject: FigureSubjectDoc = {
    _id: `sub:${ch.subscriptionId}`,
    at: ch.at,
    contribution: n,
    trial: prev?.trial ?? null,
    trouble: prev?.trouble ?? null,
  };

  if (n) {
    // A subscription first seen now started on its creation day.
    if (!prev) (await day(dayKey(n.created))).newSubscriptions += 1;
    if (n.status === 'canceled' && p?.status !== 'canceled') (await day(dayKey(n.endedAt ?? ch.at))).churned += 1;
    await trialOutcome(subject, p, n, ch, prev === null, day);
  }
  await mrrMovement(work, ch, p, n, customer, day);
  await recovery(work, subject, p, n, ch, day);

  customer.at = ch.at;
  work.subjects.set(cusKey, customer);
  work.subjects.set(subject._id, subject);
}

/** A trial ends when the subscription leaves trialing; it converts when the subscription is active. */
async function trialOutcome(
  subject: FigureSubjectDoc,
  p: Contribution | null,
  n: Contribution,
  ch: FigureChangeDoc,
  firstSeen: boolean,
  day: (key: string) => Promise<FigureDayDoc>,
) {
  const endedNow =
    n.status !== 'trialing' && (p?.status === 'trialing' || (firstSeen && !!n.trialStart && !!n.trialEnd && n.trialEnd <= ch.at));
  if (endedNow) {
    const at = n.trialEnd && n.trialEnd < ch.at ? n.trialEnd : ch.at;
    const d = await day(dayKey(at));
    d.trialsEnded += 1;
    const converted = n.status === 'active';
    if (converted) d.trialsConverted += 1;
    subject.trial = { endedDay: d._id, converted };
  } else if (subject.trial && !subject.trial.converted && n.status === 'active') {
    // Paid after all (the first charge after the trial failed, then went through): counted on the
    // day the trial ended.
    (await day(subject.trial.endedDay)).trialsConverted += 1;
    subject.trial = { ...subject.trial, converted: true };
  }
}

async function mrrMovement(
  work: Work,
  ch: FigureChangeDoc,
  p: Contribution | null,
  n: Contribution | null,
  customer: FigureSubjectDoc,
  day: (key: string) => Promise<FigureDayDoc>,
) {
  const from = p?.mrr12 ?? 0;
  const to = n?.mrr12 ?? 0;
  if (from === to && (from === 0 || p?.currency === n?.currency)) return;
  const moves: { kind: MovementKind; currency: string; size: number; from: number; to: number }[] = [];
  const sameCurrency = !p || !n || p.currency === n.currency || from === 0 || to === 0;
  if (sameCurrency) {
    const currency = (to ? n?.currency : p?.currency) ?? 'usd';
    if (from === 0) moves.push({ kind: customer.everPaid ? 'reactivation' : 'new', currency, size: to, from, to });
    else if (to === 0) moves.push({ kind: 'churn', currency, size: from, from, to });
    else if (to > from) moves.push({ kind: 'expansion', currency, size: to - from, from, to });
    else moves.push({ kind: 'contraction', currency, size: from - to, from, to });
  } else {
    // A switch of currency: what was paid in one ends, what is paid in the other starts again.
    moves.push({ kind: 'churn', currency: (p as Contribution).currency, size: from, from, to: 0 });
    moves.push({ kind: 'reactivation', currency: (n as Contribution).currency, size: to, from: 0, to });
  }
  if (to > 0) customer.everPaid = true;
  const d = await day(dayKey(ch.at));
  for (const m of moves) {
    d.movements[m.kind].count += 1;
    bump(d.movements[m.kind].mrr12, m.currency, m.size);
    work.movements.push({
      _id: `${ch._id}:${m.currency}`,
      day: d._id,
      month: d._id.slice(0, 7),
      kind: m.kind,
      currency: m.currency,
      mrr12: m.size,
      fromMrr12: m.from,
      toMrr12: m.to,
      fromPlan: p?.planId ?? null,
      toPlan: n?.planId ?? null,
      subscriptionId: ch.subscriptionId,
      customerId: ch.customerId,
      userId: ch.userId,
      at: ch.at,
    });
  }
}

/**
 * Payment trouble starts when an open invoice is owed (past_due, unpaid, incomplete) and is
 * recovered when the subscription is active again with nothing owed. The step that recovered it:
 * an admin's retry (manual), a card the customer changed while it failed, or Stripe's own retry.
 */
async function recovery(
  work: Work,
  subject: FigureSubjectDoc,
  p: Contribution | null,
  n: Contribution | null,
  ch: FigureChangeDoc,
  day: (key: string) => Promise<FigureDayDoc>,
) {
  const trouble = subject.trouble;
  if (n?.owing) {
    if (trouble) subject.trouble = { ...trouble, cardUpdated: trouble.cardUpdated || ch.cardChanged };
    else {
      subject.trouble = { since: ch.at, amount: n.atRisk, currency: n.atRiskCurrency, cardUpdated: false };
      const d = await day(dayKey(ch.at));
      d.failures.count += 1;
      bump(d.failures.amount, n.atRiskCurrency, n.atRisk);
    }
    return;
  }
  if (!trouble) return;
  subject.trouble = null;
  if (n?.status !== 'active' || !p) return;
  const step: RecoveryStep =
    ch.source === 'payment.retry' || ch.source === 'admin.action'
      ? 'manual'
      : trouble.cardUpdated || ch.cardChanged
        ? 'card_update'
        : 'retry';
  const days = Math.max(0, (ch.at.getTime() - trouble.since.getTime()) / DAY);
  const d = await day(dayKey(ch.at));
  d.recovered.count += 1;
  bump(d.recovered.amount, trouble.currency, trouble.amount);
  d.recovered.days += days;
  d.recovered.byStep[step] += 1;
  work.recoveries.push({
    _id: ch._id,
    day: d._id,
    subscriptionId: ch.subscriptionId,
    customerId: ch.customerId,
    userId: ch.userId,
    step,
    amount: trouble.amount,
    currency: trouble.currency,
    failedAt: trouble.since,
    recoveredAt: ch.at,
    days,
  });
}
