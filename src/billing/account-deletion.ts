// Deleting an account cancels its Stripe subscriptions first (immediately, so nothing renews),
// then leaves our mirror of them to no one. If Stripe cannot be reached the deletion stops with nothing
// removed, and the person can retry: we never delete an account that would go on being charged.
import type { AppDeps } from '../deps';
import { withStripeErrors } from './errors';
import { OPEN_STATUSES } from './status';
import { syncCustomer } from './sync';
import { removeSubscriberAccount } from './figures/subscriber-rows';

export async function cancelBillingForDeletion(
  deps: AppDeps,
  user: { _id: string; email: string; stripeCustomerId?: string },
): Promise<void> {
  const customerId = user.stripeCustomerId;
  if (!customerId) return;
  if (!deps.stripe) {
    // A customer exists but this server cannot reach Stripe: refuse rather than orphan a paying subscription.
    const { AppError } = await import('../lib/errors');
    throw new AppError(
      'UNAVAILABLE',
      'Billing is unavailable, so your subscription cannot be cancelled right now. Please try again later.',
    );
  }
  const stripe = deps.stripe;
  // Re-read Stripe rather than trusting the mirror: a subscription created moments ago counts too.
  await syncCustomer(deps, customerId, { source: 'account.deletion' });
  const open = await deps.db.c.subscriptions.find({ customerId, status: { $in: [...OPEN_STATUSES] } }).toArray();
  for (const sub of open) {
    await withStripeErrors(() =>
      stripe.subscriptions.cancel(
        sub._id,
        { prorate: false },
        { idempotencyKey: `dropin-delete-account-${user._id}-${sub._id}` },
      ),
    );
  }
  await withStripeErrors(() =>
    stripe.customers.update(customerId, { metadata: { dropin_user_id: '', dropin_deleted_user: user._id } }),
  );
  // The mirror keeps the ended subscriptions as no one's, stamped as read now: a sync already in
  // flight (it read Stripe before the cancel, with the account still named) is older news than this
  // write and changes nothing, and the account no longer links to the customer for later ones.
  const now = new Date();
  await deps.db.c.users.updateOne({ _id: user._id }, { $unset: { stripeCustomerId: '' } });
  await Promise.all([
    deps.db.c.subscriptions.updateMany({ customerId }, { $set: { userId: null, fetchedAt: now } }),
    deps.db.c.billingCustomers.updateOne({ _id: customerId }, { $set: { userId: null, fetchedAt: now } }),
  ]);
  // The admin's subscriber list forgets the account: its rows and the address that finds them.
  const mirrored = await deps.db.c.subscriptions.find({ customerId }, { projection: { _id: 1 } }).toArray();
  await removeSubscriberAccount(deps, { email: user.email, subscriptionIds: mirrored.map((s) => s._id) });
}

/**
 * After the user row is gone: a webhook synced while the deletion ran may have mirrored the ended
 * subscription again, and listed it for the admin, under the user it could still read. Such mirror
 * rows now belong to no one, and the list forgets them; later syncs find no user.
 */
export async function detachBillingAfterDeletion(deps: AppDeps, user: { _id: string; email: string }): Promise<void> {
  await deps.db.c.subscriptions.updateMany({ userId: user._id }, { $set: { userId: null } });
  const listed = await deps.db.c.adminSubscribers.find({ userId: user._id }, { projection: { _id: 1 } }).toArray();
  if (listed.length > 0) await removeSubscriberAccount(deps, { email: user.email, subscriptionIds: listed.map((r) => r._id) });
}
