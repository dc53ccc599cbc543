// The webhook inbox: a verified event is stored under its event id before we answer Stripe, so a
// delivery we acknowledged is never lost, and a second delivery of the same event is recorded as a
// duplicate and never processed again. Each stored event also gets a row in the work queue
// (`webhook_queue`), which the worker reads instead of searching the inbox.
import type Stripe from 'stripe';
import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../deps';
import type { WebhookEventDoc, WebhookQueueDoc } from '../db/collections';
import { refusedRows } from '../db/errors';

export type RecordResult = 'new' | 'duplicate';

/**
 * Fail fast when the database is away: a delivery whose rows are not written within this of its
 * arrival (waiting for the write before its own included) is answered 503, well inside Stripe's
 * own timeout, and Stripe delivers it again.
 */
const ANSWER_WITHIN_MS = 10_000;
/** A delivery with less than this left is answered 503 before its write, not given a hopeless one. */
const WRITE_AT_LEAST_MS = 2_000;

/** The inbox row for an event: what a delivery stores, and what the reconciler stores for a missed one. */
export function inboxRow(event: Stripe.Event, raw: string, now: Date): WebhookEventDoc {
  const object = event.data.object as unknown as { id?: string; object?: string; customer?: string | { id: string } | null };
  return {
    _id: event.id,
    type: event.type,
    customerId: customerOf(object),
    objectId: typeof object.id === 'string' ? object.id : null,
    livemode: event.livemode,
    payload: raw,
    created: new Date(event.created * 1000),
    ...waiting(now),
  };
}

/** A row just received: waiting for its first try. */
function waiting(now: Date) {
  return {
    receivedAt: now,
    duplicates: 0,
    status: 'pending' as const,
    attempts: 0,
    nextAttemptAt: now,
    lockedUntil: null,
    lastError: null,
    processedAt: null,
  };
}

/**
 * The inbox row for a v2 thin event notification: only its id, type and related object. Its data
 * is read from Stripe by the worker's handler for the type, off the request.
 */
export function notificationRow(
  n: { id: string; type: string; created: string; livemode: boolean; related_object?: object | null },
  raw: string,
  now: Date,
): WebhookEventDoc {
  const created = Date.parse(n.created);
  const related = n.related_object as { id?: unknown } | null | undefined;
  return {
    _id: n.id,
    type: n.type,
    customerId: null,
    objectId: typeof related?.id === 'string' ? related.id : null,
    livemode: n.livemode,
    payload: raw,
    created: Number.isNaN(created) ? now : new Date(created),
    ...waiting(now),
  };
}

export async function recordEvent(deps: AppDeps, event: Stripe.Event, raw: string): Promise<RecordResult> {
  return recordRow(deps, inboxRow(event, raw, new Date()));
}

/**
 * Stores an inbox row and queues it; a second delivery of its event is recorded as a duplicate.
 * Resolves once both are written (the delivery may then be acknowledged).
 */
export function recordRow(deps: AppDeps, row: WebhookEventDoc): Promise<RecordResult> {
  let writer = writers.get(deps.db.c.webhookEvents);
  if (!writer) {
    writer = new InboxWriter(deps);
    writers.set(deps.db.c.webhookEvents, writer);
  }
  return writer.add(row);
}

/** The most rows one write takes: a burst's deliveries go in writes of at most this many. */
const BATCH_MAX = 500;

const writers = new WeakMap<object, InboxWriter>();

/**
 * Deliveries that arrive together are stored together. A delivery arriving while no write is in
 * flight is written at once; those arriving during a write go in the next one: one `insertMany` to
 * the inbox and one to the queue for all of them. A burst then costs the database two writes per
 * batch instead of two per event (each write a transaction, which SQLite takes one at a time on
 * FerretDB). Each delivery learns its own row's outcome: stored, a duplicate, or an error.
 */
class InboxWriter {
  private waiting: {
    row: WebhookEventDoc;
    deadline: number;
    resolve: (r: RecordResult) => void;
    reject: (err: unknown) => void;
  }[] = [];
  private writing = false;

  constructor(private readonly deps: AppDeps) {}

  add(row: WebhookEventDoc): Promise<RecordResult> {
    const deadline = Date.now() + ANSWER_WITHIN_MS;
    const result = new Promise<RecordResult>((resolve, reject) => this.waiting.push({ row, deadline, resolve, reject }));
    if (!this.writing) void this.drain();
    return result;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length) {
        const now = Date.now();
        const batch: typeof this.waiting = [];
        for (const b of this.waiting.splice(0, BATCH_MAX)) {
          if (b.deadline - now >= WRITE_AT_LEAST_MS) batch.push(b);
          else b.reject(new Error(`event ${b.row._id} waited ${ANSWER_WITHIN_MS} ms for the database`));
        }
        if (!batch.length) continue;
        // Taken in arrival order: the first has the least time left.
        const deadline = batch[0]!.deadline;
        const outcomes = await this.write(
          batch.map((b) => b.row),
          deadline,
        ).catch((error: unknown) => batch.map(() => ({ error })));
        for (const [i, b] of batch.entries()) {
          const outcome = outcomes[i]!;
          if (outcome === 'stored') b.resolve('new');
          else if (outcome === 'duplicate') recordDuplicate(this.deps, b.row).then(b.resolve, b.reject);
          else b.reject(outcome.error);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Writes the rows and says, for each in order, whether it was stored, a duplicate, or why not. */
  private async write(rows: WebhookEventDoc[], deadline: number): Promise<('stored' | 'duplicate' | { error: unknown })[]> {
    const { c } = this.deps.db;
    const timeoutMS = () => Math.max(1, deadline - Date.now());
    let refused = new Map<number, boolean>();
    let refusal: unknown = null;
    try {
      await c.webhookEvents.insertMany(rows, { ordered: false, timeoutMS: timeoutMS() });
    } catch (err) {
      refusal = err;
      const named = refusedRows(err);
      // A failure of the whole write: none of them is known to be stored, so each is answered 503
      // and Stripe delivers it again (a row stored after all is then a duplicate).
      if (!named) return rows.map(() => ({ error: err }));
      refused = new Map(named.map((r) => [r.index, r.duplicate]));
    }
    try {
      await enqueue(
        this.deps,
        rows.filter((_, i) => !refused.has(i)),
        { timeoutMS: timeoutMS() },
      );
    } catch (err) {
      // Stored but not queued: answered 503, and the next delivery (a duplicate) queues it.
      return rows.map((_, i) => (refused.get(i) === true ? 'duplicate' : { error: err }));
    }
    return rows.map((row, i) => {
      if (!refused.has(i)) return 'stored';
      return refused.get(i) ? 'duplicate' : { error: new Error(`the inbox refused event ${row._id}`, { cause: refusal }) };
    });
  }
}

/** A second delivery of a stored event: counted, and queued again unless it is done. */
async function recordDuplicate(deps: AppDeps, row: WebhookEventDoc): Promise<RecordResult> {
  // A row of its own per duplicate: the worker owns the inbox row's updates, and a concurrent $inc
  // here could overwrite the worker's status change (src/db/writes.ts).
  await deps.db.c.webhookDuplicates.insertOne({ _id: randomUUID(), eventId: row._id, receivedAt: new Date() });
  // An earlier delivery stored the event but may have failed before queueing it (and was then
  // answered 503).
  await requeueIfOpen(deps, row._id);
  return 'duplicate';
}

/**
 * Queues a stored event again unless it is done (processed or parked), as its inbox row stands.
 * A stray queue row is harmless: the worker drops it once it sees the event done.
 */
export async function requeueIfOpen(deps: AppDeps, eventId: string): Promise<void> {
  const stored = await deps.db.c.webhookEvents.findOne({ _id: eventId }, { projection: { payload: 0 } });
  if (stored && (stored.status === 'pending' || stored.status === 'processing')) await enqueue(deps, [stored]);
}

/** What of an inbox row its queue row copies. */
export type Queueable = Pick<
  WebhookEventDoc,
  '_id' | 'type' | 'customerId' | 'objectId' | 'created' | 'attempts' | 'replayedFromAttempt' | 'nextAttemptAt'
>;

/** The queue row that puts an inbox row in front of the worker. */
export function queueRow(row: Queueable, now = new Date()): WebhookQueueDoc {
  return {
    _id: row._id,
    type: row.type,
    customerId: row.customerId,
    objectId: row.objectId,
    created: row.created,
    attempts: row.attempts,
    ...(row.replayedFromAttempt !== undefined ? { replayedFromAttempt: row.replayedFromAttempt } : {}),
    at: row.nextAttemptAt,
    queuedAt: now,
  };
}

/**
 * Puts inbox rows in the work queue; rows already queued stay as they are. Called after the inbox
 * rows are stored, so a crash in between leaves a row stored but unqueued, which the next delivery
 * of the event, or the worker's sweep, queues.
 */
export async function enqueue(deps: AppDeps, rows: Queueable[], opts: { timeoutMS?: number } = {}): Promise<void> {
  if (!rows.length) return;
  const now = new Date();
  try {
    await deps.db.c.webhookQueue.insertMany(
      rows.map((r) => queueRow(r, now)),
      { ordered: false, ...opts },
    );
  } catch (err) {
    const refused = refusedRows(err);
    if (!refused?.every((r) => r.duplicate)) throw err;
  }
}

/** The customer an event's object belongs to: the object itself, or its `customer` field. */
export function customerOf(object: { id?: string; object?: string; customer?: string | { id: string } | null }): string | null {
  if (object.object === 'customer' && typeof object.id === 'string') return object.id;
  const c = object.customer;
  if (typeof c === 'string') return c;
  if (c && typeof c === 'object' && typeof c.id === 'string') return c.id;
  return null;
}
