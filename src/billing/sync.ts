// syncCustomer: the one convergent function that makes our mirror equal Stripe for a customer.
// Webhooks, user actions (right after they call Stripe) and the reconciler all call it. It reads
// everything from the API — never from an event payload — so it is safe to run any number of
// times, in any order, concurrently. It returns what changed so callers can act once per change.
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import type { SubscriptionDoc } from '../db/collections';
import { AppError } from '../lib/errors';
import { customerDoc, subscriptionDoc } from './mirror';
import { withStripeErrors } from './errors';

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
}

export function requireStripe(deps: AppDeps): Stripe {
  if (!deps.stripe) throw new AppError('UNAVAILABLE', 'Billing is not configured on this server.');
  return deps.stripe;
}

export async function syncCustomer(deps: AppDeps, customerId: string): Promise<SyncResult> {
  const stripe = requireStripe(deps);
  const { c } = deps.db;
  // Taken before reading Stripe: a row written by a sync that started later is never overwritten.
  const fetchedAt = new Date();
  const [customer, subscriptions] = await withStripeErrors(() =>
    Promise.all([
      stripe.customers.retrieve(customerId, { expand: ['invoice_settings.default_payment_method'] }),
      stripe.subscriptions
        .list({ customer: customerId, status: 'all', limit: 100, expand: ['data.default_payment_method', 'data.latest_invoice'] })
        .autoPagingToArray({ limit: 10_000 }),
    ]),
  );

  const userId = await resolveUserId(deps, customer);
  const cust = customerDoc(customer, { userId, fetchedAt });
  const custWritten = await writeIfNewer(c.billingCustomers, customerId, cust, fetchedAt);

  const changes: SubscriptionChange[] = [];
  let superseded = !custWritten;
  const seen = new Set<string>();
  for (const sub of subscriptions) {
    seen.add(sub.id);
    const doc = subscriptionDoc(sub, { userId, customerDefault: cust.defaultPaymentMethod, fetchedAt });
    const before = await c.subscriptions
      .findOneAndUpdate(
        { _id: sub.id, $or: [{ fetchedAt: { $lt: fetchedAt } }, { fetchedAt: { $exists: false } }] },
        { $set: doc },
        { upsert: true, returnDocument: 'before' },
      )
      .catch((err: unknown) => {
        // The filter did not match because a newer sync wrote the row; the upsert then collides.
        if (isDuplicateKey(err)) return 'stale' as const;
        throw err;
      });
    if (before === 'stale') {
      superseded = true;
      continue;
    }
    const after = { _id: sub.id, ...doc };
    if (!before || differs(before, after)) changes.push({ subscriptionId: sub.id, userId, before, after });
  }

  // Subscriptions Stripe no longer returns at all (deleted test data) leave the mirror.
  const stale = await c.subscriptions.find({ customerId, _id: { $nin: [...seen] }, fetchedAt: { $lt: fetchedAt } }).toArray();
  for (const row of stale) {
    const removed = await c.subscriptions.findOneAndDelete({ _id: row._id, fetchedAt: { $lt: fetchedAt } });
    if (removed) changes.push({ subscriptionId: row._id, userId: row.userId, before: removed, after: null });
  }
  return { customerId, userId, changes, superseded };
}

/** The user a customer belongs to: our link on the user first, then the customer's metadata. */
async function resolveUserId(deps: AppDeps, customer: Stripe.Customer | Stripe.DeletedCustomer): Promise<string | null> {
  const linked = await deps.db.c.users.findOne({ stripeCustomerId: customer.id }, { projection: { _id: 1 } });
  if (linked) return linked._id;
  const fromMetadata = customer.deleted ? null : customer.metadata?.dropin_user_id;
  if (!fromMetadata) return null;
  // Re-link a user whose link was lost (e.g. a crash between creating the customer and saving it).
  const res = await deps.db.c.users.updateOne(
    { _id: fromMetadata, $or: [{ stripeCustomerId: { $exists: false } }, { stripeCustomerId: customer.id }] },
    { $set: { stripeCustomerId: customer.id } },
  );
  return res.matchedCount ? fromMetadata : null;
}

async function writeIfNewer<T extends { fetchedAt: Date }>(
  coll: { updateOne(filter: object, update: object, opts: object): Promise<unknown> },
  id: string,
  doc: T,
  fetchedAt: Date,
): Promise<boolean> {
  try {
    await coll.updateOne(
      { _id: id, $or: [{ fetchedAt: { $lt: fetchedAt } }, { fetchedAt: { $exists: false } }] },
      { $set: doc },
      { upsert: true },
    );
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: number }).code === 11000;
}

const IGNORED = new Set(['fetchedAt', 'syncedAt']);

function differs(a: SubscriptionDoc, b: SubscriptionDoc): boolean {
  for (const key of Object.keys(b) as (keyof SubscriptionDoc)[]) {
    if (IGNORED.has(key)) continue;
    if (JSON.stringify(a[key] ?? null) !== JSON.stringify(b[key] ?? null)) return true;
  }
  return false;
}
