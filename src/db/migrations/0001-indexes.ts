// The indexes DropIn started its ledger with: what every process used to ensure at startup.
// Unique ones everywhere; the others on MongoDB only (src/db/indexes.ts says why).
import { applyIndexes, type IndexDef } from '../indexes';
import type { Collections } from '../collections';
import type { Migration } from './step';

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
  ];
}

export const migration: Migration = {
  id: '0001-indexes',
  up: ({ c, ferretdb }) => applyIndexes({ defs: definitions(c), secondary: !ferretdb }),
};
