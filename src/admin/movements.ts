// MRR movements (new, expansion, contraction, churn, reactivation) per day and per month, and the
// subscribers behind each number: read from the day counts and movement rows the billing effects
// keep (src/billing/figures). The subscriber lists export as CSV with the list's safe cells.
import type { AppDeps } from '../deps';
import type { MrrMovementDoc } from '../db/collections';
import { findByIds } from '../db/reads';
import { AppError } from '../lib/errors';
import { dayKey, type FigureDayDoc, figureCollections, MOVEMENT_KINDS, type MovementKind } from '../billing/figures/model';
import { moneyList } from '../billing/figures/fold';
import type { Money } from './analytics';
import { csvCell } from './subscribers';

const DAY = 86_400_000;

export interface MovementPeriod {
  /** `YYYY-MM-DD` or `YYYY-MM`. */
  period: string;
  kinds: { kind: MovementKind; count: number; mrr: Money[] }[];
  /** new + expansion + reactivation − contraction − churn, per currency. */
  net: Money[];
}

/** The last `count` days or months (newest first), each with its movements. */
export async function movementSummary(
  deps: AppDeps,
  opts: { by: 'day' | 'month'; count: number; now?: Date },
): Promise<MovementPeriod[]> {
  const now = opts.now ?? new Date();
  const col = figureCollections(deps);
  let docs: FigureDayDoc[];
  let periods: string[];
  if (opts.by === 'day') {
    periods = Array.from({ length: opts.count }, (_, i) => dayKey(new Date(now.getTime() - i * DAY)));
    docs = await findByIds(col.days, periods);
  } else {
    const months: string[] = [];
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    for (let i = 0; i < opts.count; i++)
      months.push(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 1)).toISOString().slice(0, 7));
    periods = months;
    // The day rows of those months: one row a day, a small collection read in one range.
    docs = await col.days.find({ _id: { $gte: `${months[months.length - 1]}-01`, $lte: `${months[0]}-31` } }).toArray();
  }
  const byPeriod = new Map<string, FigureDayDoc[]>();
  for (const doc of docs) {
    const key = opts.by === 'day' ? doc._id : doc._id.slice(0, 7);
    byPeriod.set(key, [...(byPeriod.get(key) ?? []), doc]);
  }
  return periods.map((period) => {
    const days = byPeriod.get(period) ?? [];
    const net: Record<string, number> = {};
    const kinds = MOVEMENT_KINDS.map((kind) => {
      let count = 0;
      const mrr12: Record<string, number> = {};
      for (const d of days) {
        count += d.movements[kind].count;
        for (const [cur, v] of Object.entries(d.movements[kind].mrr12)) {
          mrr12[cur] = (mrr12[cur] ?? 0) + v;
          net[cur] = (net[cur] ?? 0) + (kind === 'contraction' || kind === 'churn' ? -v : v);
        }
      }
      return { kind, count, mrr: moneyList(mrr12) };
    });
    return { period, kinds, net: moneyList(net) };
  });
}

export interface MovementRow {
  id: string;
  at: string;
  kind: MovementKind;
  subscriptionId: string;
  customerId: string;
  userId: string | null;
  email: string | null;
  name: string | null;
  currency: string;
  /** Per month, in the smallest unit. */
  mrr: number;
  fromMrr: number;
  toMrr: number;
  fromPlan: string | null;
  toPlan: string | null;
}

function periodFilter(period: string): { day: string } | { month: string } {
  if (/^\d{4}-\d{2}-\d{2}$/.test(period)) return { day: period };
  if (/^\d{4}-\d{2}$/.test(period)) return { month: period };
  throw new AppError('BAD_REQUEST', 'The period must be a day (YYYY-MM-DD) or a month (YYYY-MM).', { field: 'period' });
}

async function movementDocs(deps: AppDeps, opts: { kind: MovementKind; period: string }): Promise<MrrMovementDoc[]> {
  const docs = await deps.db.c.adminMovements
    .find({ kind: opts.kind, ...periodFilter(opts.period) })
    .limit(50_000)
    .toArray();
  return docs.sort((a, b) => b.at.getTime() - a.at.getTime() || (a._id < b._id ? 1 : -1));
}

async function toRows(deps: AppDeps, docs: MrrMovementDoc[]): Promise<MovementRow[]> {
  const ids = [...new Set(docs.map((d) => d.userId).filter((id): id is string => !!id))];
  const users = new Map((await findByIds(deps.db.c.users, ids, { projection: { email: 1, name: 1 } })).map((u) => [u._id, u]));
  return docs.map((d) => {
    const user = d.userId ? users.get(d.userId) : undefined;
    return {
      id: d._id,
      at: d.at.toISOString(),
      kind: d.kind,
      subscriptionId: d.subscriptionId,
      customerId: d.customerId,
      userId: d.userId,
      email: user?.email ?? null,
      name: user?.name ?? null,
      currency: d.currency,
      mrr: Math.round(d.mrr12 / 12),
      fromMrr: Math.round(d.fromMrr12 / 12),
      toMrr: Math.round(d.toMrr12 / 12),
      fromPlan: d.fromPlan,
      toPlan: d.toPlan,
    };
  });
}

/** The subscribers behind one number: a kind of movement on a day or in a month, newest first. */
export async function movementList(
  deps: AppDeps,
  opts: { kind: MovementKind; period: string; page: number; pageSize: number },
): Promise<{ rows: MovementRow[]; total: number }> {
  const docs = await movementDocs(deps, opts);
  const page = docs.slice((opts.page - 1) * opts.pageSize, opts.page * opts.pageSize);
  return { rows: await toRows(deps, page), total: docs.length };
}

export async function movementsCsv(
  deps: AppDeps,
  opts: { kind: MovementKind; period: string },
): Promise<{ csv: string; rows: number }> {
  const rows = await toRows(deps, await movementDocs(deps, opts));
  const header = [
    'at',
    'kind',
    'subscription_id',
    'customer_id',
    'user_id',
    'email',
    'name',
    'currency',
    'mrr_change',
    'mrr_before',
    'mrr_after',
    'plan_before',
    'plan_after',
  ];
  const lines = [header.join(',')];
  for (const r of rows)
    lines.push(
      [
        r.at,
        r.kind,
        r.subscriptionId,
        r.customerId,
        r.userId,
        r.email,
        r.name,
        r.currency,
        r.mrr,
        r.fromMrr,
        r.toMrr,
        r.fromPlan,
        r.toPlan,
      ]
        .map(csvCell)
        .join(','),
    );
  return { csv: `${lines.join('\r\n')}\r\n`, rows: rows.length };
}

export interface RecoveryRow {
  id: string;
  recoveredAt: string;
  failedAt: string;
  days: number;
  step: string;
  amount: number;
  currency: string;
  subscriptionId: string;
  userId: string | null;
  email: string | null;
}

/** Payments won back in the last `days` days, newest first, with the step that recovered each. */
export async function recentRecoveries(deps: AppDeps, opts: { days: number; limit: number }): Promise<RecoveryRow[]> {
  const from = dayKey(new Date(Date.now() - (opts.days - 1) * DAY));
  const docs = (
    await deps.db.c.adminRecoveries
      .find({ day: { $gte: from } })
      .limit(10_000)
      .toArray()
  )
    .sort((a, b) => b.recoveredAt.getTime() - a.recoveredAt.getTime())
    .slice(0, opts.limit);
  const ids = [...new Set(docs.map((d) => d.userId).filter((id): id is string => !!id))];
  const users = new Map((await findByIds(deps.db.c.users, ids, { projection: { email: 1 } })).map((u) => [u._id, u]));
  return docs.map((d) => ({
    id: d._id,
    recoveredAt: d.recoveredAt.toISOString(),
    failedAt: d.failedAt.toISOString(),
    days: d.days,
    step: d.step,
    amount: d.amount,
    currency: d.currency,
    subscriptionId: d.subscriptionId,
    userId: d.userId,
    email: d.userId ? (users.get(d.userId)?.email ?? null) : null,
  }));
}
