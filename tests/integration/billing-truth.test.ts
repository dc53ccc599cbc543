// Billing stays true to Stripe when the network misbehaves: every paid invoice gets its receipt
// even when its webhook never came, and every answer to a subscriber tells what Stripe really did.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReconcile } from '../../src/billing/reconcile/run';
import {
  settle,
  startBillingWorld,
  subscribeThroughCheckout,
  trpc,
  verifiedUser,
  waitFor,
  type BillingWorld,
} from '../setup/billing';

let world: BillingWorld;
beforeEach(async () => {
  world = await startBillingWorld();
});
afterEach(() => world?.close());

const DAY = 86_400;
const action = () => randomUUID().replaceAll('-', '');
const deps = () => world.server.deps;

async function subscribed(planId: 'pro' | 'business' = 'pro') {
  const user = await verifiedUser(world);
  await subscribeThroughCheckout(world, user, planId);
  await settle(world);
  const sub = await deps().db.c.subscriptions.findOne({ userId: user.id });
  expect(sub).not.toBeNull();
  return { user, sub: sub! };
}

async function paidInvoices(customerId: string) {
  const invoices = await world.stripe.invoices.list({ customer: customerId, limit: 100 });
  return invoices.data.filter((i) => i.status === 'paid' && i.amount_paid > 0);
}

describe('receipts', () => {
  it('every paid invoice gets exactly one receipt, even when its webhooks were lost', async () => {
    const { user, sub } = await subscribed();
    // Stripe's deliveries are lost while the first renewal is paid…
    await world.control.injectWebhookFault({ action: 'drop', count: 10_000 });
    await world.control.advanceCustomer(sub.customerId, { seconds: 31 * DAY });
    await world.control.clearFaults();
    // …and arrive again for the second one, so the mirror jumps from the first invoice to the third.
    await world.control.advanceCustomer(sub.customerId, { seconds: 33 * DAY });
    await settle(world);
    // The reconciler replays the events that never arrived.
    await runReconcile(deps(), { backoffBaseMs: 20, rps: 100 });
    await settle(world);

    const paid = await paidInvoices(sub.customerId);
    // The trial's first renewal and the next one, both after the $0 trial invoice.
    expect(paid.length).toBeGreaterThanOrEqual(2);
    const receipts = await deps()
      .db.c.emailOutbox.find({ _id: { $regex: /^receipt:/ }, to: user.email })
      .toArray();
    expect(receipts.map((r) => r._id).sort()).toEqual(paid.map((i) => `receipt:${i.id}`).sort());
  });

  it('a renewal that keeps failing sends one notice per failed attempt', async () => {
    const { user, sub } = await subscribed();
    await world.control.setCardBehavior(sub.defaultPaymentMethod!.id, 'decline_insufficient_funds');
    await world.control.advanceCustomer(sub.customerId, { seconds: 31 * DAY });
    await settle(world);
    const row = (await deps().db.c.subscriptions.findOne({ _id: sub._id }))!;
    const invoiceId = row.latestInvoice!.id;
    // Stripe retries on its schedule; each failed attempt is its own notice.
    await world.control.advanceCustomer(sub.customerId, { seconds: 4 * DAY });
    await settle(world);
    const invoice = await world.stripe.invoices.retrieve(invoiceId);
    expect(invoice.attempt_count).toBeGreaterThanOrEqual(2);
    const notices = await deps()
      .db.c.emailOutbox.find({ _id: { $regex: /^payment-failed:/ }, to: user.email })
      .toArray();
    expect(notices.map((n) => n._id).sort()).toEqual(
      Array.from({ length: invoice.attempt_count }, (_, i) => `payment-failed:${invoiceId}:${i + 1}`).sort(),
    );
  });
});

describe('answers tell what Stripe did', () => {
  it('a change Stripe accepted is reported done even when reading it back fails, and a retry answers the same', async () => {
    const { user, sub } = await subscribed();
    const preview = await trpc<{ prorationDate: number }>(world, user.cookie, 'query', 'billing.previewChange', {
      planId: 'business',
      interval: 'month',
    });
    expect(preview.status).toBe(200);
    // Every read of the customer is refused for a while, after Stripe has taken the change.
    await world.control.injectApiFault({ status: 429, count: 50, pathPrefix: '/v1/customers/', method: 'GET' });
    const input = { planId: 'business', interval: 'month', prorationDate: preview.data.prorationDate, actionId: action() };
    const first = await trpc<{ subscription: { planId: string } | null }>(
      world,
      user.cookie,
      'mutation',
      'billing.changePlan',
      input,
    );
    expect(first.status, first.error?.message).toBe(200);
    expect(first.data.subscription?.planId).toBe('business');
    expect((await world.stripe.subscriptions.retrieve(sub._id)).metadata.dropin_plan).toBe('business');

    // The same action again (a retry after a lost answer) is the same success, not "already on this plan".
    const again = await trpc<{ subscription: { planId: string } | null }>(
      world,
      user.cookie,
      'mutation',
      'billing.changePlan',
      input,
    );
    expect(again.status, again.error?.message).toBe(200);
    expect(again.data.subscription?.planId).toBe('business');

    // Once Stripe answers again the mirror is read back in full.
    await world.control.clearFaults();
    await settle(world);
    await waitFor('the mirror caught up', async () => {
      const row = await deps().db.c.subscriptions.findOne({ _id: sub._id });
      return row?.planId === 'business' && row.latestInvoice?.status === 'paid';
    });
  });

  it('acting on a subscription that already ended on Stripe resyncs and says so in our words', async () => {
    const { user, sub } = await subscribed();
    // Ended on Stripe's side, and the webhook that would have told us is lost.
    await world.control.injectWebhookFault({ action: 'drop', count: 10_000 });
    await world.stripe.subscriptions.cancel(sub._id);
    await world.control.clearFaults();
    expect((await deps().db.c.subscriptions.findOne({ _id: sub._id }))!.status).not.toBe('canceled');

    const preview = await trpc(world, user.cookie, 'query', 'billing.previewChange', { planId: 'business', interval: 'month' });
    expect(preview.status).toBe(409);
    expect(preview.error?.message).toBe('This subscription has already ended. Start a new one from Pricing.');
    await deps().db.c.subscriptions.updateOne({ _id: sub._id }, { $set: { status: 'active', fetchedAt: new Date(0) } });

    const res = await trpc(world, user.cookie, 'mutation', 'billing.cancel', { reason: null, comment: '', actionId: action() });
    expect(res.status).toBe(409);
    expect(res.error?.message).toBe('This subscription has already ended. Start a new one from Pricing.');
    expect((await deps().db.c.subscriptions.findOne({ _id: sub._id }))!.status).toBe('canceled');
  });

  it('resume and cancel go by Stripe when the mirror is behind: done when asked, never answered done for nothing', async () => {
    const { user, sub } = await subscribed();
    // Set to end on Stripe's side without a webhook: the mirror still says it renews.
    await world.control.patchObject(sub._id, { cancel_at_period_end: true });
    expect((await deps().db.c.subscriptions.findOne({ _id: sub._id }))!.cancelAtPeriodEnd).toBe(false);

    const resumed = await trpc(world, user.cookie, 'mutation', 'billing.resume', { actionId: action() });
    expect(resumed.status).toBe(200);
    expect((await world.stripe.subscriptions.retrieve(sub._id)).cancel_at_period_end).toBe(false);
    expect((await deps().db.c.subscriptions.findOne({ _id: sub._id }))!.cancelAtPeriodEnd).toBe(false);

    // The other way: Stripe already ends it, the mirror says it renews; cancel is done, and the mirror catches up.
    await world.control.patchObject(sub._id, { cancel_at_period_end: true });
    const canceled = await trpc(world, user.cookie, 'mutation', 'billing.cancel', {
      reason: null,
      comment: '',
      actionId: action(),
    });
    expect(canceled.status).toBe(200);
    expect((await world.stripe.subscriptions.retrieve(sub._id)).cancel_at_period_end).toBe(true);
    expect((await deps().db.c.subscriptions.findOne({ _id: sub._id }))!.cancelAtPeriodEnd).toBe(true);
  });

  it('resume also undoes an end date set in Stripe without the period-end flag', async () => {
    const { user, sub } = await subscribed();
    const live = await world.stripe.subscriptions.retrieve(sub._id);
    // Set in Stripe's dashboard as "cancel on a date", and the webhook lost.
    await world.control.patchObject(sub._id, { cancel_at: live.items.data[0]!.current_period_end + 5 * DAY });
    const resumed = await trpc(world, user.cookie, 'mutation', 'billing.resume', { actionId: action() });
    expect(resumed.status).toBe(200);
    const after = await world.stripe.subscriptions.retrieve(sub._id);
    expect(after.cancel_at).toBeNull();
    expect(after.cancel_at_period_end).toBe(false);
    expect((await deps().db.c.subscriptions.findOne({ _id: sub._id }))!.cancelAt).toBeNull();
  });
});
