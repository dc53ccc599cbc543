// Processes inbox rows off the request path. The worker reads the work queue (`webhook_queue`, one
// small row per event still to do, in arrival order) a window at a time, with no filter, so a
// backlog costs each read only the rows it returns. The window's events are grouped by customer:
// one customer's events are merged into one sync (the sync reads Stripe's current state, so one read
// answers them all) and their effects are applied oldest first; a customer is worked on by one lane
// at a time, so a later event of theirs waits for the sync in hand; different customers are worked
// on in parallel, a bounded number at a time. Each event's attempt is claimed by an exact insert, so
// any number of server processes can run a worker and each event is worked on by one at a time; a
// crashed worker's claim expires and another picks the event up. Failures retry with exponential
// backoff; after MAX_ATTEMPTS the row is parked with its error for admins (and the reconciler).
import type { AppDeps } from '../deps';
import type { ClaimDoc, WebhookEventDoc, WebhookQueueDoc } from '../db/collections';
import { findByIds } from '../db/reads';
import type { EventRef } from '../billing/sync-result';
import { EVENTS_READ_FROM_PAYLOAD } from '../billing/effects';
import { syncCustomer } from '../billing/sync';
import { randomUUID } from 'node:crypto';
import { claim } from '../db/claims';
import { refusedRows } from '../db/errors';
import { THIN_EVENT_TYPES } from './event-types';
import { enqueue, queueRow, requeueIfOpen } from './inbox';

export const MAX_ATTEMPTS = 8;
const LEASE_MS = 60_000;
/** Customers synced at once: each sync is a few Stripe reads and a few writes. */
const CUSTOMERS_AT_ONCE = 8;
/**
 * Queue rows read at a time, besides those this worker knows it cannot take now. A burst's events
 * interleave customers, so a window that holds the whole backlog is what lets each customer's
 * events merge into one sync; queue rows are small (no payload), so 10,000 of them are one reply.
 */
const WINDOW = 10_000;
/**
 * Events that name no customer: nothing to sync, so they are simply marked done (or given to their
 * handler, one Stripe read each), in no order, so they go in small chunks that lanes take side by
 * side, each chunk named by its first event (a name no other chunk in the worker's hands has).
 */
const NO_CUSTOMER = '';
const NO_CUSTOMER_CHUNK = 25;
/**
 * A window's groups not yet taken are dropped after this long and the queue read again: another
 * process may have done them meanwhile, and past a claim's lease (LEASE_MS) this worker would take
 * such an event's next attempt and work it again.
 */
const READY_MS = 20_000;
/** An event another worker holds is looked at again after this long. */
const HELD_RECHECK_MS = 5_000;
/**
 * Inbox rows left unqueued (a crash between storing and queueing) are looked for this often, when
 * the queue holds nothing to do: the look reads the whole inbox, which would slow a backlog's drain.
 */
const SWEEP_MS = 5 * 60_000;

export interface WebhookWorker {
  /** Look for work now (called right after an event is recorded). */
  kick(): void;
  /** Resolves when no claimable row is left (tests). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Works one stored v2 thin event of a type, given its id (it reads the event from Stripe). Given by
 * the process that starts the worker: the handlers live above the billing layer (usage).
 */
export type ThinEventHandler = (deps: AppDeps, eventId: string) => Promise<void>;

const THIN = new Set<string>(THIN_EVENT_TYPES);

export function backoffMs(attempts: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

/** A customer's queued events (or one event naming no customer), oldest first. */
interface Group {
  key: string;
  rows: WebhookQueueDoc[];
}

export function startWebhookWorker(
  deps: AppDeps,
  opts: {
    pollMs?: number;
    backoff?: (attempts: number) => number;
    customersAtOnce?: number;
    /** How each v2 thin event type is worked on; one without a handler here is left to retry. */
    thinHandlers?: Partial<Record<(typeof THIN_EVENT_TYPES)[number], ThinEventHandler>>;
  } = {},
): WebhookWorker {
  const pollMs = opts.pollMs ?? 1_000;
  const backoff = opts.backoff ?? backoffMs;
  const lanesMax = opts.customersAtOnce ?? CUSTOMERS_AT_ONCE;
  const queue = deps.db.c.webhookQueue;
  let stopped = false;
  /** Groups from the last read, not yet taken by a lane, and when that read was made. */
  let ready: Group[] = [];
  let readAt = 0;
  /** Customers (group keys) a lane is working on, and the events in their hands. */
  const busy = new Set<string>();
  const inHand = new Set<string>();
  /** Events this worker cannot take now, and when to look again: held by another worker, or backing off. */
  const notNow = new Map<string, number>();
  let lanes = 0;
  let reading: Promise<boolean> | null = null;
  const running = new Set<Promise<void>>();
  let sweeping: Promise<void> | null = null;
  /** When the inbox was last looked through for unqueued rows (never yet: at the first idle moment). */
  let swept = 0;

  /** Reads the next window of the queue into `ready`; false when it holds nothing to do now. */
  const read = (): Promise<boolean> => {
    reading ??= (async () => {
      const now = Date.now();
      for (const [id, until] of notNow) if (until <= now) notNow.delete(id);
      // One reply (batch size = limit): the database closes the cursor at once instead of holding
      // it open across a hundred follow-up reads.
      const limit = WINDOW + inHand.size + notNow.size;
      const rows = await queue.find({}).limit(limit).batchSize(limit).toArray();
      readAt = Date.now();
      ready = groupByCustomer(
        rows.filter((r) => !inHand.has(r._id) && !notNow.has(r._id)),
        now,
        busy,
        notNow,
      );
      return ready.length > 0;
    })().finally(() => {
      reading = null;
    });
    return reading;
  };

  const lane = async () => {
    for (;;) {
      if (stopped) return;
      let group = takeGroup();
      if (!group) {
        if (!(await read())) {
          if (!stopped && Date.now() - swept >= SWEEP_MS) void sweep();
          return;
        }
        group = takeGroup();
        if (!group) continue;
      }
      for (const r of group.rows) inHand.add(r._id);
      try {
        await workGroup(group);
      } finally {
        busy.delete(group.key);
        for (const r of group.rows) inHand.delete(r._id);
      }
    }
  };

  const takeGroup = (): Group | null => {
    if (Date.now() - readAt > READY_MS) ready = [];
    const i = ready.findIndex((g) => !busy.has(g.key));
    if (i < 0) return null;
    const [group] = ready.splice(i, 1);
    busy.add(group!.key);
    return group!;
  };

  const workGroup = async (group: Group) => {
    const { rows, held } = await takeRows(deps, stopped ? [] : group.rows);
    const recheck = Date.now() + HELD_RECHECK_MS;
    for (const id of held) notNow.set(id, recheck);
    const synced = rows.filter((r) => !THIN.has(r.type));
    if (synced.length) await processRows(deps, synced, backoff);
    // Thin events name no customer: each is worked on by its handler, and succeeds or retries alone.
    for (const r of rows.filter((r) => THIN.has(r.type))) {
      const handler = opts.thinHandlers?.[r.type as (typeof THIN_EVENT_TYPES)[number]];
      await processRows(deps, [r], backoff, async (row) => {
        if (!handler) throw new Error(`no handler for ${row.type} in this worker`);
        await handler(deps, row._id);
      });
    }
  };

  const kick = () => {
    if (stopped) return;
    while (lanes < lanesMax) {
      lanes++;
      const p: Promise<void> = lane()
        .catch((err) => deps.log.warn({ err }, 'webhook worker lane failed (will retry)'))
        .finally(() => {
          lanes--;
          running.delete(p);
        });
      running.add(p);
    }
  };

  const sweep = (): Promise<void> => {
    if (stopped) return sweeping ?? Promise.resolve();
    if (!sweeping) swept = Date.now();
    sweeping ??= requeueStranded(deps)
      .then((n) => {
        if (n) kick();
      })
      .catch((err) => deps.log.warn({ err }, 'webhook queue sweep failed (will retry)'))
      .finally(() => {
        sweeping = null;
      });
    return sweeping;
  };
  const timer = setInterval(kick, pollMs);
  timer.unref();
  kick();

  return {
    kick,
    async drain(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      // The worker's first look for unqueued rows, if no idle moment made it yet (one per worker:
      // it reads the whole inbox); one in flight is waited for.
      await (swept === 0 ? sweep() : sweeping);
      while (Date.now() < deadline) {
        const due = await queue
          .find({ at: { $lte: new Date() } })
          .limit(1)
          .toArray();
        if (!due.length && !lanes) return;
        kick();
        await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, 20))]);
      }
      const stuck = await queue
        .find({ at: { $lte: new Date() } })
        .limit(5)
        .toArray();
      const detail = await Promise.all(
        stuck.map(async (q) => {
          const r = await deps.db.c.webhookEvents.findOne({ _id: q._id }, { projection: { payload: 0 } });
          return r
            ? `${r._id} ${r.type} ${r.status} attempts=${r.attempts} lockedUntil=${r.lockedUntil?.toISOString()} ${r.lastError ?? ''}`
            : `${q._id} (queued, not in the inbox)`;
        }),
      );
      throw new Error(`webhook worker did not drain in time; waiting: ${detail.join(' | ')}`);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      // Finish the rows in hand: their claims would otherwise hold them for a minute. A lane that
      // found nothing as it stopped may have started a sweep: it is waited for too.
      await Promise.all(running);
      await sweeping;
    },
  };
}

/**
 * The window's work by customer, each group oldest event first; events naming no customer go in
 * chunks, each event once it is due. A customer whose events are being worked on stays out (its
 * next events wait their turn); one with an event backing off is left out until one of its events
 * is due, and then the waiting ones come along, since one sync answers them all.
 */
function groupByCustomer(rows: WebhookQueueDoc[], now: number, busy: Set<string>, notNow: Map<string, number>): Group[] {
  const groups = new Map<string, WebhookQueueDoc[]>();
  for (const row of rows) {
    const key = row.customerId ?? NO_CUSTOMER;
    if (key !== NO_CUSTOMER && busy.has(key)) continue;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  const out: Group[] = [];
  for (const [key, rows] of groups) {
    // A customer's events go together once one is due; events naming no customer each when due.
    let group = rows;
    if (key === NO_CUSTOMER) {
      for (const r of rows) if (r.at.getTime() > now) notNow.set(r._id, r.at.getTime());
      group = rows.filter((r) => r.at.getTime() <= now);
      if (!group.length) continue;
    } else if (!group.some((r) => r.at.getTime() <= now)) {
      for (const r of group) notNow.set(r._id, r.at.getTime());
      continue;
    }
    // Stable: events created in the same second keep their arrival order.
    group.sort((a, b) => a.created.getTime() - b.created.getTime());
    if (key !== NO_CUSTOMER) out.push({ key, rows: group });
    else
      for (let i = 0; i < group.length; i += NO_CUSTOMER_CHUNK)
        out.push({ key: `${NO_CUSTOMER}#${group[i]!._id}`, rows: group.slice(i, i + NO_CUSTOMER_CHUNK) });
  }
  return out;
}

/** An event in a worker's hands: what the effects read of it, and the attempt it is on. */
type Work = EventRef & Pick<WebhookEventDoc, 'attempts' | 'replayedFromAttempt'>;

/**
 * Queued events claimed for this worker's next attempt of each. `held` lists the events another
 * worker has now. Only events whose payload the effects read have their inbox row read.
 */
async function takeRows(deps: AppDeps, queued: WebhookQueueDoc[]): Promise<{ rows: Work[]; held: string[] }> {
  const { c } = deps.db;
  const held: string[] = [];
  if (!queued.length) return { rows: [], held };
  // Every attempt of every event is claimed by inserting `webhook:<event>#<attempt>`: one insert
  // wins, so two workers never run the same attempt. All of a group's claims go in one command.
  const at = new Date();
  let refused = new Set<number>();
  try {
    await c.claims.insertMany(
      queued.map((q) => ({ _id: claimKey(q._id, q.attempts + 1), owner: claimOwner, at })),
      { ordered: false },
    );
  } catch (err) {
    const rows = refusedRows(err);
    if (!rows?.every((r) => r.duplicate)) throw err;
    refused = new Set(rows.map((r) => r.index));
  }
  const claimed: { q: WebhookQueueDoc; attempts: number }[] = [];
  for (const [i, q] of queued.entries()) {
    if (refused.has(i) && (await strayQueueRow(deps, q._id))) continue;
    const attempt = refused.has(i) ? await claimAttempt(deps, q, at) : q.attempts + 1;
    if (attempt === null) held.push(q._id);
    else claimed.push({ q, attempts: attempt });
  }
  const rows = await Promise.all(
    claimed.map(async ({ q, attempts }): Promise<Work | null> => {
      let payload = '';
      if (EVENTS_READ_FROM_PAYLOAD.has(q.type)) {
        const row = await c.webhookEvents.findOne({ _id: q._id }, { projection: { payload: 1 } });
        // Gone from the inbox (a queue row outliving its event): nothing to do.
        if (!row) {
          await c.webhookQueue.deleteOne({ _id: q._id });
          return null;
        }
        payload = row.payload;
      }
      const { _id, type, customerId, objectId, created, replayedFromAttempt } = q;
      return { _id, type, customerId, objectId, created, payload, attempts, replayedFromAttempt };
    }),
  );
  return { rows: rows.filter((r): r is Work => r !== null), held };
}

/**
 * Drops a queue row whose event is already done (processed or parked): a sweep that read the inbox
 * just before a worker finished the event queues it again. Asked only when an attempt's claim was
 * refused, which is how such a row shows itself.
 */
async function strayQueueRow(deps: AppDeps, eventId: string): Promise<boolean> {
  const { webhookEvents, webhookQueue } = deps.db.c;
  const done = (row: Pick<WebhookEventDoc, 'status'> | null) => !row || row.status === 'processed' || row.status === 'parked';
  if (!done(await webhookEvents.findOne({ _id: eventId }, { projection: { status: 1 } }))) return false;
  await webhookQueue.deleteOne({ _id: eventId });
  // A replay between the read and the delete set the event pending and queued it (requeueEvent
  // writes the status first): it is queued again as the replay left it.
  await requeueIfOpen(deps, eventId);
  return true;
}

const claimOwner = randomUUID();
const claimKey = (eventId: string, attempt: number) => `webhook:${eventId}#${attempt}`;

/**
 * Queues inbox rows still to be worked on that have no queue row: a process stopped between storing
 * an event and queueing it, or a database written before the queue existed. It reads the whole
 * inbox, so the worker runs it when it has nothing else to do, at most every few minutes (and
 * `drain` before its first); the event's next delivery queues it sooner.
 */
export async function requeueStranded(deps: AppDeps): Promise<number> {
  const { c } = deps.db;
  const queued = new Set((await c.webhookQueue.find({}, { projection: { _id: 1 } }).toArray()).map((q) => q._id));
  const open = await c.webhookEvents
    .find({ status: { $in: ['pending', 'processing'] } }, { projection: { payload: 0 } })
    .toArray();
  const missing = open.filter((r) => !queued.has(r._id));
  // A row stored after the queue was read is listed as missing though its delivery queued it:
  // queueing it again is refused as a duplicate, or, when the worker finished the event meanwhile,
  // makes a stray row the worker drops (strayQueueRow).
  for (let i = 0; i < missing.length; i += 500) await enqueue(deps, missing.slice(i, i + 500));
  return missing.length;
}

/**
 * Claims the row's next attempt number when the first try was refused. A claim whose holder never
 * recorded its attempt on the row (it crashed mid-attempt) blocks that number for good, so once
 * such a claim is older than a lease the next number is tried instead; a younger one means another
 * worker has the event now.
 */
async function claimAttempt(deps: AppDeps, row: Pick<WebhookEventDoc, '_id' | 'attempts'>, now: Date): Promise<number | null> {
  const { c } = deps.db;
  for (let attempt = row.attempts + 1; attempt <= row.attempts + CLAIM_TRIES; attempt++) {
    const key = claimKey(row._id, attempt);
    if (await claim(c, key)) return attempt;
    if (heldNow(await c.claims.findOne({ _id: key }), now)) return null;
  }
  return null;
}

/** Attempt numbers claimAttempt tries past the row's. */
const CLAIM_TRIES = 5;

/** A claim taken within a lease: its worker has the event now. */
const heldNow = (claim: ClaimDoc | null, now: Date) => !!claim && claim.at.getTime() > now.getTime() - LEASE_MS;

/**
 * Syncs the customer the rows name once, with every row as its cause (or, for a thin event, runs
 * `handle` on it); all succeed or all retry.
 */
async function processRows(
  deps: AppDeps,
  rows: Work[],
  backoff: (attempts: number) => number,
  handle?: (row: Work) => Promise<void>,
): Promise<void> {
  const customerId = rows[0]!.customerId;
  const log = deps.log.child({ events: rows.map((r) => r._id), customerId });
  try {
    if (handle) for (const row of rows) await handle(row);
    else if (rows.some((r) => THIN.has(r.type))) throw new Error('a thin event needs its handler');
    // The events only tell us *which* customer changed; the state comes from Stripe's API, and
    // everything that follows (emails, overage item, the failed-payments record) comes with the sync.
    if (customerId) await syncCustomer(deps, customerId, { source: 'webhook', events: rows });
    // One command per collection, one statement per row, each by bare _id (an `$in`, or a second
    // condition, would read the whole collection on FerretDB: src/db/reads.ts). The queue row goes
    // first: until the inbox row says processed, the claim this worker holds on the event refuses a
    // replay (requeueEvent), and a replay after that queues a row of its own.
    await deps.db.c.webhookQueue.bulkWrite(
      rows.map((r) => ({ deleteOne: { filter: { _id: r._id } } })),
      { ordered: false },
    );
    const processedAt = new Date();
    await deps.db.c.webhookEvents.bulkWrite(
      rows.map((r) => ({
        updateOne: {
          filter: { _id: r._id },
          update: {
            $set: { status: 'processed' as const, attempts: r.attempts, processedAt, lockedUntil: null, lastError: null },
          },
        },
      })),
      { ordered: false },
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    for (const row of rows) {
      const park = row.attempts - (row.replayedFromAttempt ?? 0) >= MAX_ATTEMPTS;
      const nextAttemptAt = new Date(Date.now() + backoff(row.attempts));
      // Out of the queue when parked; otherwise back at its end, due after the backoff. Queued
      // before the inbox row records the attempt, for the same reason as above.
      await deps.db.c.webhookQueue.deleteOne({ _id: row._id });
      if (!park) await enqueue(deps, [{ ...row, nextAttemptAt }]);
      await deps.db.c.webhookEvents.updateOne(
        { _id: row._id },
        {
          $set: {
            status: park ? 'parked' : 'pending',
            attempts: row.attempts,
            lockedUntil: null,
            lastError: message.slice(0, 2_000),
            nextAttemptAt,
          },
        },
      );
      if (park) log.error({ err, event: row._id, attempts: row.attempts }, 'webhook event parked after repeated failures');
      else log.warn({ err, event: row._id, attempts: row.attempts }, 'webhook event failed; will retry');
    }
  }
}

/**
 * Puts an event back in the queue, due now: admin "replay" and the reconciler (for parked events)
 * use it. False when there is no such event, or a worker is on it right now.
 */
export async function requeueEvent(deps: AppDeps, eventId: string): Promise<boolean> {
  const { c } = deps.db;
  // Attempts keep counting up (claims are keyed by attempt number); the park threshold is
  // relative to where the replay starts.
  const row = await c.webhookEvents.findOne({ _id: eventId }, { projection: { payload: 0 } });
  if (!row) return false;
  // A worker that has claimed one of the next attempts is working the event now: its outcome
  // would overwrite the replay's.
  const keys = Array.from({ length: CLAIM_TRIES }, (_, i) => claimKey(eventId, row.attempts + 1 + i));
  const now = new Date();
  if ((await findByIds(c.claims, keys)).some((held) => heldNow(held, now))) return false;
  const nextAttemptAt = new Date();
  await c.webhookEvents.updateOne(
    { _id: eventId },
    { $set: { status: 'pending', nextAttemptAt, lockedUntil: null, replayedFromAttempt: row.attempts } },
  );
  // Due now: a queue row left by a failed attempt (due after its backoff) is replaced.
  const queued = queueRow({ ...row, nextAttemptAt, replayedFromAttempt: row.attempts });
  await c.webhookQueue.replaceOne({ _id: eventId }, queued, { upsert: true });
  return true;
}
