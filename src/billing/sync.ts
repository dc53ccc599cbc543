// syncCustomer: the one convergent function that makes our mirror equal Stripe for a customer.
// Webhooks, user actions (right after they call Stripe) and the reconciler all call it. It reads
// everything from the API — never from an event payload — so it is safe to run any number of
// times, in any order, concurrently. What follows a change is applied by billing/effects.ts.
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import type { BillingCustomerDoc, UserDoc } from '../db/collections';
import { isDuplicateKey } from '../db/errors';
import { AppError } from '../lib/errors';
import { customerDoc, SCHEDULE_CODE_EXPAND, SCHEDULE_EXPAND, subscriptionDoc } from './mirror';
import { projectFailing } from './payment-failures';
import { ifMissing, withStripeErrors } from './errors';
import { applyBillingEffects } from './effects';
import { newId } from '../lib/ids';
import type { SubscriptionChange, SyncCause, SyncResult } from './sync-result';

export type { SubscriptionChange, SyncCause, SyncResult };

export function requireStripe(deps: AppDeps): Stripe {
  if (!deps.stripe) throw new AppError('UNAVAILABLE', 'Billing is not configured on this server.');
  return deps.stripe;
}

/**
 * Mirrors the customer from Stripe, then applies what follows from the changes (billing/effects.ts)
 * for `cause`. Callers never choose effects themselves. `opts.mirrored` names subscription rows
 * the caller found in the mirror for this customer (the reconciler's orphans), which leave the
 * mirror if Stripe no longer lists them, whether or not the customer's row knows them.
 *
 * A customer Stripe has no record of (an event naming one that never existed, or test data
 * deleted) is done with: nothing is mirrored and nothing follows. Its rows stay, unless the caller
 * names them and says the account is the mirror's (`opts.purge`: the reconciler, which found other
 * subscriptions of the mirror in it); a wrong API key would otherwise empty the mirror.
 */
export async function syncCustomer(
  deps: AppDeps,
  customerId: string,
  cause: SyncCause,
  opts: { mirrored?: string[]; purge?: boolean } = {},
): Promise<SyncResult> {
  const result = await mirrorCustomer(deps, customerId, opts.mirrored ?? [], opts.purge ?? false);
  if (result.customerGone && !result.changes.length) return result;
  await applyEffects(deps, result, cause);
  return result;
}

/**
 * Applies what follows a sync, so that it survives a failure midway. A result with changes is
 * stored before its effects run and removed once they all ran; what an earlier sync of the customer
 * left unfinished runs first. A result without changes needs no record: its effects come from its
 * cause (events, a named invoice), which is retried with it.
 */
async function applyEffects(deps: AppDeps, result: SyncResult, cause: SyncCause): Promise<void> {
  const pending = deps.db.c.pendingEffects;
  const unfinished = await pending.find({ customerId: result.customerId }).sort({ at: 1 }).toArray();
  for (const row of unfinished) {
    await applyBillingEffects(deps, row.result as SyncResult, row.cause as SyncCause);
    await pending.deleteOne({ _id: row._id });
  }
  if (!result.changes.length) {
    await applyBillingEffects(deps, result, cause);
    return;
  }
  const id = newId();
  await pending.insertOne({ _id: id, customerId: result.customerId, at: new Date(), result, cause });
  await applyBillingEffects(deps, result, cause);
  await pending.deleteOne({ _id: id });
}

async function mirrorCustomer(deps: AppDeps, customerId: string, mirrored: string[], purge: boolean): Promise<SyncResult> {
  const stripe = requireStripe(deps);
  const { c } = deps.db;
  // Taken before reading Stripe: a row written by a sync that started later is never overwritten.
  const fetchedAt = new Date();
  const [customer, subscriptions] = await withStripeErrors(() =>
    Promise.all([
      stripe.customers.retrieve(customerId, { expand: ['invoice_settings.default_payment_method'] }).catch(ifMissing(null)),
      stripe.subscriptions
        .list({
          customer: customerId,
          status: 'all',
          limit: 100,
          expand: [
            'data.default_payment_method',
            'data.latest_invoice',
            `data.${SCHEDULE_EXPAND}`,
            `data.${SCHEDULE_CODE_EXPAND}`,
          ],
        })
        .autoPagingToArray({ limit: 10_000 })
        .catch(ifMissing(null)),
    ]),
  );
  // Every read and write below is by _id, the one filter every database we run on answers without
  // a query over other fields (src/db/reads.ts).
  const previous = await c.billingCustomers.findOne({ _id: customerId });
  if (!customer) {
    const changes = purge ? await removeUnlisted(deps, customerId, mirrored, new Set(), fetchedAt) : [];
    return { customerId, userId: previous?.userId ?? null, changes, superseded: false, customerGone: true };
  }
  if (!subscriptions) throw new AppError('UNAVAILABLE', `Stripe listed no subscriptions for ${customerId}, a customer it has.`);

  const { userId, account } = await resolveUserId(deps, customer);
  const seen = subscriptions.map((sub) => sub.id);
  const cust = { ...customerDoc(customer, { userId, fetchedAt }), subscriptionIds: seen };
  let superseded = false;
  if (previous && previous.fetchedAt >= fetchedAt) superseded = true;
  else if (previous && !differs(previous, { _id: customerId, ...cust })) {
    // Nothing but the read times would change: no write. Writes are what a sync costs the
    // database (each one a transaction, which SQLite takes one at a time on FerretDB), and most
    // syncs a burst of events starts find the customer as it was.
  } else {
    try {
      await c.billingCustomers.updateOne({ _id: customerId }, { $set: cust }, { upsert: true });
    } catch (err) {
      // Two first syncs raced to create the row; the other one made it, so write over it by id.
      if (!isDuplicateKey(err)) throw err;
      await c.billingCustomers.updateOne({ _id: customerId }, { $set: cust });
    }
  }

  const changes: SubscriptionChange[] = [];
  for (const sub of subscriptions) {
    const doc = subscriptionDoc(sub, { userId, customerDefault: cust.defaultPaymentMethod, fetchedAt });
    const before = await c.subscriptions.findOne({ _id: sub.id });
    // A sync that started later already wrote this row: ours is older news.
    if (before && before.fetchedAt >= fetchedAt) {
      superseded = true;
      continue;
    }
    if (before) {
      await c.subscriptions.updateOne({ _id: sub.id }, { $set: doc });
    } else {
      try {
        await c.subscriptions.insertOne({ _id: sub.id, ...doc });
      } catch (err) {
        // Another sync inserted it first; its row is at least as new as ours.
        if (!isDuplicateKey(err)) throw err;
        superseded = true;
        continue;
      }
    }
    const after = { _id: sub.id, ...doc };
    // The admin's failed-payments list: a small collection kept beside the mirror.
    await projectFailing(deps, sub.id, after, cust.email);
    if (!before || differs(before, after)) changes.push({ subscriptionId: sub.id, userId, before, after });
  }

  const former = await formerIds(deps, previous, mirrored);
  changes.push(...(await removeUnlisted(deps, customerId, former, new Set(seen), fetchedAt)));
  return { customerId, userId, changes, superseded, ...(account ? { account } : {}) };
}

/**
 * The subscriptions the mirror may hold for a customer: those its row lists, and those the caller
 * names. A customer seen for the first time has none listed, so its first sync reads no other
 * customer's rows: the one row it may have is one the fallback of syncAfterWrite mirrored, which
 * Stripe lists, and should Stripe drop it before the customer is synced, the reconciler finds it as
 * an orphan and names it in `mirrored`. Only a row written before the list existed is looked up by
 * customer.
 */
async function formerIds(deps: AppDeps, previous: BillingCustomerDoc | null, mirrored: string[]): Promise<string[]> {
  const listed = !previous
    ? []
    : (previous.subscriptionIds ??
      (await deps.db.c.subscriptions.find({ customerId: previous._id }, { projection: { _id: 1 } }).toArray()).map((r) => r._id));
  return [...new Set([...listed, ...mirrored])];
}

/**
 * Subscriptions Stripe no longer returns at all (deleted test data) leave the mirror, unless a sync
 * that started later wrote them.
 */
async function removeUnlisted(
  deps: AppDeps,
  customerId: string,
  former: string[],
  seen: Set<string>,
  fetchedAt: Date,
): Promise<SubscriptionChange[]> {
  const { c } = deps.db;
  const changes: SubscriptionChange[] = [];
  for (const id of former) {
    if (seen.has(id)) continue;
    const row = await c.subscriptions.findOne({ _id: id });
    if (!row || row.customerId !== customerId || row.fetchedAt >= fetchedAt) continue;
    const res = await c.subscriptions.deleteOne({ _id: id });
    await projectFailing(deps, id, null, null);
    if (res.deletedCount) changes.push({ subscriptionId: id, userId: row.userId, before: row, after: null });
  }
  return changes;
}

/**
 * The sync that follows a write Stripe accepted. The write happened whatever this sync meets, so it
 * never fails the action: when Stripe cannot be read back right now, the subscription is mirrored
 * from the object the write returned (when there is one) and the customer is synced again in the
 * background, a few times, before webhooks and the reconciler take over.
 */
export async function syncAfterWrite(
  deps: AppDeps,
  customerId: string,
  cause: SyncCause,
  written?: { subscription: Stripe.Subscription; fetchedAt: Date },
): Promise<void> {
  try {
    await syncCustomer(deps, customerId, cause);
    return;
  } catch (err) {
    deps.log.warn({ err, customerId }, 'sync after an accepted write failed; syncing again in the background');
  }
  if (written)
    await mirrorWrittenSubscription(deps, written.subscription, { fetchedAt: written.fetchedAt, cause }).catch((err: unknown) =>
      deps.log.warn({ err, customerId }, 'mirroring the written object failed; the background resync follows'),
    );
  const delays = [2_000, 10_000, 60_000];
  const attempt = (i: number) => {
    const timer = setTimeout(() => {
      syncCustomer(deps, customerId, cause).catch((err: unknown) => {
        if (i + 1 < delays.length) attempt(i + 1);
        else deps.log.warn({ err, customerId }, 'background resync gave up; webhooks and the reconciler will catch up');
      });
    }, delays[i]);
    timer.unref();
  };
  attempt(0);
}

/**
 * Mirrors one subscription from an object Stripe has just returned for a write we made (expanded
 * like the sync's list: latest invoice, default payment method and schedule), then applies the effects. For
 * when the write was accepted but Stripe cannot be read back right now: the row is what Stripe
 * answered, and a later full sync (whose reads start after `fetchedAt`) writes over it.
 * `fetchedAt` is taken before the write was sent.
 */
export async function mirrorWrittenSubscription(
  deps: AppDeps,
  sub: Stripe.Subscription,
  opts: { fetchedAt: Date; cause: SyncCause },
): Promise<SyncResult> {
  const { c } = deps.db;
  const customerId = typeof sub.customer === 'string' ? sub.customer : sub.customer.id;
  const [customer, before] = await Promise.all([
    c.billingCustomers.findOne({ _id: customerId }),
    c.subscriptions.findOne({ _id: sub.id }),
  ]);
  const userId = before?.userId ?? customer?.userId ?? null;
  const result: SyncResult = { customerId, userId, changes: [], superseded: false };
  if (before && before.fetchedAt >= opts.fetchedAt) return { ...result, superseded: true };
  const doc = subscriptionDoc(sub, {
    userId,
    customerDefault: customer?.defaultPaymentMethod ?? null,
    fetchedAt: opts.fetchedAt,
  });
  if (before) await c.subscriptions.updateOne({ _id: sub.id }, { $set: doc });
  else {
    try {
      await c.subscriptions.insertOne({ _id: sub.id, ...doc });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return { ...result, superseded: true };
    }
  }
  const after = { _id: sub.id, ...doc };
  await projectFailing(deps, sub.id, after, customer?.email ?? null);
  if (!before || differs(before, after)) result.changes.push({ subscriptionId: sub.id, userId, before, after });
  await applyEffects(deps, result, opts.cause);
  return result;
}

/**
 * The user a customer belongs to, with the email and name the effects address (read here once). The
 * customer's metadata names the user (we put it there when we created the customer), which is
 * checked against the user's own link; an exact _id read.
 */
async function resolveUserId(
  deps: AppDeps,
  customer: Stripe.Customer | Stripe.DeletedCustomer,
): Promise<{ userId: string | null; account?: Pick<UserDoc, 'email' | 'name'> }> {
  const { users } = deps.db.c;
  const projection = { stripeCustomerId: 1, email: 1, name: 1 };
  const found = (user: Pick<UserDoc, '_id' | 'email' | 'name'>) => ({
    userId: user._id,
    account: { email: user.email, name: user.name },
  });
  const fromMetadata = customer.deleted ? null : customer.metadata?.dropin_user_id;
  if (fromMetadata) {
    const user = await users.findOne({ _id: fromMetadata }, { projection });
    if (user?.stripeCustomerId === customer.id) return found(user);
    if (user && !user.stripeCustomerId) {
      // Re-link a user whose link was lost (e.g. a crash between creating the customer and saving it).
      await users.updateOne({ _id: user._id }, { $set: { stripeCustomerId: customer.id } });
      return found(user);
    }
  }
  // Customers made outside the app (or with edited metadata): fall back to our link.
  const linked = await users.findOne({ stripeCustomerId: customer.id }, { projection });
  return linked ? found(linked) : { userId: null };
}

const IGNORED = new Set(['fetchedAt', 'syncedAt']);

function differs<T extends object>(a: T, b: T): boolean {
  for (const key of Object.keys(b) as (keyof T & string)[]) {
    if (IGNORED.has(key)) continue;
    if (JSON.stringify(a[key] ?? null) !== JSON.stringify(b[key] ?? null)) return true;
  }
  return false;
}
