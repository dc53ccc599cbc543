// The admin's side of the failed-payments rows that billing keeps (billing/payment-failures.ts):
// rebuilding them from the mirror and the inbox, for data written before they existed and as a
// weekly repair.
import type { AppDeps } from '../deps';
import type { SubscriptionDoc } from '../db/collections';
import { claim } from '../db/claims';
import { isDuplicateKey } from '../db/errors';
import {
  type FailingSubscriptionDoc,
  failingRow,
  bumpFailingVersion,
  failingSubscriptions,
  failureReason,
  type PaymentFailureDoc,
  paymentFailures,
} from '../billing/payment-failures';
import { PAYMENT_TROUBLE_STATUSES } from '../billing/status';

/**
 * Rebuilds both collections from the mirror and the inbox: for data written before they existed,
 * and as a weekly repair (the claim that lets one process run it expires with the claims, after a
 * week). Two scans, so it runs in the background. A sync racing it can leave one row a sync behind
 * until that customer's next sync or the next repair (decision 006: a lost race converges).
 */
export async function rebuildFailing(deps: AppDeps): Promise<{ failing: number; failures: number }> {
  const { c } = deps.db;
  const scannedAt = new Date();
  const subs = (await c.subscriptions
    .find(
      { status: { $in: [...PAYMENT_TROUBLE_STATUSES] } },
      {
        projection: {
          customerId: 1,
          userId: 1,
          planId: 1,
          status: 1,
          currency: 1,
          latestInvoice: 1,
          created: 1,
          fetchedAt: 1,
        },
      },
    )
    .toArray()) as SubscriptionDoc[];
  // One projected read of the accounts rather than an $in of thousands of ids (whose cost can grow
  // with ids × rows: src/db/reads.ts). The account's email here; syncCustomer writes the
  // customer's email at Stripe, which is the account's email from when the customer was created.
  const emails = subs.length
    ? new Map((await c.users.find({}, { projection: { email: 1 } }).toArray()).map((u) => [u._id, u.email]))
    : new Map<string, string>();
  const proj = failingSubscriptions(deps);
  const existing = new Map((await proj.find({}, { projection: { fetchedAt: 1 } }).toArray()).map((r) => [r._id, r.fetchedAt]));
  const keep = new Set<string>();
  const fresh: FailingSubscriptionDoc[] = [];
  const replace: FailingSubscriptionDoc[] = [];
  for (const s of subs) {
    keep.add(s._id);
    const had = existing.get(s._id);
    if (had && had >= s.fetchedAt) continue;
    (had ? replace : fresh).push(failingRow(s, (s.userId ? emails.get(s.userId) : null) ?? null));
  }
  // New rows in bulk (a sync that wrote one meanwhile wins: duplicates are skipped), older ones by id.
  for (let i = 0; i < fresh.length; i += 1_000)
    await proj.insertMany(fresh.slice(i, i + 1_000), { ordered: false }).catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
  for (const row of replace) await proj.replaceOne({ _id: row._id }, row);
  // Rows no longer failing, unless a sync wrote them after our read of the mirror.
  const gone = [...existing].filter(([id, at]) => !keep.has(id) && at < scannedAt).map(([id]) => id);
  if (gone.length) await proj.deleteMany({ _id: { $in: gone } });

  // The newest failure of each failing customer, written once each (the page shows no other).
  const failingCustomers = new Set(subs.map((s) => s.customerId));
  const newest = new Map<string, PaymentFailureDoc>();
  const failedEvents = await c.webhookEvents
    .find({ type: 'payment_intent.payment_failed' }, { projection: { customerId: 1, payload: 1, created: 1 } })
    .toArray();
  for (const e of failedEvents) {
    if (!e.customerId || !failingCustomers.has(e.customerId)) continue;
    const had = newest.get(e.customerId);
    if (had && had.at >= e.created) continue;
    newest.set(e.customerId, { _id: e.customerId, reason: failureReason(e.payload), at: e.created, eventId: e._id });
  }
  const failures = paymentFailures(deps);
  const recorded = new Map((await failures.find({}, { projection: { at: 1 } }).toArray()).map((f) => [f._id, f.at]));
  const newReasons = [...newest.values()].filter((f) => !recorded.has(f._id));
  for (let i = 0; i < newReasons.length; i += 1_000)
    await failures.insertMany(newReasons.slice(i, i + 1_000), { ordered: false }).catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
  for (const f of newest.values()) {
    const at = recorded.get(f._id);
    if (at && at < f.at) await failures.replaceOne({ _id: f._id }, f);
  }
  await bumpFailingVersion(deps);
  return { failing: keep.size, failures: newest.size };
}

/** At start, once per week across processes: fills the collections for data written before them. */
export async function repairFailingOnce(deps: AppDeps, now = new Date()): Promise<boolean> {
  const week = Math.floor(now.getTime() / (7 * 86_400_000));
  if (!(await claim(deps.db.c, `admin:failing-rebuild:${week}`))) return false;
  await rebuildFailing(deps);
  return true;
}
