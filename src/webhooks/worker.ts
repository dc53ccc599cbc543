// Processes inbox rows off the request path. The due events of one customer are merged into one
// sync (the sync reads Stripe's current state, so one read answers them all) and their effects are
// applied oldest first; different customers are worked on in parallel, a bounded number at a time.
// Each event's attempt is claimed by an exact insert, so any number of server processes can run a
// worker and each event is worked on by one at a time; a crashed worker's lease expires and another
// picks the row up. Failures retry with exponential backoff; after MAX_ATTEMPTS the row is parked
// with its error for admins (and the reconciler).
import type { AppDeps } from '../deps';
import type { WebhookEventDoc } from '../db/collections';
import { syncCustomer } from '../billing/sync';
import { claim } from '../db/claims';

export const MAX_ATTEMPTS = 8;
const LEASE_MS = 60_000;
/** Customers synced at once: each sync is two Stripe reads and a few writes. */
const CUSTOMERS_AT_ONCE = 4;

export interface WebhookWorker {
  /** Look for work now (called right after an event is recorded). */
  kick(): void;
  /** Resolves when no claimable row is left (tests). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function backoffMs(attempts: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

export function startWebhookWorker(
  deps: AppDeps,
  opts: { pollMs?: number; backoff?: (attempts: number) => number } = {},
): WebhookWorker {
  const pollMs = opts.pollMs ?? 1_000;
  const backoff = opts.backoff ?? backoffMs;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const runOnce = async () => {
    for (;;) {
      if (stopped) return;
      // One queue query per batch: without an index behind it each query may read the whole
      // inbox, so claiming one row per query would make a backlog quadratic.
      const due = await dueRows(deps);
      if (!due.length) return;
      let claimedAny = false;
      await inParallel(groupByCustomer(due), CUSTOMERS_AT_ONCE, async (group) => {
        const rows: WebhookEventDoc[] = [];
        for (const candidate of group) {
          if (stopped) break;
          const row = await claimRow(deps, candidate);
          if (row) rows.push(row);
        }
        if (!rows.length) return;
        claimedAny = true;
        await processRows(deps, rows, backoff);
      });
      if (!claimedAny) return;
    }
  };

  const kick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = runOnce()
      .catch((err) => deps.log.warn({ err }, 'webhook worker pass failed (will retry)'))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          kick();
        }
      });
  };

  const timer = setInterval(kick, pollMs);
  timer.unref();
  kick();

  return {
    kick,
    async drain(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (running) await running;
        const waiting = await deps.db.c.webhookEvents.countDocuments({
          status: { $in: ['pending', 'processing'] },
          nextAttemptAt: { $lte: new Date() },
        });
        if (!waiting && !running) return;
        kick();
        await new Promise((r) => setTimeout(r, 20));
      }
      const stuck = await deps.db.c.webhookEvents
        .find({ status: { $in: ['pending', 'processing'] }, nextAttemptAt: { $lte: new Date() } })
        .limit(5)
        .toArray();
      const detail = stuck.map(
        (r) =>
          `${r._id} ${r.type} ${r.status} attempts=${r.attempts} lockedUntil=${r.lockedUntil?.toISOString()} ${r.lastError ?? ''}`,
      );
      throw new Error(`webhook worker did not drain in time; waiting: ${detail.join(' | ')}`);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      // Finish the row in hand: its lease would otherwise hold it for a minute.
      if (running) await running;
    },
  };
}

const BATCH = 200;

/** Due rows by customer, each group oldest event first; rows without a customer stand alone. */
function groupByCustomer(rows: WebhookEventDoc[]): WebhookEventDoc[][] {
  const groups = new Map<string, WebhookEventDoc[]>();
  for (const row of rows) {
    const key = row.customerId ?? `event:${row._id}`;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  for (const group of groups.values()) group.sort((a, b) => a.created.getTime() - b.created.getTime());
  return [...groups.values()];
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

async function dueRows(deps: AppDeps): Promise<WebhookEventDoc[]> {
  return deps.db.c.webhookEvents
    .find({ status: { $in: ['pending', 'processing'] }, nextAttemptAt: { $lte: new Date() } })
    .sort({ nextAttemptAt: 1 })
    .limit(BATCH)
    .toArray();
}

/**
 * Claims one due row for this worker, or null when another worker has it. Each attempt of each event is claimed by inserting
 * `webhook:<event>#<attempt>`; only one insert can succeed, so two workers never run the same
 * attempt. A crashed worker's row stays `processing` until its lease passes; the next claim is for
 * the next attempt number, so it is claimable again.
 */
async function claimRow(deps: AppDeps, row: WebhookEventDoc): Promise<WebhookEventDoc | null> {
  const now = new Date();
  if (row.status === 'processing' && row.lockedUntil && row.lockedUntil > now) return null;
  const attempt = await claimAttempt(deps, row, now);
  if (attempt === null) return null;
  const lockedUntil = new Date(now.getTime() + LEASE_MS);
  await deps.db.c.webhookEvents.updateOne({ _id: row._id }, { $set: { status: 'processing', attempts: attempt, lockedUntil } });
  return { ...row, status: 'processing', attempts: attempt, lockedUntil };
}

/**
 * Claims the row's next attempt number. A claim whose holder never recorded it on the row (it
 * crashed between the two writes) blocks that number for good, so once such a claim is older than
 * a lease the next number is tried instead.
 */
async function claimAttempt(deps: AppDeps, row: WebhookEventDoc, now: Date): Promise<number | null> {
  const { c } = deps.db;
  for (let attempt = row.attempts + 1; attempt <= row.attempts + 5; attempt++) {
    const key = `webhook:${row._id}#${attempt}`;
    if (await claim(c, key)) return attempt;
    const held = await c.claims.findOne({ _id: key });
    if (held && held.at.getTime() > now.getTime() - LEASE_MS) return null;
  }
  return null;
}

/** Works one event (admin tools and tests); the worker passes all of a customer's due events at once. */
export async function processRow(
  deps: AppDeps,
  row: WebhookEventDoc,
  backoff: (attempts: number) => number = backoffMs,
): Promise<void> {
  await processRows(deps, [row], backoff);
}

/** Syncs the customer the rows name once, with every row as its cause; all succeed or all retry. */
async function processRows(deps: AppDeps, rows: WebhookEventDoc[], backoff: (attempts: number) => number): Promise<void> {
  const customerId = rows[0]!.customerId;
  const log = deps.log.child({ events: rows.map((r) => r._id), customerId });
  try {
    // The events only tell us *which* customer changed; the state comes from Stripe's API, and
    // everything that follows (emails, overage item, the failed-payments record) comes with the sync.
    if (customerId) {
      try {
        await syncCustomer(deps, customerId, { source: 'webhook', events: rows });
      } catch (err) {
        if (!(await customerGone(deps, customerId))) throw err;
      }
    }
    await deps.db.c.webhookEvents.updateMany(
      { _id: { $in: rows.map((r) => r._id) } },
      { $set: { status: 'processed', processedAt: new Date(), lockedUntil: null, lastError: null } },
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    for (const row of rows) {
      const park = row.attempts - (row.replayedFromAttempt ?? 0) >= MAX_ATTEMPTS;
      await deps.db.c.webhookEvents.updateOne(
        { _id: row._id },
        {
          $set: {
            status: park ? 'parked' : 'pending',
            lockedUntil: null,
            lastError: message.slice(0, 2_000),
            nextAttemptAt: new Date(Date.now() + backoff(row.attempts)),
          },
        },
      );
      if (park) log.error({ err, event: row._id, attempts: row.attempts }, 'webhook event parked after repeated failures');
      else log.warn({ err, event: row._id, attempts: row.attempts }, 'webhook event failed; will retry');
    }
  }
}

/** A customer Stripe does not know (never existed or was purged): nothing to mirror, nothing to retry. */
async function customerGone(deps: AppDeps, customerId: string): Promise<boolean> {
  if (!deps.stripe) return false;
  try {
    await deps.stripe.customers.retrieve(customerId);
    return false;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      deps.log.info({ customerId }, 'webhook names a customer Stripe does not know; nothing to sync');
      return true;
    }
    return false;
  }
}

/** Puts a parked (or failed) event back in the queue: admin "replay" and the reconciler use it. */
export async function requeueEvent(deps: AppDeps, eventId: string): Promise<boolean> {
  // Attempts keep counting up (claims are keyed by attempt number); the park threshold is
  // relative to where the replay starts.
  const row = await deps.db.c.webhookEvents.findOne({ _id: eventId });
  if (!row || row.status === 'processing') return false;
  await deps.db.c.webhookEvents.updateOne(
    { _id: eventId },
    { $set: { status: 'pending', nextAttemptAt: new Date(), lockedUntil: null, replayedFromAttempt: row.attempts } },
  );
  return true;
}
