// The webhook inbox: a verified event is stored under its event id before we answer Stripe, so a
// delivery we acknowledged is never lost, and a second delivery of the same event is recorded as a
// duplicate and never processed again.
import type Stripe from 'stripe';
import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../deps';
import type { WebhookEventDoc } from '../db/collections';
import { isDuplicateKey } from '../db/errors';

export type RecordResult = 'new' | 'duplicate';

/** Fail fast when the database is away, so Stripe gets its 503 well inside its own timeout. */
const INSERT_TIMEOUT_MS = 5_000;

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
    receivedAt: now,
    duplicates: 0,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    lockedUntil: null,
    lastError: null,
    processedAt: null,
  };
}

export async function recordEvent(deps: AppDeps, event: Stripe.Event, raw: string): Promise<RecordResult> {
  try {
    await deps.db.c.webhookEvents.insertOne(inboxRow(event, raw, new Date()), { timeoutMS: INSERT_TIMEOUT_MS });
    return 'new';
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    // A row of its own per duplicate: the worker owns the inbox row's updates, and a concurrent $inc
    // here could overwrite the worker's status change (src/db/writes.ts).
    await deps.db.c.webhookDuplicates.insertOne({ _id: randomUUID(), eventId: event.id, receivedAt: new Date() });
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
