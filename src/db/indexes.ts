// Indexes ensured at startup. Uniqueness is how we stay correct without multi-document
// transactions (FerretDB 1.24 has none), so the unique ones here are load-bearing everywhere.
//
// The others serve queries, and only MongoDB uses them: FerretDB 1.24's SQLite backend pushes no
// filter but `_id` equality down to SQLite (backends/sqlite/collection.go), so a secondary index
// there is never read, while every insert and update pays for it (it re-parses the document's JSON
// for each indexed field: an insert into usage_events cost 383 µs of FerretDB CPU with its one
// secondary index and 270 µs without). On FerretDB we keep the unique indexes only and drop the
// others a database made earlier still has (docs/decisions/008).
//
// No TTL indexes: FerretDB 1.24 has none, so expired rows are deleted by the server's housekeeping
// job (startHousekeeping) on every database.
import type { Collection, CreateIndexesOptions, IndexSpecification } from 'mongodb';
import type { Collections } from './collections';

/** What index upkeep needs of a collection, whatever its document type. */
type Indexed = Pick<Collection, 'createIndex' | 'listIndexes' | 'dropIndex'>;
type IndexDef = [Indexed, IndexSpecification, CreateIndexesOptions & { name: string }];

function definitions(c: Collections): IndexDef[] {
  return [
    [c.users, { email: 1 }, { unique: true, name: 'email_unique' }],
    [c.users, { stripeCustomerId: 1 }, { name: 'stripe_customer' }],
    [c.sessions, { publicId: 1 }, { unique: true, name: 'public_id_unique' }],
    [c.sessions, { userId: 1 }, { name: 'user' }],
    [c.sessions, { expiresAt: 1 }, { name: 'expires' }],
    [c.emailCodes, { userId: 1, purpose: 1 }, { name: 'user_purpose' }],
    [c.emailCodes, { expiresAt: 1 }, { name: 'expires' }],
    [c.passwordResets, { userId: 1 }, { name: 'user' }],
    [c.passwordResets, { expiresAt: 1 }, { name: 'expires' }],
    [c.rateLimits, { expiresAt: 1 }, { name: 'expires' }],
    [c.rateLimits, { key: 1, expiresAt: 1 }, { name: 'key_expires' }],
    [c.oauthAccounts, { userId: 1 }, { name: 'user' }],
    [c.recoveryCodes, { userId: 1 }, { name: 'user' }],
    [c.pendingLogins, { expiresAt: 1 }, { name: 'expires' }],
    [c.rememberedDevices, { userId: 1 }, { name: 'user' }],
    [c.rememberedDevices, { expiresAt: 1 }, { name: 'expires' }],
    [c.sessionEvents, { at: 1 }, { name: 'at' }],
    [c.subscriptions, { userId: 1 }, { name: 'user' }],
    [c.subscriptions, { customerId: 1 }, { name: 'customer' }],
    [c.subscriptions, { status: 1 }, { name: 'status' }],
    [c.billingCustomers, { userId: 1 }, { name: 'user' }],
    [c.webhookEvents, { status: 1, nextAttemptAt: 1 }, { name: 'queue' }],
    [c.webhookEvents, { customerId: 1 }, { name: 'customer' }],
    [c.webhookEvents, { receivedAt: -1 }, { name: 'received' }],
    [c.webhookDuplicates, { eventId: 1 }, { name: 'event' }],
    [c.emailOutbox, { status: 1, createdAt: 1 }, { name: 'pending' }],
    [c.claims, { at: 1 }, { name: 'at' }],
    [c.reconcileRuns, { startedAt: -1 }, { name: 'started' }],
    [c.content, { published: 1, minPlan: 1 }, { name: 'published_plan' }],
    [c.adminAudit, { targetType: 1, targetId: 1, at: -1 }, { name: 'target_at' }],
    [c.usageEvents, { userId: 1, metric: 1, periodStart: 1 }, { name: 'user_metric_period' }],
    [c.meterOutbox, { status: 1, nextAttemptAt: 1 }, { name: 'queue' }],
    [c.meterOutbox, { userId: 1, periodStart: 1 }, { name: 'user_period' }],
    [c.apiKeys, { hash: 1 }, { unique: true, name: 'hash_unique' }],
    [c.apiKeys, { userId: 1 }, { name: 'user' }],
    [c.adminAudit, { userId: 1, at: -1 }, { name: 'user_at' }],
    [c.adminAudit, { at: -1 }, { name: 'at' }],
    [c.users, { name: 1 }, { name: 'name' }],
    [c.subscriptions, { created: -1 }, { name: 'created' }],
    [c.subscriptions, { planId: 1, status: 1 }, { name: 'plan_status' }],
    [c.subscriptions, { endedAt: -1 }, { name: 'ended' }],
    [c.subscriptions, { trialEnd: -1 }, { name: 'trial_end' }],
    [c.webhookEvents, { type: 1, receivedAt: -1 }, { name: 'type_received' }],
    // The admin's subscriber list: each sort, the filters before the sort, and word-prefix search.
    [c.adminSubscribers, { created: -1, _id: -1 }, { name: 'created' }],
    [c.adminSubscribers, { status: 1, created: -1 }, { name: 'status_created' }],
    [c.adminSubscribers, { planId: 1, status: 1, created: -1 }, { name: 'plan_status_created' }],
    [c.adminSubscribers, { cancelAtPeriodEnd: 1, created: -1 }, { name: 'cancelling_created' }],
    [c.adminSubscribers, { unitAmount: 1, _id: 1 }, { name: 'amount' }],
    [c.adminSubscribers, { currentPeriodEnd: 1, _id: 1 }, { name: 'period_end' }],
    [c.adminSubscribers, { planId: 1, _id: 1 }, { name: 'plan' }],
    [c.adminSubscribers, { words: 1, created: -1 }, { name: 'words_created' }],
    [c.adminMovements, { kind: 1, day: 1 }, { name: 'kind_day' }],
    [c.adminMovements, { kind: 1, month: 1 }, { name: 'kind_month' }],
    [c.adminRecoveries, { day: 1 }, { name: 'day' }],
  ];
}

export async function ensureIndexes(c: Collections, opts: { secondary: boolean }): Promise<void> {
  const defs = definitions(c);
  const wanted = opts.secondary ? defs : defs.filter(([, , o]) => o.unique);
  await Promise.all(wanted.map(([coll, keys, o]) => coll.createIndex(keys, o)));
  if (opts.secondary) return;
  const unused = defs.filter(([, , o]) => !o.unique);
  await Promise.all(
    [...new Set(unused.map(([coll]) => coll))].map(async (coll) => {
      const names = new Set(
        (
          await coll
            .listIndexes()
            .toArray()
            .catch(() => [])
        ).map((i) => i.name as string),
      );
      for (const [other, , o] of unused) if (other === coll && names.has(o.name)) await coll.dropIndex(o.name);
    }),
  );
}
