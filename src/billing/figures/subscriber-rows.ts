// The admin's subscriber list as its own small collection: one row per subscription with the account's
// email and name and the words a search matches, kept by the billing effects as subscriptions change
// (and by `refreshSubscriberAccount` when an account's name or email changes). Lists and searches
// are queries on it (indexed on MongoDB: src/db/migrations/0004-admin-figures.ts); exact look-ups (an email, a customer,
// a subscription) are reads by `_id`, which every database answers from an index.
import type { Collection } from 'mongodb';
import type { AppDeps } from '../../deps';
import type { SubscriberKeyDoc, SubscriberRowDoc, SubscriptionDoc, UserDoc } from '../../db/collections';
import { findByIds } from '../../db/reads';
import { replaceOrInsert } from '../../db/writes';
import { newId } from '../../lib/ids';
import type { SyncResult } from '../sync-result';
import { isEnded } from '../status';

export type { SubscriberKeyDoc, SubscriberRowDoc };
export const subscriberRows = (deps: AppDeps): Collection<SubscriberRowDoc> => deps.db.c.adminSubscribers;
export const subscriberKeys = (deps: AppDeps): Collection<SubscriberKeyDoc> => deps.db.c.adminSubscriberKeys;

/**
 * A stamp that changes whenever any row does: answers cached by the admin's list stay valid while
 * it holds (src/admin/subscribers.ts). Racing writers each leave a new stamp, which is all it needs.
 */
const versions = (deps: AppDeps) => deps.db.db.collection<{ _id: string; stamp: string }>('admin_subscribers_version');

export async function listVersion(deps: AppDeps): Promise<string> {
  return (await versions(deps).findOne({ _id: 'list' }))?.stamp ?? 'none';
}

async function bumpListVersion(deps: AppDeps): Promise<void> {
  await replaceOrInsert(versions(deps), { _id: 'list', stamp: newId() });
}

/** The words of a text as search matches them: lower-cased runs of letters and digits, and the whole. */
export function wordsOf(...texts: (string | null | undefined)[]): string[] {
  const out = new Set<string>();
  for (const t of texts) {
    if (!t) continue;
    const lower = t.toLowerCase();
    out.add(lower);
    for (const w of lower.split(/[^\p{L}\p{N}_]+/u)) if (w) out.add(w);
  }
  return [...out];
}

export function subscriberRow(s: SubscriptionDoc, user: Pick<UserDoc, 'email' | 'name'> | null): SubscriberRowDoc {
  return {
    _id: s._id,
    customerId: s.customerId,
    userId: s.userId,
    email: user?.email ?? null,
    name: user?.name ?? null,
    planId: s.planId,
    interval: s.interval,
    status: s.status,
    unitAmount: s.unitAmount,
    currency: s.currency,
    trialEnd: s.trialEnd,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    currentPeriodEnd: s.currentPeriodEnd,
    created: s.created,
    words: wordsOf(user?.email, user?.name, s._id, s.customerId),
    fetchedAt: s.fetchedAt,
  };
}

/**
 * Whether a subscription has a row: every one but those that ended with no account behind them,
 * which is what a deleted account leaves (its subscriptions are cancelled, then Stripe's late
 * events about them name no account, or one that is gone): nothing an admin can act on, and the
 * list forgot it. `account` is the user the row would show, read now.
 */
const listed = (s: Pick<SubscriptionDoc, 'status'>, account: unknown) => account !== null || !isEnded(s.status);

/** Called by the billing effects: each changed subscription's row is written (or removed) by `_id`. */
export async function projectSubscriberRows(deps: AppDeps, result: SyncResult): Promise<void> {
  if (!result.changes.length) return;
  const rows = subscriberRows(deps);
  // The sync's own account is already read; any other a row names is read by _id.
  const known = result.userId && result.account ? [[result.userId, result.account] as const] : [];
  const userIds = [
    ...new Set(result.changes.map((c) => c.after?.userId).filter((id): id is string => !!id && id !== known[0]?.[0])),
  ];
  const users = new Map<string, Pick<UserDoc, 'email' | 'name'>>([
    ...known,
    ...(await findByIds(deps.db.c.users, userIds, { projection: { email: 1, name: 1 } })).map((u) => [u._id, u] as const),
  ]);
  for (const change of result.changes) {
    const s = change.after;
    const user = s?.userId ? (users.get(s.userId) ?? null) : null;
    if (!s || !listed(s, user)) {
      await rows.deleteOne({ _id: change.subscriptionId });
      continue;
    }
    const current = await rows.findOne({ _id: s._id }, { projection: { fetchedAt: 1 } });
    // A newer sync already wrote this row.
    if (current && current.fetchedAt > s.fetchedAt) continue;
    // The key is checked on every sync, even when the row keeps its address: two writers adding
    // to one key at once can lose one's addition (src/db/writes.ts), which the next sync restores.
    if (user) await addKey(deps, `email:${user.email}`, s._id);
    await replaceOrInsert(rows, subscriberRow(s, user));
  }
  await bumpListVersion(deps);
}

async function addKey(deps: AppDeps, key: string, subscriptionId: string): Promise<void> {
  const keys = subscriberKeys(deps);
  const row = await keys.findOne({ _id: key });
  if (row?.subscriptionIds.includes(subscriptionId)) return;
  await replaceOrInsert(keys, { _id: key, subscriptionIds: [...(row?.subscriptionIds ?? []), subscriptionId] });
}

/**
 * After an account's name or email changed: its rows carry the new ones, and the new address finds
 * them while the old one (`previousEmail`, on an email change) no longer does. Reads the account's
 * subscriptions by its customer's list (all by `_id`).
 */
export async function refreshSubscriberAccount(
  deps: AppDeps,
  userId: string,
  opts: { previousEmail?: string } = {},
): Promise<void> {
  const user = await deps.db.c.users.findOne({ _id: userId }, { projection: { email: 1, name: 1, stripeCustomerId: 1 } });
  if (!user?.stripeCustomerId) return;
  const customer = await deps.db.c.billingCustomers.findOne(
    { _id: user.stripeCustomerId },
    { projection: { subscriptionIds: 1 } },
  );
  const subs = await findByIds(deps.db.c.subscriptions, customer?.subscriptionIds ?? []);
  for (const s of subs) {
    await addKey(deps, `email:${user.email}`, s._id);
    await replaceOrInsert(subscriberRows(deps), subscriberRow(s, user));
  }
  if (opts.previousEmail && opts.previousEmail !== user.email)
    await removeKey(
      deps,
      `email:${opts.previousEmail}`,
      subs.map((s) => s._id),
    );
  if (subs.length) await bumpListVersion(deps);
}

/** Takes these subscriptions off a look-up key, deleting the key once it names none. */
async function removeKey(deps: AppDeps, key: string, subscriptionIds: string[]): Promise<void> {
  const keys = subscriberKeys(deps);
  const row = await keys.findOne({ _id: key });
  if (!row) return;
  const left = row.subscriptionIds.filter((id) => !subscriptionIds.includes(id));
  if (left.length === row.subscriptionIds.length) return;
  if (left.length) await keys.updateOne({ _id: key }, { $set: { subscriptionIds: left } });
  else await keys.deleteOne({ _id: key });
}

/**
 * When an account is deleted: its subscriptions' rows leave the list, and its address finds
 * nothing. Rows go by `_id`, the key by its address.
 */
export async function removeSubscriberAccount(deps: AppDeps, opts: { email: string; subscriptionIds: string[] }): Promise<void> {
  for (const id of opts.subscriptionIds) await subscriberRows(deps).deleteOne({ _id: id });
  await removeKey(deps, `email:${opts.email}`, opts.subscriptionIds);
  await bumpListVersion(deps);
}

/** Rewrites every row from the mirror (an existing database, or after a check): bulk writes in batches. */
export async function rebuildSubscriberRows(deps: AppDeps): Promise<number> {
  const rows = subscriberRows(deps);
  const BATCH = 1_000;
  let n = 0;
  let batch: SubscriptionDoc[] = [];
  const flush = async () => {
    const ids = [...new Set(batch.map((s) => s.userId).filter((id): id is string => !!id))];
    const users = new Map((await findByIds(deps.db.c.users, ids, { projection: { email: 1, name: 1 } })).map((u) => [u._id, u]));
    const accountOf = (s: SubscriptionDoc) => (s.userId ? (users.get(s.userId) ?? null) : null);
    const docs = batch.filter((s) => listed(s, accountOf(s))).map((s) => subscriberRow(s, accountOf(s)));
    batch = [];
    if (!docs.length) return;
    await rows.bulkWrite(
      docs.map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })),
      { ordered: false },
    );
    const keys = new Map<string, string[]>();
    for (const d of docs) if (d.email) keys.set(`email:${d.email}`, [...(keys.get(`email:${d.email}`) ?? []), d._id]);
    await subscriberKeys(deps).bulkWrite(
      [...keys].map(([_id, subscriptionIds]) => ({
        updateOne: { filter: { _id }, update: { $addToSet: { subscriptionIds: { $each: subscriptionIds } } }, upsert: true },
      })),
      { ordered: false },
    );
    n += docs.length;
  };
  for await (const s of deps.db.c.subscriptions.find({})) {
    batch.push(s);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  await bumpListVersion(deps);
  return n;
}
