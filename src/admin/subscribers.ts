// The subscriber list (one row per subscription, with its account: the rows the billing effects keep
// in billing/figures/subscriber-rows.ts), its CSV export and the subscriber detail page. Search,
// filters, sort, count and paging run in the database (indexed on MongoDB: src/db/migrations/0004-admin-figures.ts);
// an exact email, customer or subscription id is read by `_id`.
import type { AppDeps } from '../deps';
import type { SubscriptionDoc, UserDoc } from '../db/collections';
import { listInvoices, type InvoiceRow } from '../billing/dashboard';
import { usageSummary, type UsageSummary } from '../usage/summary';
import { meterErrorsOf } from '../usage/meter-errors';
import { AppError } from '../lib/errors';
import { auditEntries, type AuditView } from './audit';
import { findByIds } from '../db/reads';
import type { Filter } from 'mongodb';
import { listVersion, type SubscriberRowDoc, subscriberKeys, subscriberRows } from '../billing/figures/subscriber-rows';
import { figureCollections } from '../billing/figures/model';

export const SORTS = ['created', 'status', 'plan', 'amount', 'periodEnd'] as const;
export type SubscriberSort = (typeof SORTS)[number];

export interface SubscriberQuery {
  search?: string;
  planId?: string;
  status?: string;
  trialing?: boolean;
  cancelling?: boolean;
  sort: SubscriberSort;
  dir: 'asc' | 'desc';
  page: number;
  pageSize: number;
  /** Query now (the Refresh button) instead of answering from the last two seconds' answers. */
  fresh?: boolean;
}

export interface SubscriberRow {
  subscriptionId: string;
  customerId: string;
  userId: string | null;
  email: string | null;
  name: string | null;
  planId: string | null;
  interval: 'month' | 'year' | null;
  status: string;
  unitAmount: number | null;
  currency: string;
  trialEnd: string | null;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: string | null;
  created: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toRow(
  s: Pick<
    SubscriptionDoc,
    | '_id'
    | 'customerId'
    | 'userId'
    | 'planId'
    | 'interval'
    | 'status'
    | 'unitAmount'
    | 'currency'
    | 'trialEnd'
    | 'cancelAtPeriodEnd'
    | 'currentPeriodEnd'
    | 'created'
  >,
  user: Pick<UserDoc, 'email' | 'name'> | undefined,
): SubscriberRow {
  return {
    subscriptionId: s._id,
    customerId: s.customerId,
    userId: s.userId,
    email: user?.email ?? null,
    name: user?.name ?? null,
    planId: s.planId,
    interval: s.interval,
    status: s.status,
    unitAmount: s.unitAmount,
    currency: s.currency,
    trialEnd: iso(s.trialEnd),
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    currentPeriodEnd: iso(s.currentPeriodEnd),
    created: s.created.toISOString(),
  };
}

type Filters = Omit<SubscriberQuery, 'sort' | 'dir' | 'page' | 'pageSize' | 'fresh'>;

function fromDoc(d: SubscriberRowDoc): SubscriberRow {
  return {
    subscriptionId: d._id,
    customerId: d.customerId,
    userId: d.userId,
    email: d.email,
    name: d.name,
    planId: d.planId,
    interval: d.interval,
    status: d.status,
    unitAmount: d.unitAmount,
    currency: d.currency,
    trialEnd: iso(d.trialEnd),
    cancelAtPeriodEnd: d.cancelAtPeriodEnd,
    currentPeriodEnd: iso(d.currentPeriodEnd),
    created: d.created.toISOString(),
  };
}

const SORT_FIELD: Record<SubscriberSort, keyof SubscriberRowDoc> = {
  created: 'created',
  status: 'status',
  plan: 'planId',
  amount: 'unitAmount',
  periodEnd: 'currentPeriodEnd',
};

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The filters as a query on the subscriber rows; a search matches the start of words (all of its words). */
function filterOf(q: Filters): Filter<SubscriberRowDoc> {
  const and: Filter<SubscriberRowDoc>[] = [];
  if (q.planId) and.push({ planId: q.planId });
  if (q.status) and.push({ status: q.status });
  if (q.trialing === true) and.push({ status: 'trialing' });
  if (q.trialing === false) and.push({ status: { $ne: 'trialing' } });
  if (q.cancelling !== undefined) and.push({ cancelAtPeriodEnd: q.cancelling });
  for (const term of wordsOfQuery(q.search)) and.push({ words: { $regex: `^${escapeRegex(term)}` } });
  return and.length === 0 ? {} : and.length === 1 ? (and[0] as Filter<SubscriberRowDoc>) : { $and: and };
}

function wordsOfQuery(search: string | undefined): string[] {
  const text = search?.trim().toLowerCase() ?? '';
  if (!text) return [];
  // An email or an id is one word as typed; other text is split like the stored words.
  if (/^[^\s@]+@[^\s@]+$/.test(text) || /^(sub|cus)_/.test(text)) return [text];
  return text.split(/[^\p{L}\p{N}_@.]+/u).filter(Boolean);
}

const isExactSearch = (search: string) =>
  /^(sub|cus)_[A-Za-z0-9]+$/.test(search.trim()) || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(search.trim());

/** Rows an exact search names (an email, a customer, a subscription), read by `_id`; null for other searches. */
async function exactRows(deps: AppDeps, search: string): Promise<SubscriberRowDoc[] | null> {
  const rows = subscriberRows(deps);
  const text = search.trim();
  let ids: string[];
  if (/^sub_[A-Za-z0-9]+$/.test(text)) ids = [text];
  else if (/^cus_[A-Za-z0-9]+$/.test(text)) {
    const customer = await deps.db.c.billingCustomers.findOne({ _id: text }, { projection: { subscriptionIds: 1 } });
    ids = customer?.subscriptionIds ?? [];
  } else if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) {
    const key = await subscriberKeys(deps).findOne({ _id: `email:${text.toLowerCase()}` });
    ids = key?.subscriptionIds ?? [];
  } else return null;
  return findByIds(rows, ids.slice(0, 500));
}

function matches(d: SubscriberRowDoc, q: Filters): boolean {
  if (q.planId && d.planId !== q.planId) return false;
  if (q.status && d.status !== q.status) return false;
  if (q.trialing !== undefined && (d.status === 'trialing') !== q.trialing) return false;
  if (q.cancelling !== undefined && d.cancelAtPeriodEnd !== q.cancelling) return false;
  return true;
}

function compare(sort: SubscriberSort, dir: 'asc' | 'desc') {
  const field = SORT_FIELD[sort];
  const sign = dir === 'asc' ? 1 : -1;
  const key = (d: SubscriberRowDoc) => {
    const v = d[field];
    return v instanceof Date ? v.getTime() : (v ?? '');
  };
  return (a: SubscriberRowDoc, b: SubscriberRowDoc) => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return (ka < kb ? -1 : 1) * sign;
    return (a._id < b._id ? -1 : 1) * sign;
  };
}

interface ListPage {
  rows: SubscriberRow[];
  total: number;
}

/**
 * Answers already given, per process: at most 200, each valid while no subscriber row has changed
 * since it was read (the rows' version stamp, one read by `_id`) and for a minute at most. Paging
 * back and forth, or several admins on one list, costs one query; a change shows on every process
 * as soon as its row is written.
 */
const recent = new WeakMap<object, Map<string, { version: string; at: number; value: Promise<ListPage> }>>();
const RECENT_MAX = 200;
const RECENT_MS = 60_000;

async function remembered(
  deps: AppDeps,
  key: string,
  fresh: boolean | undefined,
  load: () => Promise<ListPage>,
): Promise<ListPage> {
  let map = recent.get(deps.db);
  if (!map) {
    map = new Map();
    recent.set(deps.db, map);
  }
  const version = await listVersion(deps);
  const hit = map.get(key);
  if (!fresh && hit && hit.version === version && Date.now() - hit.at < RECENT_MS) {
    map.delete(key);
    map.set(key, hit);
    return hit.value;
  }
  const value = load();
  const entries = map;
  const entry = { version, at: Date.now(), value };
  entries.set(key, entry);
  // Its minute counts from the answer, not from the question (a slow query is not stale at once).
  value.then(
    () => {
      entry.at = Date.now();
    },
    () => entries.delete(key),
  );
  while (entries.size > RECENT_MAX) entries.delete(entries.keys().next().value as string);
  return value;
}

/**
 * The count of a list with no search, from the figures (a read by `_id`) where they hold it: every
 * subscription, by status, by plan and status, or those cancelling. Null when the query needs a count.
 */
async function countFromFigures(deps: AppDeps, q: Filters): Promise<number | null> {
  if (q.search?.trim()) return null;
  const hasPlanOrStatus = !!q.planId || !!q.status || q.trialing !== undefined;
  if (q.cancelling !== undefined && (hasPlanOrStatus || !q.cancelling)) return null;
  const f = await figureCollections(deps).figures.findOne(
    { _id: 'totals' },
    { projection: { byStatus: 1, byPlanStatus: 1, cancelling: 1 } },
  );
  if (!f?.byStatus) return null;
  if (q.cancelling) return f.cancelling;
  const status = q.status ?? (q.trialing === true ? 'trialing' : null);
  if (status && q.trialing !== undefined && (status === 'trialing') !== q.trialing) return 0;
  let n = 0;
  for (const [key, count] of Object.entries(f.byPlanStatus)) {
    const [plan, st] = key.split(':') as [string, string];
    if (q.planId && plan !== q.planId) continue;
    if (status && st !== status) continue;
    if (q.trialing === false && st === 'trialing') continue;
    n += count;
  }
  return n;
}

async function queryRows(
  deps: AppDeps,
  q: Omit<SubscriberQuery, 'page' | 'pageSize'>,
  range: { skip: number; limit: number },
): Promise<{ docs: SubscriberRowDoc[]; total: number }> {
  const exact = q.search ? await exactRows(deps, q.search) : null;
  if (exact) {
    const all = exact.filter((d) => matches(d, q)).sort(compare(q.sort, q.dir));
    return { docs: all.slice(range.skip, range.skip + range.limit), total: all.length };
  }
  const filter = filterOf(q);
  const field = SORT_FIELD[q.sort];
  const order = q.dir === 'asc' ? 1 : -1;
  const rows = subscriberRows(deps);
  const [docs, known] = await Promise.all([
    rows
      .find(filter, { projection: { words: 0 } })
      .sort({ [field]: order, _id: order })
      .skip(range.skip)
      .limit(range.limit)
      .toArray(),
    countFromFigures(deps, q),
  ]);
  return { docs, total: known ?? (await rows.countDocuments(filter)) };
}

export async function listSubscribers(
  deps: AppDeps,
  q: SubscriberQuery,
): Promise<{ rows: SubscriberRow[]; total: number; page: number; pageSize: number }> {
  const { fresh, ...key } = q;
  const load = async () => {
    const { docs, total } = await queryRows(deps, q, { skip: (q.page - 1) * q.pageSize, limit: q.pageSize });
    return { rows: docs.map(fromDoc), total };
  };
  // An exact search is reads by `_id` already: no cache in front of it.
  const exact = !!q.search && isExactSearch(q.search);
  const { rows, total } = exact ? await load() : await remembered(deps, JSON.stringify(key), fresh, load);
  return { rows, total, page: q.page, pageSize: q.pageSize };
}

const CSV_MAX = 50_000;

/** The filtered list as CSV (RFC 4180; cells that a spreadsheet would run as formulas are quoted inert). */
export async function subscribersCsv(
  deps: AppDeps,
  q: Omit<SubscriberQuery, 'page' | 'pageSize'>,
): Promise<{ csv: string; rows: number; truncated: boolean }> {
  const { docs, total } = await queryRows(deps, q, { skip: 0, limit: CSV_MAX });
  const truncated = total > CSV_MAX;
  const rows = docs.map(fromDoc);
  const header = [
    'subscription_id',
    'customer_id',
    'user_id',
    'email',
    'name',
    'plan',
    'interval',
    'status',
    'unit_amount',
    'currency',
    'trial_end',
    'cancel_at_period_end',
    'current_period_end',
    'created',
  ];
  const lines = [header.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.subscriptionId,
        r.customerId,
        r.userId,
        r.email,
        r.name,
        r.planId,
        r.interval,
        r.status,
        r.unitAmount,
        r.currency,
        r.trialEnd,
        r.cancelAtPeriodEnd,
        r.currentPeriodEnd,
        r.created,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return { csv: `${lines.join('\r\n')}\r\n`, rows: rows.length, truncated };
}

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  // A leading = + - @ makes spreadsheets evaluate the cell (CSV injection).
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface SubscriberDetail {
  account: {
    id: string;
    email: string;
    name: string;
    role: 'user' | 'admin';
    disabled: boolean;
    emailVerified: boolean;
    twoFactorEnabled: boolean;
    createdAt: string;
    stripeCustomerId: string | null;
  };
  subscriptions: (SubscriberRow & {
    latestInvoice: {
      id: string;
      status: string | null;
      amountDue: number;
      currency: string;
      attemptCount: number;
      nextPaymentAttempt: string | null;
    } | null;
    canceledAt: string | null;
    endedAt: string | null;
    syncedAt: string;
  })[];
  invoices: InvoiceRow[];
  invoicesError: string | null;
  usage: UsageSummary | null;
  /** Meter events Stripe reported it could not apply (overage not billed as sent). */
  meterErrors: Awaited<ReturnType<typeof meterErrorsOf>>;
  sessions: { id: string; ip: string; userAgent: string; createdAt: string; lastSeenAt: string; expiresAt: string }[];
  events: { id: string; type: string; status: string; receivedAt: string; attempts: number; lastError: string | null }[];
  audit: AuditView[];
}

async function withAccounts(deps: AppDeps, subs: SubscriptionDoc[]): Promise<SubscriberRow[]> {
  const ids = [...new Set(subs.map((s) => s.userId).filter((id): id is string => id !== null))];
  const users = await findByIds(deps.db.c.users, ids, { projection: { email: 1, name: 1 } });
  const byId = new Map(users.map((u) => [u._id, u]));
  return subs.map((s) => toRow(s, s.userId ? byId.get(s.userId) : undefined));
}

export async function subscriberDetail(deps: AppDeps, userId: string): Promise<SubscriberDetail> {
  const { c } = deps.db;
  const user = await c.users.findOne({ _id: userId });
  if (!user) throw new AppError('NOT_FOUND', 'No such account.');
  const now = new Date();
  const customerId = user.stripeCustomerId ?? null;
  const [subs, sessions, events, audit] = await Promise.all([
    // Two equality reads rather than an $or (which may be a scan: src/db/reads.ts).
    Promise.all([
      c.subscriptions.find({ userId }).limit(50).toArray(),
      customerId ? c.subscriptions.find({ customerId }).limit(50).toArray() : Promise.resolve([]),
    ]).then(([mine, theirs]) =>
      [...new Map([...mine, ...theirs].map((s) => [s._id, s])).values()].sort(
        (a, b) => b.created.getTime() - a.created.getTime(),
      ),
    ),
    c.sessions
      .find({ userId, expiresAt: { $gt: now }, absoluteExpiresAt: { $gt: now } })
      .sort({ lastSeenAt: -1 })
      .limit(100)
      .toArray(),
    customerId
      ? c.webhookEvents
          .find({ customerId }, { projection: { payload: 0 } })
          .sort({ receivedAt: -1 })
          .limit(50)
          .toArray()
      : Promise.resolve([]),
    auditEntries(deps, { userId, limit: 100 }),
  ]);
  let invoices: InvoiceRow[] = [];
  let invoicesError: string | null = null;
  try {
    invoices = await listInvoices(deps, userId);
  } catch (err) {
    // The page is still useful without Stripe; say why the invoices are missing.
    invoicesError = err instanceof Error ? err.message : 'Could not read invoices.';
  }
  const usage = await usageSummary(deps, userId).catch(() => null);
  const meterErrors = await meterErrorsOf(deps, userId);
  const rows = await withAccounts(deps, subs);
  return {
    account: {
      id: user._id,
      email: user.email,
      name: user.name,
      role: user.role,
      disabled: user.disabled,
      emailVerified: user.emailVerified,
      twoFactorEnabled: !!user.twoFactorEnabledAt,
      createdAt: user.createdAt.toISOString(),
      stripeCustomerId: customerId,
    },
    subscriptions: subs.map((s, i) => ({
      ...(rows[i] as SubscriberRow),
      latestInvoice: s.latestInvoice && {
        id: s.latestInvoice.id,
        status: s.latestInvoice.status,
        amountDue: s.latestInvoice.amountDue,
        currency: s.latestInvoice.currency,
        attemptCount: s.latestInvoice.attemptCount,
        nextPaymentAttempt: iso(s.latestInvoice.nextPaymentAttempt),
      },
      canceledAt: iso(s.canceledAt),
      endedAt: iso(s.endedAt),
      syncedAt: s.syncedAt.toISOString(),
    })),
    invoices,
    invoicesError,
    usage,
    meterErrors,
    sessions: sessions.map((s) => ({
      id: s.publicId,
      ip: s.ip,
      userAgent: s.userAgent,
      createdAt: s.createdAt.toISOString(),
      lastSeenAt: s.lastSeenAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
    })),
    events: events.map((e) => ({
      id: e._id,
      type: e.type,
      status: e.status,
      receivedAt: e.receivedAt.toISOString(),
      attempts: e.attempts,
      lastError: e.lastError,
    })),
    audit,
  };
}
