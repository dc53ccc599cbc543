// Indexes ensured at startup. Uniqueness is how we stay correct without multi-document
// transactions (FerretDB 1.24 has none), so the unique ones here are load-bearing.
import type { Collections } from './collections';

export async function ensureIndexes(c: Collections): Promise<void> {
  await Promise.all([
    c.users.createIndex({ email: 1 }, { unique: true, name: 'email_unique' }),
    c.users.createIndex({ stripeCustomerId: 1 }, { name: 'stripe_customer' }),
    c.sessions.createIndex({ publicId: 1 }, { unique: true, name: 'public_id_unique' }),
    c.sessions.createIndex({ userId: 1 }, { name: 'user' }),
    c.sessions.createIndex({ expiresAt: 1 }, { name: 'expires' }),
    c.emailCodes.createIndex({ userId: 1, purpose: 1 }, { name: 'user_purpose' }),
    c.emailCodes.createIndex({ expiresAt: 1 }, { name: 'expires' }),
    c.passwordResets.createIndex({ userId: 1 }, { name: 'user' }),
    c.passwordResets.createIndex({ expiresAt: 1 }, { name: 'expires' }),
    c.rateLimits.createIndex({ expiresAt: 1 }, { name: 'expires' }),
    c.rateLimits.createIndex({ key: 1, expiresAt: 1 }, { name: 'key_expires' }),
    c.oauthAccounts.createIndex({ userId: 1 }, { name: 'user' }),
    c.sessionEvents.createIndex({ at: 1 }, { name: 'at' }),
    c.subscriptions.createIndex({ userId: 1 }, { name: 'user' }),
    c.subscriptions.createIndex({ customerId: 1 }, { name: 'customer' }),
    c.subscriptions.createIndex({ status: 1 }, { name: 'status' }),
    c.billingCustomers.createIndex({ userId: 1 }, { name: 'user' }),
    c.webhookEvents.createIndex({ status: 1, nextAttemptAt: 1 }, { name: 'queue' }),
    c.webhookEvents.createIndex({ customerId: 1 }, { name: 'customer' }),
    c.webhookEvents.createIndex({ receivedAt: -1 }, { name: 'received' }),
    c.webhookDuplicates.createIndex({ eventId: 1 }, { name: 'event' }),
    c.emailOutbox.createIndex({ status: 1, createdAt: 1 }, { name: 'pending' }),
    c.claims.createIndex({ at: 1 }, { name: 'at' }),
    c.reconcileRuns.createIndex({ startedAt: -1 }, { name: 'started' }),
    c.content.createIndex({ published: 1, minPlan: 1 }, { name: 'published_plan' }),
    c.adminAudit.createIndex({ targetType: 1, targetId: 1, at: -1 }, { name: 'target_at' }),
    c.usageEvents.createIndex({ userId: 1, metric: 1, periodStart: 1 }, { name: 'user_metric_period' }),
    c.meterOutbox.createIndex({ status: 1, nextAttemptAt: 1 }, { name: 'queue' }),
    c.meterOutbox.createIndex({ userId: 1, periodStart: 1 }, { name: 'user_period' }),
    c.apiKeys.createIndex({ hash: 1 }, { unique: true, name: 'hash_unique' }),
    c.apiKeys.createIndex({ userId: 1 }, { name: 'user' }),
    // Admin: audit by subscriber and by time; subscriber list filters and sorts; event search.
    c.adminAudit.createIndex({ userId: 1, at: -1 }, { name: 'user_at' }),
    c.adminAudit.createIndex({ at: -1 }, { name: 'at' }),
    c.users.createIndex({ name: 1 }, { name: 'name' }),
    c.subscriptions.createIndex({ created: -1 }, { name: 'created' }),
    c.subscriptions.createIndex({ planId: 1, status: 1 }, { name: 'plan_status' }),
    c.subscriptions.createIndex({ endedAt: -1 }, { name: 'ended' }),
    c.subscriptions.createIndex({ trialEnd: -1 }, { name: 'trial_end' }),
    c.webhookEvents.createIndex({ type: 1, receivedAt: -1 }, { name: 'type_received' }),
  ]);
}
