// One Stripe customer per user, created lazily the first time billing needs it. The idempotency
// key is the user id, so two concurrent first checkouts create one customer; the user id also goes
// into the customer's metadata, which is how syncCustomer and the reconciler find the user again.
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { withStripeErrors } from './errors';
import { requireStripe } from './sync';

export async function ensureCustomer(deps: AppDeps, userId: string): Promise<string> {
  const { users } = deps.db.c;
  const user = await users.findOne({ _id: userId }, { projection: { email: 1, name: 1, stripeCustomerId: 1 } });
  if (!user) throw new AppError('NOT_FOUND', 'Account not found.');
  if (user.stripeCustomerId) return user.stripeCustomerId;
  const stripe = requireStripe(deps);
  const customer = await withStripeErrors(() =>
    stripe.customers.create(
      { email: user.email, ...(user.name ? { name: user.name } : {}), metadata: { dropin_user_id: userId } },
      { idempotencyKey: `dropin-customer-${userId}` },
    ),
  );
  await users.updateOne({ _id: userId, stripeCustomerId: { $exists: false } }, { $set: { stripeCustomerId: customer.id } });
  const stored = await users.findOne({ _id: userId }, { projection: { stripeCustomerId: 1 } });
  return stored?.stripeCustomerId ?? customer.id;
}

export async function customerIdOf(deps: AppDeps, userId: string): Promise<string | null> {
  const user = await deps.db.c.users.findOne({ _id: userId }, { projection: { stripeCustomerId: 1 } });
  return user?.stripeCustomerId ?? null;
}
