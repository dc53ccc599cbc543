// Reads of the mirror that billing actions, entitlements and the dashboard share. They go
// user → customer → subscriptions by _id, the reads every database answers from an index
// (src/db/reads.ts).
import type { AppDeps } from '../deps';
import type { SubscriptionDoc } from '../db/collections';
import { findByIds } from '../db/reads';
import { AppError } from '../lib/errors';
import { isOpen } from './status';

/** Every mirrored subscription of the user's Stripe customer. */
async function subscriptionsOf(deps: AppDeps, userId: string): Promise<SubscriptionDoc[]> {
  const { c } = deps.db;
  const user = await c.users.findOne({ _id: userId }, { projection: { stripeCustomerId: 1 } });
  if (!user?.stripeCustomerId) return [];
  const customer = await c.billingCustomers.findOne({ _id: user.stripeCustomerId }, { projection: { subscriptionIds: 1 } });
  if (!customer) return [];
  if (!customer.subscriptionIds) return c.subscriptions.find({ customerId: user.stripeCustomerId }).toArray();
  const rows = await findByIds(c.subscriptions, customer.subscriptionIds);
  return rows.filter((r) => r.userId === userId);
}

/** The user's current subscription: the newest open one (not ended). */
export async function currentSubscription(deps: AppDeps, userId: string): Promise<SubscriptionDoc | null> {
  const open = (await subscriptionsOf(deps, userId)).filter((s) => isOpen(s.status));
  open.sort((a, b) => b.created.getTime() - a.created.getTime());
  return open[0] ?? null;
}

export async function requireSubscription(deps: AppDeps, userId: string): Promise<SubscriptionDoc> {
  const sub = await currentSubscription(deps, userId);
  if (!sub) throw new AppError('NOT_FOUND', 'You have no subscription to change. Choose a plan first.');
  return sub;
}

/** Whether the user ever had a subscription (trials are for first-time subscribers only). */
export async function hadSubscription(deps: AppDeps, userId: string): Promise<boolean> {
  return (await subscriptionsOf(deps, userId)).length > 0;
}
