// The subscriber list (one row per subscription in the mirror, with its account), its CSV export
// and the subscriber detail page. Search, filters, sort and paging all run in the database.
import type { Filter } from 'mongodb';
import type { AppDeps } from '../deps';
import type { SubscriptionDoc, UserDoc } from '../db/collections';
import { listInvoices, type InvoiceRow } from '../billing/dashboard';
import { usageSummary, type UsageSummary } from '../usage/summary';
import { AppError } from '../lib/errors';
import { auditEntries, type AuditView } from './audit';

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

const sortField: Record<SubscriberSort, string> = {
  created: 'created',
  status: 'status',
  plan: 'planId',
  amount: 'unitAmount',
  periodEnd: 'currentPeriodEnd',
};

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The mirror filter for a query. The search narrows by Stripe id directly, or by matching accounts. */
async function subscriptionFilter(
  deps: AppDeps,
  q: Omit<SubscriberQuery, 'sort' | 'dir' | 'page' | 'pageSize'>,
): Promise<Filter<SubscriptionDoc>> {
  const and: Filter<SubscriptionDoc>[] = [];
  if (q.planId) and.push({ planId: q.planId });
  if (q.status) and.push({ status: q.status });
  if (q.trialing !== undefined) and.push(q.trialing ? { status: 'trialing' } : { status: { $ne: 'trialing' } });
  if (q.cancelling !== undefined) and.push({ cancelAtPeriodEnd: q.cancelling });
  const search = q.search?.trim();
  if (search) {
    if (/^(sub|cus)_[A-Za-z0-9]+$/.test(search)) {
      and.push(search.startsWith('sub_') ? { _id: search } : { customerId: search });
    } else {
      const users = await matchingUsers(deps, search);
      and.push({ userId: { $in: users } });
    }
  }
  return and.length === 0 ? {} : and.length === 1 ? (and[0] as Filter<SubscriptionDoc>) : { $and: and };
}

/** Accounts matching a search: an exact email is one indexed look-up; otherwise email or name contains. */
async function matchingUsers(deps: AppDeps, search: string): Promise<string[]> {
  const text = search.toLowerCase();
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) {
    const exact = await deps.db.c.users.findOne({ email: text }, { projection: { _id: 1 } });
    if (exact) return [exact._id];
  }
  const pattern = new RegExp(escapeRegex(search), 'i');
  const docs = await deps.db.c.users
    .find({ $or: [{ email: pattern }, { name: pattern }] }, { projection: { _id: 1 } })
    .limit(1_000)
    .toArray();
  return docs.map((d) => d._id);
}

function toRow(s: SubscriptionDoc, user: Pick<UserDoc, 'email' | 'name'> | undefined): SubscriberRow {
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

async function withAccounts(deps: AppDeps, subs: SubscriptionDoc[]): Promise<SubscriberRow[]> {
  const ids = [...new Set(subs.map((s) => s.userId).filter((id): id is string => id !== null))];
  const users = ids.length
    ? await deps.db.c.users.find({ _id: { $in: ids } }, { projection: { email: 1, name: 1 } }).toArray()
    : [];
  const byId = new Map(users.map((u) => [u._id, u]));
  return subs.map((s) => toRow(s, s.userId ? byId.get(s.userId) : undefined));
}

export async function listSubscribers(
  deps: AppDeps,
  q: SubscriberQuery,
): Promise<{ rows: SubscriberRow[]; total: number; page: number; pageSize: number }> {
  const filter = await subscriptionFilter(deps, q);
  const dir = q.dir === 'asc' ? 1 : -1;
  const [subs, total] = await Promise.all([
    deps.db.c.subscriptions
      .find(filter)
      .sort({ [sortField[q.sort]]: dir, _id: dir })
      .skip((q.page - 1) * q.pageSize)
      .limit(q.pageSize)
      .toArray(),
    deps.db.c.subscriptions.countDocuments(filter),
  ]);
  return { rows: await withAccounts(deps, subs), total, page: q.page, pageSize: q.pageSize };
}

const CSV_MAX = 50_000;

/** The filtered list as CSV (RFC 4180; cells that a spreadsheet would run as formulas are quoted inert). */
export async function subscribersCsv(
  deps: AppDeps,
  q: Omit<SubscriberQuery, 'page' | 'pageSize'>,
): Promise<{ csv: string; rows: number; truncated: boolean }> {
  const filter = await subscriptionFilter(deps, q);
  const dir = q.dir === 'asc' ? 1 : -1;
  const subs = await deps.db.c.subscriptions
    .find(filter)
    .sort({ [sortField[q.sort]]: dir, _id: dir })
    .limit(CSV_MAX + 1)
    .toArray();
  const truncated = subs.length > CSV_MAX;
  const rows = await withAccounts(deps, subs.slice(0, CSV_MAX));
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
  sessions: { id: string; ip: string; userAgent: string; createdAt: string; lastSeenAt: string; expiresAt: string }[];
  events: { id: string; type: string; status: string; receivedAt: string; attempts: number; lastError: string | null }[];
  audit: AuditView[];
}

export async function subscriberDetail(deps: AppDeps, userId: string): Promise<SubscriberDetail> {
  const { c } = deps.db;
  const user = await c.users.findOne({ _id: userId });
  if (!user) throw new AppError('NOT_FOUND', 'No such account.');
  const now = new Date();
  const customerId = user.stripeCustomerId ?? null;
  const [subs, sessions, events, audit] = await Promise.all([
    c.subscriptions
      .find(customerId ? { $or: [{ userId }, { customerId }] } : { userId })
      .sort({ created: -1 })
      .limit(50)
      .toArray(),
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
  const rows = await withAccounts(deps, subs);
  return {
    account: {
      id: user._id,
      email: user.email,
      name: user.name,
      role: user.role,
      disabled: user.disabled,
      emailVerified: user.emailVerified,
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
