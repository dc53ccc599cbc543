// API overage → Stripe Billing Meter, through an outbox. Every unit past a paid plan's included
// calls becomes one meter_outbox row whose _id is its ordinal in the period
// (`meter:<user>:<periodStartMs>:<n>`), so however many processes fill the same period they cannot
// create a unit twice; the row's id is also the meter event's `identifier`, so a resend after a
// lost response is deduplicated by Stripe. A sender posts pending rows with retries and backoff: a
// Stripe outage delays reports, never loses or duplicates them (docs/decisions/007).
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import type { MeterOutboxDoc } from '../db/collections';
import { claim } from '../db/claims';
import { isDuplicateKey, refusedRows } from '../db/errors';
import { API_METER, plans, type PlanId } from '../billing/plans';
import { sumUnits } from './units';

/** Called on an overage unit: the sender fills this user's period on its next pass. */
export function noteOverage(deps: AppDeps, u: { userId: string; periodStart: Date }): void {
  const local = deps.caches.meter;
  local.dirty.set(`${u.userId}:${u.periodStart.getTime()}`, u);
  local.kick?.();
}

export function meterEventId(userId: string, periodStart: Date, ordinal: number): string {
  return `meter:${userId}:${periodStart.getTime()}:${ordinal}`;
}

/**
 * Makes the outbox hold exactly one row per overage unit of this user's period: units are counted
 * from usage_events; missing ordinals are inserted (a duplicate insert is refused, never doubled).
 */
export async function fillOverage(deps: AppDeps, u: { userId: string; periodStart: Date }, now = new Date()): Promise<number> {
  const { c } = deps.db;
  const q = { userId: u.userId, metric: 'api_call' as const, periodStart: u.periodStart };
  const last = await c.usageEvents.find(q).sort({ at: -1 }).limit(1).next();
  if (!last) return 0;
  const plan = plans[last.planId as PlanId];
  if (!plan?.limits.apiOverage) return 0;
  const total = await sumUnits(deps, q);
  const want = total - plan.limits.apiCallsIncluded;
  if (want <= 0) return 0;
  const have = await c.meterOutbox.countDocuments({ userId: u.userId, periodStart: u.periodStart });
  if (have >= want) return 0;
  const user = await c.users.findOne({ _id: u.userId }, { projection: { stripeCustomerId: 1 } });
  const customerId = user?.stripeCustomerId;
  if (!customerId) {
    deps.log.warn({ userId: u.userId }, 'overage without a Stripe customer; not reported');
    return 0;
  }
  const existing = new Set(
    (await c.meterOutbox.find({ userId: u.userId, periodStart: u.periodStart }, { projection: { ordinal: 1 } }).toArray()).map(
      (r) => r.ordinal,
    ),
  );
  // The event must fall inside the period Stripe bills it with.
  const timestamp = Math.floor(Math.min(now.getTime(), last.periodEnd.getTime() - 1000) / 1000);
  const rows: MeterOutboxDoc[] = [];
  for (let n = 1; n <= want; n++) {
    if (existing.has(n)) continue;
    rows.push({
      _id: meterEventId(u.userId, u.periodStart, n),
      userId: u.userId,
      customerId,
      periodStart: u.periodStart,
      ordinal: n,
      timestamp,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lastError: null,
      createdAt: now,
      sentAt: null,
    });
  }
  let inserted = 0;
  for (let i = 0; i < rows.length; i += 500) {
    try {
      const r = await c.meterOutbox.insertMany(rows.slice(i, i + 500), { ordered: false });
      inserted += r.insertedCount;
    } catch (err) {
      // Another filler got some of them first: those are refused by the unique _id.
      const e = err as { result?: { insertedCount?: number }; insertedCount?: number };
      // A batch that failed as a whole names no rows: not known to be duplicates, so it is an error.
      const refused = refusedRows(err);
      const dupOnly = refused ? refused.every((w) => w.duplicate) : isDuplicateKey(err);
      if (!dupOnly) throw err;
      inserted += e.insertedCount ?? e.result?.insertedCount ?? 0;
    }
  }
  return inserted;
}

/** Fills every period with calls past a paid plan's quota whose report may still be sent (35 days). */
export async function fillAllOverage(deps: AppDeps, now = new Date()): Promise<void> {
  const minIncluded = Math.min(
    ...Object.values(plans)
      .filter((p) => p.limits.apiOverage)
      .map((p) => p.limits.apiCallsIncluded),
  );
  const groups = await deps.db.c.usageEvents
    .aggregate<{ _id: { userId: string; periodStart: Date }; n: number }>([
      { $match: { metric: 'api_call', periodEnd: { $gte: new Date(now.getTime() - 35 * 86_400_000) } } },
      { $group: { _id: { userId: '$userId', periodStart: '$periodStart' }, n: { $sum: '$units' } } },
      { $match: { n: { $gt: minIncluded } } },
    ])
    .toArray();
  for (const g of groups) await fillOverage(deps, g._id, now);
}

/** Stripe refuses a meter event whose timestamp is more than 35 days old; a margin for the trip. */
const STRIPE_MAX_AGE_S = 35 * 86_400 - 600;

/** Why a unit can never be sent (its timestamp is older than Stripe accepts), or null while it can. */
export function tooOldForStripe(timestamp: number, now = new Date()): string | null {
  if (timestamp >= Math.floor(now.getTime() / 1000) - STRIPE_MAX_AGE_S) return null;
  return `not sent: its time (${new Date(timestamp * 1000).toISOString()}) is more than 35 days ago, older than Stripe accepts`;
}

const backoffMs = (attempts: number) => Math.min(60 * 60_000, 1000 * 2 ** Math.min(attempts, 12));

function isDuplicateIdentifier(err: unknown): boolean {
  const e = err as { type?: string; param?: string; raw?: { param?: string }; message?: string };
  return e.type === 'StripeInvalidRequestError' && (e.param === 'identifier' || e.raw?.param === 'identifier');
}

async function sendRow(deps: AppDeps, stripe: Stripe, row: MeterOutboxDoc): Promise<void> {
  const { c } = deps.db;
  const tooOld = tooOldForStripe(row.timestamp);
  if (tooOld) {
    // Stripe would refuse it on every try: parked, with the reason, for the admins.
    await c.meterOutbox.updateOne({ _id: row._id, status: 'pending' }, { $set: { status: 'parked', lastError: tooOld } });
    deps.log.warn({ id: row._id, timestamp: row.timestamp }, 'meter event too old for Stripe; parked');
    return;
  }
  const attempt = row.attempts + 1;
  // One sender per attempt across processes (an insert is exact where updates are not).
  if (!(await claim(c, `${row._id}#${attempt}`))) return;
  await c.meterOutbox.updateOne({ _id: row._id }, { $set: { attempts: attempt, nextAttemptAt: new Date(Date.now() + 60_000) } });
  try {
    await stripe.billing.meterEvents.create(
      {
        event_name: API_METER.eventName,
        payload: { stripe_customer_id: row.customerId, value: '1' },
        identifier: row.sendAs ?? row._id,
        timestamp: row.timestamp,
      },
      { idempotencyKey: row.sendAs ?? row._id },
    );
  } catch (err) {
    if (!isDuplicateIdentifier(err)) {
      const message = err instanceof Error ? err.message : String(err);
      await c.meterOutbox.updateOne(
        { _id: row._id },
        { $set: { lastError: message.slice(0, 500), nextAttemptAt: new Date(Date.now() + backoffMs(attempt)) } },
      );
      throw err;
    }
  }
  // Unless a meter error report about this very send came first (usage/meter-errors.ts).
  await c.meterOutbox.updateOne(
    { _id: row._id, status: 'pending', sendAs: row.sendAs ?? null },
    { $set: { status: 'sent', sentAt: new Date(), lastError: null } },
  );
}

/** One pass: fill the periods that went over, then send what is due. Returns rows sent. */
export async function flushMeter(deps: AppDeps, opts: { all?: boolean } = {}): Promise<{ sent: number; failed: number }> {
  const stripe = deps.stripe;
  if (!stripe) return { sent: 0, failed: 0 };
  if (opts.all) await fillAllOverage(deps);
  const { dirty } = deps.caches.meter;
  for (const [key, u] of [...dirty]) {
    dirty.delete(key);
    await fillOverage(deps, u).catch((err) => {
      dirty.set(key, u);
      deps.log.warn({ err, userId: u.userId }, 'overage fill failed');
    });
  }
  let sent = 0;
  let failed = 0;
  for (;;) {
    const due = await deps.db.c.meterOutbox
      .find({ status: 'pending', nextAttemptAt: { $lte: new Date() } })
      .limit(200)
      .toArray();
    if (!due.length) break;
    let progress = 0;
    const queue = [...due];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let row = queue.shift(); row; row = queue.shift()) {
          try {
            await sendRow(deps, stripe, row);
            sent++;
            progress++;
          } catch (err) {
            failed++;
            deps.log.warn({ err, id: row._id }, 'meter event not sent; will retry');
          }
        }
      }),
    );
    if (!progress) break;
  }
  return { sent, failed };
}

export interface MeterSender {
  kick(): void;
  stop(): Promise<void>;
}

/** Background sender: a pass every `intervalMs` and shortly after any overage unit. */
export function startMeterSender(deps: AppDeps, opts: { intervalMs?: number; sweepMs?: number } = {}): MeterSender {
  const intervalMs = opts.intervalMs ?? 5_000;
  const sweepMs = opts.sweepMs ?? 10 * 60_000;
  let running: Promise<void> | null = null;
  let stopped = false;
  let lastSweep = 0;
  let soon: NodeJS.Timeout | null = null;
  const pass = () => {
    if (stopped || running) return;
    const all = Date.now() - lastSweep > sweepMs;
    running = flushMeter(deps, { all })
      .then(() => {
        if (all) lastSweep = Date.now();
      })
      .catch((err) => deps.log.warn({ err }, 'meter sender pass failed'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(pass, intervalMs);
  timer.unref();
  const local = deps.caches.meter;
  local.kick = () => {
    if (soon || stopped) return;
    soon = setTimeout(() => {
      soon = null;
      pass();
    }, 250);
    soon.unref();
  };
  return {
    kick: () => local.kick?.(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (soon) clearTimeout(soon);
      local.kick = null;
      await running;
    },
  };
}
