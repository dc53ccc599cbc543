// The Stripe events log: every webhook event in our inbox, searchable, with its payload, and
// "replay" for a parked or failed one (the worker processes it again through syncCustomer).
import type { Filter } from 'mongodb';
import type { AppDeps } from '../deps';
import type { WebhookEventDoc, WebhookEventStatus } from '../db/collections';
import { requeueEvent } from '../webhooks/worker';
import { AppError } from '../lib/errors';
import { audited, type Actor } from './audit';

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

export async function listEvents(
  deps: AppDeps,
  q: { search?: string; type?: string; status?: WebhookEventStatus; page: number; pageSize: number },
): Promise<{ rows: EventRow[]; total: number }> {
  const and: Filter<WebhookEventDoc>[] = [];
  if (q.status) and.push({ status: q.status });
  if (q.type) and.push({ type: q.type });
  const search = q.search?.trim();
  if (search) {
    // Ids are matched exactly (indexed); anything else is a type prefix such as "invoice.".
    if (search.startsWith('evt_')) and.push({ _id: search });
    else if (search.startsWith('cus_')) and.push({ customerId: search });
    else if (/^[a-z]+_[A-Za-z0-9]+$/.test(search) && !search.includes('.')) and.push({ objectId: search });
    else and.push({ type: { $regex: `^${search.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` } });
  }
  const filter: Filter<WebhookEventDoc> = and.length ? { $and: and } : {};
  const [docs, total] = await Promise.all([
    deps.db.c.webhookEvents
      .find(filter, { projection: { payload: 0 } })
      .sort({ receivedAt: -1, _id: -1 })
      .skip((q.page - 1) * q.pageSize)
      .limit(q.pageSize)
      .toArray(),
    deps.db.c.webhookEvents.countDocuments(filter),
  ]);
  return { rows: await withDuplicates(deps, docs.map(toRow)), total };
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
  const row = await deps.db.c.webhookEvents.findOne({ _id: opts.eventId }, { projection: { customerId: 1 } });
  if (!row) throw new AppError('NOT_FOUND', 'No such event.');
  const userId = row.customerId
    ? ((await deps.db.c.users.findOne({ stripeCustomerId: row.customerId }, { projection: { _id: 1 } }))?._id ?? null)
    : null;
  return audited(
    deps,
    opts.actor,
    { action: 'replay_event', targetType: 'event', targetId: opts.eventId, userId, actionId: opts.actionId },
    async () => {
      const e = await deps.db.c.webhookEvents.findOne(
        { _id: opts.eventId },
        { projection: { status: 1, attempts: 1, lastError: 1 } },
      );
      return e && { status: e.status, attempts: e.attempts, lastError: e.lastError };
    },
    async () => {
      const ok = await requeueEvent(deps, opts.eventId);
      if (!ok) throw new AppError('CONFLICT', 'The event is being processed right now; try again in a moment.');
      return { requeued: true };
    },
  );
}
