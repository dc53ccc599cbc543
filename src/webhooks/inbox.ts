// The webhook inbox: a verified event is stored under its event id before we answer Stripe, so a
// delivery we acknowledged is never lost, and a second delivery of the same event is recorded as a
// duplicate and never processed again.
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';

export type RecordResult = 'new' | 'duplicate';

/** Fail fast when the database is away, so Stripe gets its 503 well inside its own timeout. */
const INSERT_TIMEOUT_MS = 5_000;

export async function recordEvent(deps: AppDeps, event: Stripe.Event, raw: string): Promise<RecordResult> {
  const now = new Date();
  const object = event.data.object as unknown as { id?: string; object?: string; customer?: string | { id: string } | null };
  try {
    await deps.db.c.webhookEvents.insertOne(
      {
        _id: event.id,
        type: event.type,
        customerId: customerOf(object),
        objectId: typeof object.id === 'string' ? object.id : null,
        livemode: event.livemode,
        payload: raw,
        created: new Date(event.created * 1000),
        receivedAt: now,
        duplicates: 0,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        lockedUntil: null,
        lastError: null,
        processedAt: null,
      },
      { timeoutMS: INSERT_TIMEOUT_MS },
    );
    return 'new';
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    await deps.db.c.webhookEvents.updateOne({ _id: event.id }, { $inc: { duplicates: 1 } });
    return 'duplicate';
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
