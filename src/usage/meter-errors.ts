// Meter events Stripe accepted and then could not apply. Stripe validates a meter event's customer
// after answering, and reports what failed in a `v1.billing.meter.error_report_triggered` v2 event
// (delivered thin to an event destination: src/webhooks/route.ts). Each report is recorded for the
// admins (the subscriber page), the overage units it concerns are marked rejected, so the
// subscriber's reported count says what Stripe will really bill, and a unit whose account now has
// another Stripe customer is queued again for that customer under a new identifier (unless its
// time is too old for Stripe: then it is parked, and the record says so).
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import type { MeterErrorDoc, MeterOutboxDoc } from '../db/collections';
import { tooOldForStripe } from './meter';

type ErrorReport = Stripe.V2.Core.Events.V1BillingMeterErrorReportTriggeredEvent;

/**
 * Works a stored `v1.billing.meter.error_report_triggered` notification: reads the event from
 * Stripe and records it (the webhook worker's handler for the type; src/server.ts gives it).
 */
export async function handleMeterErrorNotification(deps: AppDeps, eventId: string): Promise<void> {
  if (!deps.stripe) throw new Error('Stripe is not configured');
  const event = await deps.stripe.v2.core.events.retrieve(eventId);
  if (event.type !== 'v1.billing.meter.error_report_triggered') throw new Error(`${eventId} is a ${event.type} event`);
  await recordMeterErrorReport(deps, event as ErrorReport);
}

/** Codes that concern every event for a customer, not only the sampled ones. */
const CUSTOMER_CODES = new Set(['meter_event_customer_not_found', 'meter_event_no_customer_defined']);

/** Slack around the report's window: our `sentAt` is written after Stripe received the event. */
const WINDOW_SLACK_MS = 60 * 60_000;

export async function recordMeterErrorReport(
  deps: AppDeps,
  event: ErrorReport,
): Promise<{ rejected: number; requeued: number; parked: number }> {
  const { c } = deps.db;
  const receivedAt = new Date();
  const validated = Date.parse(event.data.validation_start);
  const windowStart = Number.isNaN(validated) ? null : new Date(validated - WINDOW_SLACK_MS);
  let rejected = 0;
  let requeued = 0;
  let parked = 0;
  for (const type of event.data.reason.error_types) {
    for (const sample of type.sample_errors) {
      const identifier = sample.request.identifier;
      const row = (await c.meterOutbox.findOne({ _id: identifier })) ?? (await c.meterOutbox.findOne({ sendAs: identifier }));
      // Only a report about the unit's latest send moves it: an earlier send's was handled already.
      const current = row && (row.sendAs ?? row._id) === identifier;
      const outcome = current
        ? await rejectUnits(deps, { row, code: type.code, message: sample.error_message, windowStart })
        : { rejected: 0, requeued: 0, parked: 0 };
      rejected += outcome.rejected;
      requeued += outcome.requeued;
      parked += outcome.parked;
      const doc: MeterErrorDoc = {
        _id: `${event.id}:${identifier}`,
        eventId: event.id,
        identifier,
        meterId: event.related_object?.id ?? null,
        outboxId: row?._id ?? null,
        userId: row?.userId ?? null,
        customerId: row?.customerId ?? null,
        code: type.code,
        message: sample.error_message.slice(0, 500),
        errorCount: type.error_count,
        rejectedUnits: outcome.rejected,
        requeuedUnits: outcome.requeued,
        parkedUnits: outcome.parked,
        receivedAt,
      };
      // A redelivered report changes nothing: the first one's record stays.
      await c.meterErrors.updateOne({ _id: doc._id }, { $setOnInsert: doc }, { upsert: true });
    }
  }
  deps.log.warn(
    {
      event: event.id,
      errors: event.data.reason.error_count,
      summary: event.data.developer_message_summary,
      rejected,
      requeued,
      parked,
    },
    'Stripe could not apply meter events',
  );
  if (requeued) deps.caches.meter.kick?.();
  return { rejected, requeued, parked };
}

/**
 * Marks the units the error concerns rejected (for a customer-wide code, every unit for that
 * customer that Stripe validated in the report's window: sent since it began, or not yet marked
 * sent; units sent before were reported, or billed, already), then queues them again when their
 * account has another Stripe customer now. A unit too old for Stripe to accept is parked instead.
 */
async function rejectUnits(
  deps: AppDeps,
  opts: { row: MeterOutboxDoc; code: string; message: string; windowStart: Date | null },
): Promise<{ rejected: number; requeued: number; parked: number }> {
  const { c } = deps.db;
  const { row, code } = opts;
  // A unit still being sent counts too (the report can come before the sender marks it sent; the
  // sender then leaves it as it is here), as do units queued for the same unknown customer.
  const live = { $in: ['sent', 'pending'] as MeterOutboxDoc['status'][] };
  // Without a window (a report that names none), the sampled unit's period bounds it.
  const sentInWindow = opts.windowStart ? { sentAt: { $gte: opts.windowStart } } : { periodStart: row.periodStart };
  const filter = CUSTOMER_CODES.has(code)
    ? {
        customerId: row.customerId,
        userId: row.userId,
        $or: [{ _id: row._id, status: live }, { status: 'pending' as const }, { status: 'sent' as const, ...sentInWindow }],
      }
    : { _id: row._id, status: live };
  const units = await c.meterOutbox.find(filter, { projection: { _id: 1, attempts: 1, timestamp: 1 } }).toArray();
  if (!units.length) return { rejected: 0, requeued: 0, parked: 0 };
  await c.meterOutbox.updateMany(
    { _id: { $in: units.map((u) => u._id) }, status: live },
    { $set: { status: 'rejected', lastError: `${code}: ${opts.message}`.slice(0, 500) } },
  );
  const user = await c.users.findOne({ _id: row.userId }, { projection: { stripeCustomerId: 1 } });
  const current = user?.stripeCustomerId;
  if (!current || current === row.customerId) return { rejected: units.length, requeued: 0, parked: 0 };
  let requeued = 0;
  let parked = 0;
  for (const unit of units) {
    const tooOld = tooOldForStripe(unit.timestamp);
    if (tooOld) {
      await c.meterOutbox.updateOne({ _id: unit._id, status: 'rejected' }, { $set: { status: 'parked', lastError: tooOld } });
      parked++;
      continue;
    }
    await c.meterOutbox.updateOne(
      { _id: unit._id, status: 'rejected' },
      {
        $set: {
          status: 'pending',
          customerId: current,
          sendAs: `${unit._id}~${unit.attempts}`,
          nextAttemptAt: new Date(),
          sentAt: null,
        },
      },
    );
    requeued++;
  }
  return { rejected: units.length, requeued, parked };
}

/** The latest meter errors about an account, for the admin's subscriber page. */
export async function meterErrorsOf(
  deps: AppDeps,
  userId: string,
): Promise<
  {
    id: string;
    receivedAt: string;
    code: string;
    message: string;
    rejectedUnits: number;
    requeuedUnits: number;
    parkedUnits: number;
  }[]
> {
  const rows = await deps.db.c.meterErrors.find({ userId }).sort({ receivedAt: -1 }).limit(20).toArray();
  return rows.map((r) => ({
    id: r._id,
    receivedAt: r.receivedAt.toISOString(),
    code: r.code,
    message: r.message,
    rejectedUnits: r.rejectedUnits,
    requeuedUnits: r.requeuedUnits,
    parkedUnits: r.parkedUnits ?? 0,
  }));
}
