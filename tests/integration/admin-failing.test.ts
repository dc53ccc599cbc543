// The failed-payments rows (src/billing/payment-failures.ts, rebuilt by src/admin/failing.ts):
// rebuilt from mirror rows written before they existed, kept by projectFailing as a subscription
// fails and recovers, the newest failure reason kept whatever order events arrive in, and the page
// reading only these rows. The live path
// (syncCustomer and the webhook worker writing them) runs in admin-actions.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubscriptionDoc, WebhookEventDoc } from '../../src/db/collections';
import { failingSubscriptions, paymentFailures, projectFailing, recordPaymentFailure } from '../../src/billing/payment-failures';
import { rebuildFailing } from '../../src/admin/failing';
import { failedPayments } from '../../src/admin/payments';
import { createHarness, type Harness } from '../setup/harness';

const NOW = new Date('2026-11-26T12:00:00Z');
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

let n = 0;
function sub(status: string, over: Partial<SubscriptionDoc> = {}): SubscriptionDoc {
  n += 1;
  return {
    _id: `sub_failing${n}`,
    userId: null,
    customerId: `cus_failing${n}`,
    status,
    planId: 'pro',
    priceId: 'price_x',
    lookupKey: null,
    interval: 'month',
    unitAmount: 1200,
    currency: 'eur',
    quantity: 1,
    itemId: `si_${n}`,
    currentPeriodStart: NOW,
    currentPeriodEnd: NOW,
    trialStart: null,
    trialEnd: null,
    cancelAtPeriodEnd: false,
    cancelAt: null,
    canceledAt: null,
    endedAt: null,
    cancellationFeedback: null,
    defaultPaymentMethod: null,
    latestInvoice: {
      id: `in_failing${n}`,
      status: 'open',
      amountDue: 1200,
      amountPaid: 200,
      currency: 'eur',
      hostedInvoiceUrl: null,
      attemptCount: 3,
      nextPaymentAttempt: NOW,
    },
    created: new Date(NOW.getTime() - n * 1000),
    fetchedAt: NOW,
    syncedAt: NOW,
    ...over,
  };
}

const failedEvent = (customerId: string, id: string, created: Date, message: string) =>
  ({
    _id: id,
    type: 'payment_intent.payment_failed',
    customerId,
    created,
    payload: JSON.stringify({ data: { object: { last_payment_error: { message, decline_code: 'insufficient_funds' } } } }),
  }) satisfies Pick<WebhookEventDoc, '_id' | 'type' | 'customerId' | 'payload' | 'created'>;

describe('failed-payments rows', () => {
  it('are rebuilt from the mirror and the inbox, and the page lists only them', async () => {
    const pastDue = sub('past_due');
    const unpaid = sub('unpaid');
    const active = sub('active');
    await h.deps.db.c.subscriptions.insertMany([pastDue, unpaid, active]);
    // A stale row for a subscription that has since recovered.
    await failingSubscriptions(h.deps).insertOne({ ...active, email: null, fetchedAt: new Date(0) });
    const event = failedEvent(pastDue.customerId, 'evt_failing1', NOW, 'Your card has insufficient funds.');
    await h.deps.db.c.webhookEvents.insertOne({
      ...event,
      objectId: 'pi_1',
      livemode: false,
      receivedAt: NOW,
      duplicates: 0,
      status: 'processed',
      attempts: 1,
      nextAttemptAt: NOW,
      lockedUntil: null,
      lastError: null,
      processedAt: NOW,
    });

    expect(await rebuildFailing(h.deps)).toEqual({ failing: 2, failures: 1 });
    const ids = (await failingSubscriptions(h.deps).find({}).toArray()).map((r) => r._id).sort();
    expect(ids).toEqual([pastDue._id, unpaid._id].sort());

    const page = await failedPayments(h.deps, { page: 1, pageSize: 25, fresh: true });
    expect(page.total).toBe(2);
    expect(page.rows.map((r) => r.subscriptionId)).toEqual([pastDue._id, unpaid._id]); // newest first
    expect(page.rows[0]).toMatchObject({
      status: 'past_due',
      amountDue: 1000,
      currency: 'eur',
      attempts: 3,
      failureReason: 'Your card has insufficient funds. — insufficient_funds',
    });
    const onlyUnpaid = await failedPayments(h.deps, { status: 'unpaid', page: 1, pageSize: 25 });
    expect(onlyUnpaid.rows.map((r) => r.subscriptionId)).toEqual([unpaid._id]);
  });

  it('follow a subscription as it fails and recovers', async () => {
    const s = sub('past_due');
    await projectFailing(h.deps, s._id, s, 'ada@example.com');
    expect(await failingSubscriptions(h.deps).findOne({ _id: s._id })).toMatchObject({
      status: 'past_due',
      email: 'ada@example.com',
    });
    await projectFailing(h.deps, s._id, { ...s, status: 'unpaid' }, 'ada@example.com');
    expect((await failingSubscriptions(h.deps).findOne({ _id: s._id }))?.status).toBe('unpaid');
    await projectFailing(h.deps, s._id, { ...s, status: 'active' }, 'ada@example.com');
    expect(await failingSubscriptions(h.deps).findOne({ _id: s._id })).toBeNull();
    // Concurrent first writes for one subscription leave one row.
    await Promise.all([1, 2, 3, 4].map(() => projectFailing(h.deps, s._id, s, null)));
    expect(await failingSubscriptions(h.deps).countDocuments({ _id: s._id })).toBe(1);
    await projectFailing(h.deps, s._id, null, null);
    expect(await failingSubscriptions(h.deps).findOne({ _id: s._id })).toBeNull();
  });

  it('keep the newest failure reason whatever order the events arrive in', async () => {
    const newer = failedEvent('cus_order', 'evt_newer', new Date(NOW.getTime() + 60_000), 'Your card was declined.');
    const older = failedEvent('cus_order', 'evt_older', NOW, 'Your card has insufficient funds.');
    await recordPaymentFailure(h.deps, newer);
    await recordPaymentFailure(h.deps, older);
    expect(await paymentFailures(h.deps).findOne({ _id: 'cus_order' })).toMatchObject({
      eventId: 'evt_newer',
      reason: 'Your card was declined. — insufficient_funds',
    });
    await recordPaymentFailure(h.deps, { ...newer, _id: 'evt_other', type: 'invoice.payment_failed', customerId: 'cus_other' });
    expect(await paymentFailures(h.deps).findOne({ _id: 'cus_other' })).toBeNull();
  });
});
