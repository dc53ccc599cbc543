// Reads of the mirror that billing actions and the dashboard share.
import type { AppDeps } from '../deps';
import type { SubscriptionDoc } from '../db/collections';
import { AppError } from '../lib/errors';
import { LIVE_STATUSES } from './mirror';

/** The user's current subscription: the newest one that has not ended. */
export async function currentSubscription(deps: AppDeps, userId: string): Promise<SubscriptionDoc | null> {
  const rows = await deps.db.c.subscriptions
    .find({ userId, status: { $in: [...LIVE_STATUSES] } })
    .sort({ created: -1 })
    .limit(1)
    .toArray();
  return rows[0] ?? null;
}

export async function requireSubscription(deps: AppDeps, userId: string): Promise<SubscriptionDoc> {
  const sub = await currentSubscription(deps, userId);
  if (!sub) throw new AppError('NOT_FOUND', 'You have no subscription to change. Choose a plan first.');
  return sub;
}

/** Whether the user ever had a subscription (trials are for first-time subscribers only). */
export async function hadSubscription(deps: AppDeps, userId: string): Promise<boolean> {
  return (await deps.db.c.subscriptions.countDocuments({ userId }, { limit: 1 })) > 0;
}
