// Recomputes the admin figures from the mirror, and checks the stored ones against it. The figures
// are kept by folding changes (fold.ts); this is how they start on an existing database and how
// drift is caught: the reconciler checks them after each run, and a mismatch asks the figures job to
// rebuild. A rebuild reads the whole mirror once (seconds at 100,000 subscriptions), so it is the
// exception, never a page load.
import type { AppDeps } from '../../deps';
import type { SubscriptionDoc } from '../../db/collections';
import { isDuplicateKey } from '../../db/errors';
import { isPaying } from '../status';
import { finishPendingFold, forgetSubjects, writeClosing } from './fold';
import {
  addTo,
  contributionOf,
  dayKey,
  emptyDay,
  emptyFigures,
  type FigureDayDoc,
  type FiguresDoc,
  type FigureSubjectDoc,
  figureCollections,
  windowsOf,
} from './model';

const BATCH = 2_000;

const PROJECTION = {
  customerId: 1,
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
  currentPeriodStart: 1,
  cancelAtPeriodEnd: 1,
  fetchedAt: 1,
} as const;

interface Computed {
  totals: FiguresDoc;
  subjects: FigureSubjectDoc[];
  days: Map<string, Pick<FigureDayDoc, 'newSubscriptions' | 'churned' | 'trialsEnded' | 'trialsConverted' | 'failures'>>;
}

/** Every figure the mirror implies, in one projected read. */
export async function computeFromMirror(deps: AppDeps, now = new Date()): Promise<Computed> {
  const totals = emptyFigures(now);
  const subjects: FigureSubjectDoc[] = [];
  const customers = new Map<string, FigureSubjectDoc>();
  const days: Computed['days'] = new Map();
  const day = (d: Date) => {
    const key = dayKey(d);
    let v = days.get(key);
    if (!v) {
      v = { newSubscriptions: 0, churned: 0, trialsEnded: 0, trialsConverted: 0, failures: { count: 0, amount: {} } };
      days.set(key, v);
    }
    return v;
  };
  const cursor = deps.db.c.subscriptions.find({}, { projection: PROJECTION });
  for await (const row of cursor) {
    const s = row as SubscriptionDoc;
    const c = contributionOf(s);
    addTo(totals, c, 1);
    day(s.created).newSubscriptions += 1;
    if (s.status === 'canceled') day(s.endedAt ?? now).churned += 1;
    let trial: FigureSubjectDoc['trial'] = null;
    if (s.trialStart && s.trialEnd && s.status !== 'trialing') {
      const ended = s.endedAt && s.endedAt < s.trialEnd ? s.endedAt : s.trialEnd;
      if (ended <= now) {
        const d = day(ended);
        d.trialsEnded += 1;
        const converted = s.status === 'active';
        if (converted) d.trialsConverted += 1;
        trial = { endedDay: dayKey(ended), converted };
      }
    }
    // When the trouble began is not in the mirror: the period's start is when its invoice was due.
    const since = s.currentPeriodStart ?? now;
    if (c.owing) {
      const f = day(since).failures;
      f.count += 1;
      f.amount[c.atRiskCurrency] = (f.amount[c.atRiskCurrency] ?? 0) + c.atRisk;
    }
    subjects.push({
      _id: `sub:${s._id}`,
      at: s.fetchedAt,
      contribution: c,
      trial,
      trouble: c.owing ? { since, amount: c.atRisk, currency: c.atRiskCurrency, cardUpdated: false } : null,
    });
    const cusKey = `cus:${s.customerId}`;
    const cus = customers.get(cusKey) ?? { _id: cusKey, at: s.fetchedAt, contribution: null, everPaid: false };
    // Paid once: paying now, or ended after the trial (or without one).
    if (
      isPaying(s.status) ||
      s.status === 'unpaid' ||
      (s.status === 'canceled' && (!s.trialEnd || (s.endedAt ?? now) > s.trialEnd))
    )
      cus.everPaid = true;
    if (s.fetchedAt > cus.at) cus.at = s.fetchedAt;
    customers.set(cusKey, cus);
  }
  return { totals, subjects: [...subjects, ...customers.values()], days };
}

/**
 * Replaces the stored figures with what the mirror implies. Run by the figures job (the one writer)
 * when there are none yet or a check asked for it. MRR movements and recoveries are history the
 * mirror does not hold: they are kept as they are.
 */
export async function rebuildFigures(deps: AppDeps, now = new Date()): Promise<{ subscriptions: number }> {
  const col = figureCollections(deps);
  // A fold cut short is finished first, so its journal is not applied over the rebuilt figures later.
  await finishPendingFold(deps);
  const computed = await computeFromMirror(deps, now);
  // This process's folds forget what they knew of the subjects, even should the rebuild stop part way.
  forgetSubjects(deps);
  await col.subjects.deleteMany({});
  for (let i = 0; i < computed.subjects.length; i += BATCH)
    await col.subjects.insertMany(computed.subjects.slice(i, i + BATCH), { ordered: false });
  const existing = await col.days.find({}).toArray();
  const days = new Map<string, FigureDayDoc>(existing.map((d) => [d._id, d]));
  // Subscriptions and trials are recounted from the mirror; failures of the past are history it no
  // longer shows, so they are kept, and only still-open ones are counted where none were.
  for (const d of days.values()) Object.assign(d, { newSubscriptions: 0, churned: 0, trialsEnded: 0, trialsConverted: 0 });
  for (const [key, counts] of computed.days) {
    const d = days.get(key) ?? emptyDay(key);
    // Failures of invoices still open are counted on their day unless folds counted more there.
    const failures = d.failures.count >= counts.failures.count ? d.failures : counts.failures;
    days.set(key, { ...d, ...counts, failures });
  }
  const docs = [...days.values()];
  for (let i = 0; i < docs.length; i += BATCH)
    await col.days.bulkWrite(
      docs.slice(i, i + BATCH).map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })),
      { ordered: false },
    );
  computed.totals.windows = windowsOf(now, docs);
  await col.figures.replaceOne({ _id: 'totals' }, computed.totals, { upsert: true });
  await writeClosing(deps, computed.totals, now);
  await col.figures.deleteOne({ _id: 'rebuild' });
  return { subscriptions: computed.subjects.filter((s) => s._id.startsWith('sub:')).length };
}

export type FigureCheck = 'ok' | 'drift' | 'busy' | 'missing';

const GAUGES = [
  'mrr12',
  'active',
  'byPlan',
  'trialing',
  'pastDue',
  'atRisk',
  'atRiskSubscriptions',
  'atRiskMrr12',
  'byStatus',
  'byPlanStatus',
  'cancelling',
] as const;

/**
 * Compares the stored figures with the mirror. Only meaningful when nothing was folded while the
 * mirror was read and no change waits: otherwise 'busy' (the next check decides). On 'drift' a
 * rebuild is requested, which the figures job carries out.
 */
export async function checkFigures(deps: AppDeps): Promise<{ result: FigureCheck; fields: string[] }> {
  const col = figureCollections(deps);
  const before = await col.figures.findOne({ _id: 'totals' });
  if (!before) return { result: 'missing', fields: [] };
  const computed = await computeFromMirror(deps);
  const [after, waiting] = await Promise.all([col.figures.findOne({ _id: 'totals' }), col.changes.findOne({})]);
  if (!after || after.folds !== before.folds || after.rebuiltAt.getTime() !== before.rebuiltAt.getTime() || waiting)
    return { result: 'busy', fields: [] };
  const fields: string[] = GAUGES.filter((k) => JSON.stringify(sorted(after[k])) !== JSON.stringify(sorted(computed.totals[k])));
  fields.push(...dayDifferences(await col.days.find({}).toArray(), computed.days));
  if (!fields.length) return { result: 'ok', fields };
  await requestRebuild(deps);
  return { result: 'drift', fields: [...fields] };
}

const DAY_COUNTS = ['newSubscriptions', 'churned', 'trialsEnded', 'trialsConverted'] as const;

/**
 * The day rows' counts that differ from what the mirror implies, as `days.<day>.<count>`. (Failures
 * and recoveries are history the mirror no longer shows: not compared.)
 */
function dayDifferences(stored: FigureDayDoc[], computed: Computed['days']): string[] {
  const byKey = new Map(stored.map((d) => [d._id, d]));
  const out: string[] = [];
  for (const key of [...new Set([...byKey.keys(), ...computed.keys()])].sort())
    for (const f of DAY_COUNTS) if ((byKey.get(key)?.[f] ?? 0) !== (computed.get(key)?.[f] ?? 0)) out.push(`days.${key}.${f}`);
  return out;
}

export async function requestRebuild(deps: AppDeps): Promise<void> {
  try {
    await figureCollections(deps).figures.insertOne({ ...emptyFigures(new Date()), _id: 'rebuild' });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
}

function sorted(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
}
