// The Stripe events log: every webhook event in our inbox, searchable, with its payload, and
// "replay" for a parked or failed one (the worker processes it again through syncCustomer).
import type { AppDeps } from '../deps';
import type { WebhookEventDoc, WebhookEventStatus } from '../db/collections';
import { requeueEvent } from '../webhooks/worker';
import { AppError } from '../lib/errors';
import { audited, type Actor } from './audit';
import { cacheFor } from './cache';

export interface EventRow {
  id: string;
  type: string;
  customerId: string | null;
  objectId: string | null;
  status: WebhookEventStatus;
  created: string;
  receivedAt: string;
  processedAt: string | null;
  attempts: number;
  duplicates: number;
  lastError: string | null;
}

const toRow = (e: Omit<WebhookEventDoc, 'payload'>): EventRow => ({
  id: e._id,
  type: e.type,
  customerId: e.customerId,
  objectId: e.objectId,
  status: e.status,
  created: e.created.toISOString(),
  receivedAt: e.receivedAt.toISOString(),
  processedAt: e.processedAt?.toISOString() ?? null,
  attempts: e.attempts,
  duplicates: e.duplicates,
  lastError: e.lastError,
});

/** Newest first, the order the log is read in; ties broken by id so pages never overlap. */
const byReceived = (a: EventRow, b: EventRow) =>
  a.receivedAt === b.receivedAt ? (a.id < b.id ? 1 : -1) : a.receivedAt < b.receivedAt ? 1 : -1;

/**
 * The inbox without payloads, newest first. A filter, sort or count over the inbox may be a scan
 * (src/db/reads.ts: seconds at 100,000 events), so the log is filtered in memory: read live while
 * the inbox is small (a read under 250 ms), served from this snapshot and rebuilt behind once it is
 * large (cache.ts). The page says how fresh it is; payloads and exact event ids are always read live.
 */
export async function eventLog(deps: AppDeps): Promise<EventRow[]> {
  return (await deps.db.c.webhookEvents.find({}, { projection: { payload: 0 } }).toArray()).map(toRow).sort(byReceived);
}

export const EVENT_LOG_MAX_AGE_MS = 0;
export const EVENT_LOG_QUICK_MS = 250;

const snapshot = (deps: AppDeps, fresh = false) =>
  cacheFor(deps, 'events', () => eventLog(deps), EVENT_LOG_MAX_AGE_MS, EVENT_LOG_QUICK_MS).get({ fresh });

export async function listEvents(
  deps: AppDeps,
  q: { search?: string; type?: string; status?: WebhookEventStatus; page: number; pageSize: number; fresh?: boolean },
): Promise<{ rows: EventRow[]; total: number; asOf: string | null }> {
  const snap = await snapshot(deps, q.fresh);
  let asOf: string | null = new Date(snap.at).toISOString();
  const search = q.search?.trim() ?? '';
  // Ids are matched exactly; anything else is a type prefix such as "invoice.".
  let match: (e: EventRow) => boolean = () => true;
  if (search.startsWith('evt_')) match = (e) => e.id === search;
  else if (search.startsWith('cus_')) match = (e) => e.customerId === search;
  else if (/^[a-z]+_[A-Za-z0-9]+$/.test(search)) match = (e) => e.objectId === search;
  else if (search) match = (e) => e.type.startsWith(search);
  const keep = (e: EventRow) => (!q.status || e.status === q.status) && (!q.type || e.type === q.type) && match(e);
  let rows = snap.value.filter(keep);
  if (rows.length === 0 && search.startsWith('evt_')) {
    // Newer than the snapshot: an event id is one exact read.
    const live = await deps.db.c.webhookEvents.findOne({ _id: search }, { projection: { payload: 0 } });
    rows = live ? [toRow(live)].filter(keep) : [];
    asOf = null;
  }
  const page = rows.slice((q.page - 1) * q.pageSize, q.page * q.pageSize);
  return { rows: await withDuplicates(deps, page), total: rows.length, asOf };
}

/** Repeated deliveries are rows of their own (src/webhooks/inbox.ts): count them for the page shown. */
async function withDuplicates(deps: AppDeps, rows: EventRow[]): Promise<EventRow[]> {
  if (!rows.length) return rows;
  const dups = await deps.db.c.webhookDuplicates
    .aggregate<{ _id: string; n: number }>([
      { $match: { eventId: { $in: rows.map((r) => r.id) } } },
      { $group: { _id: '$eventId', n: { $sum: 1 } } },
    ])
    .toArray();
  const byId = new Map(dups.map((d) => [d._id, d.n]));
  return rows.map((r) => ({ ...r, duplicates: r.duplicates + (byId.get(r.id) ?? 0) }));
}

export async function getEvent(deps: AppDeps, id: string): Promise<EventRow & { payload: string }> {
  const e = await deps.db.c.webhookEvents.findOne({ _id: id });
  if (!e) throw new AppError('NOT_FOUND', 'No such event.');
  let payload = e.payload;
  try {
    payload = JSON.stringify(JSON.parse(e.payload), null, 2);
  } catch {
    // Shown as stored.
  }
  const [row] = await withDuplicates(deps, [toRow(e)]);
  return { ...(row as EventRow), payload };
}

export async function replayEvent(opts: { deps: AppDeps; actor: Actor; actionId: string; eventId: string }) {
  const { deps } = opts;
  return audited({
    deps,
    actor: opts.actor,
    write: { action: 'replay_event', targetType: 'event', targetId: opts.eventId, actionId: opts.actionId },
    prepare: async () => {
      const row = await deps.db.c.webhookEvents.findOne({ _id: opts.eventId }, { projection: { customerId: 1 } });
      if (!row) throw new AppError('NOT_FOUND', 'No such event.');
      // The customer's mirror row names its user: an _id read (a user's stripeCustomerId may be a scan).
      const userId = row.customerId
        ? ((await deps.db.c.billingCustomers.findOne({ _id: row.customerId }, { projection: { userId: 1 } }))?.userId ?? null)
        : null;
      return { userId };
    },
    snapshot: async () => {
      const e = await deps.db.c.webhookEvents.findOne(
        { _id: opts.eventId },
        { projection: { status: 1, attempts: 1, lastError: 1 } },
      );
      return e && { status: e.status, attempts: e.attempts, lastError: e.lastError };
    },
    run: async () => {
      const ok = await requeueEvent(deps, opts.eventId);
      if (!ok) throw new AppError('CONFLICT', 'The event is being processed right now; try again in a moment.');
      return { requeued: true };
    },
  });
}
