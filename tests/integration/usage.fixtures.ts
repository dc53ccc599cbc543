// Fixtures for the content, usage, API and meter suites: users with a session cookie, and billing
// mirror rows in any plan × status (the mirror is what entitlements read).
import type { Harness, Browser } from '../setup/harness';
import type { AppDeps, ServerDeps } from '../../src/deps';
import { createUser } from '../../src/auth/users';
import { newId } from '../../src/lib/ids';
import type { PlanId } from '../../src/billing/plans';

export async function userWithSession(deps: ServerDeps, name = 'Usage Tester') {
  const email = `usage-${newId()
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')}@example.test`;
  const user = await createUser(deps, { email, password: 'usage test password', name, emailVerified: true });
  const { cookie } = await deps.sessions.create(user._id, { ip: '127.0.0.1', userAgent: 'test' });
  const pair = cookie.split(';')[0] as string;
  return { id: user._id, email, cookie: pair };
}

/** A harness browser logged in as a new user. */
export async function loggedIn(h: Harness): Promise<{ id: string; email: string; b: Browser }> {
  const u = await userWithSession(h.deps);
  const b = h.browser({ ip: `10.1.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` });
  const [name, value] = u.cookie.split('=') as [string, string];
  b.cookies.set(name, value);
  return { id: u.id, email: u.email, b };
}

/** Writes a mirror row as syncCustomer would after Stripe reported this subscription. */
export async function mirrorSubscription(
  deps: AppDeps,
  userId: string,
  opts: { planId: PlanId; status: string; periodStart?: Date; periodEnd?: Date; customerId?: string },
): Promise<{ id: string; periodStart: Date; periodEnd: Date }> {
  const now = Date.now();
  const periodStart = opts.periodStart ?? new Date(Math.floor((now - 3 * 86_400_000) / 1000) * 1000);
  const periodEnd = opts.periodEnd ?? new Date(periodStart.getTime() + 30 * 86_400_000);
  const id = `sub_${newId().replace(/[^A-Za-z0-9]/g, '')}`;
  // Like syncCustomer: the user is linked to one customer, whose row lists its subscriptions.
  const user = await deps.db.c.users.findOne({ _id: userId }, { projection: { stripeCustomerId: 1 } });
  const customerId = opts.customerId ?? user?.stripeCustomerId ?? `cus_${newId().replace(/[^A-Za-z0-9]/g, '')}`;
  if (!user?.stripeCustomerId) await deps.db.c.users.updateOne({ _id: userId }, { $set: { stripeCustomerId: customerId } });
  const customer = await deps.db.c.billingCustomers.findOne({ _id: customerId });
  await deps.db.c.billingCustomers.updateOne(
    { _id: customerId },
    {
      $set: {
        userId,
        email: null,
        deleted: false,
        defaultPaymentMethod: null,
        subscriptionIds: [...(customer?.subscriptionIds ?? []), id],
        fetchedAt: new Date(),
        syncedAt: new Date(),
      },
    },
    { upsert: true },
  );
  await deps.db.c.subscriptions.insertOne({
    _id: id,
    userId,
    customerId,
    status: opts.status,
    planId: opts.planId,
    priceId: 'price_test',
    lookupKey: `dropin_${opts.planId}_monthly`,
    interval: 'month',
    unitAmount: 1200,
    currency: 'usd',
    quantity: 1,
    itemId: 'si_test',
    currentPeriodStart: periodStart,
    currentPeriodEnd: periodEnd,
    trialStart: null,
    trialEnd: null,
    cancelAtPeriodEnd: false,
    cancelAt: null,
    canceledAt: null,
    endedAt: opts.status === 'canceled' ? new Date() : null,
    cancellationFeedback: null,
    defaultPaymentMethod: null,
    latestInvoice: null,
    created: new Date(),
    fetchedAt: new Date(),
    syncedAt: new Date(),
  });
  return { id, periodStart, periodEnd };
}
