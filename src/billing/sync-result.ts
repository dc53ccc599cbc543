// What a sync reports, and what started it: the contract between syncCustomer (billing/sync.ts),
// which mirrors Stripe, and applyBillingEffects (billing/effects.ts), which acts on the result.
import type { SubscriptionDoc, UserDoc, WebhookEventDoc } from '../db/collections';

export interface SubscriptionChange {
  subscriptionId: string;
  userId: string | null;
  before: SubscriptionDoc | null;
  after: SubscriptionDoc | null;
}

export interface SyncResult {
  customerId: string;
  userId: string | null;
  changes: SubscriptionChange[];
  /** True when a newer sync had already written this customer (our read was stale and dropped). */
  superseded: boolean;
  /**
   * The account `userId` names, as the sync read it, so the effects need not read it again; absent
   * when the result was made without reading it.
   */
  account?: Pick<UserDoc, 'email' | 'name'>;
  /** True when Stripe has no such customer: nothing was mirrored (syncCustomer). */
  customerGone?: boolean;
}

/** A stored webhook event, as much of it as the effects read. */
export type EventRef = Pick<WebhookEventDoc, '_id' | 'type' | 'customerId' | 'objectId' | 'payload' | 'created'>;

/**
 * What started a sync: the webhook events for the customer (one sync covers all of them, oldest
 * first), or an action named by its source. `invoiceId` names an invoice the action acted on (a
 * payment retry, a checkout's first invoice), so what Stripe says about it is acted on even when it
 * is no longer the subscription's latest.
 */
export type SyncCause =
  | { source: 'webhook'; events: EventRef[] }
  | {
      source: 'checkout' | 'user.action' | 'admin.action' | 'payment.retry' | 'reconciler' | 'account.deletion';
      key?: string;
      invoiceId?: string;
      /** A refund the action made, so the subscriber hears of it without waiting for its webhook. */
      refundId?: string;
    };

/** The distinct object ids of the events whose type `match` accepts, in their order. */
export function objectIdsOf(events: readonly EventRef[], match: (type: string) => boolean): string[] {
  return [...new Set(events.filter((e) => match(e.type) && e.objectId).map((e) => e.objectId as string))];
}
