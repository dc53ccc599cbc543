// Admin actions against the Stripe emulator: each one's effect in Stripe and in the mirror, and its
// audit entry (who, what, target, before/after). Sessions are cached for 5 s here, as in
// production, so "demotion takes effect at once" is tested against the cache, not around it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import { updateProfile } from '../../src/account/profile';
import type { AuditView } from '../../src/admin/audit';
import { csvCell, type SubscriberDetail, type SubscriberRow } from '../../src/admin/subscribers';
import type { FailedPaymentRow } from '../../src/admin/payments';
import type { EventRow } from '../../src/admin/events';
import {
  startBillingWorld,
  subscribeThroughCheckout,
  trpc,
  verifiedUser,
  type BillingWorld,
  settle,
  waitFor,
} from '../setup/billing';
import { codeFrom, waitForEmail } from '../setup/mailpit';

let world: BillingWorld;
let admin: { id: string; email: string; cookie: string };

beforeAll(async () => {
  world = await startBillingWorld({ SESSION_CACHE_MS: '5000' });
  admin = await verifiedUser(world, 'Ada Admin', { role: 'admin' });
});
afterAll(() => world?.close());

const action = () => randomUUID().replaceAll('-', '');

async function subscribe(user: { cookie: string }, planId: 'pro' | 'business') {
  await subscribeThroughCheckout(world, user, planId);
}

async function adminQuery<T>(proc: string, input?: unknown): Promise<T> {
  const res = await trpc<T>(world, admin.cookie, 'query', `admin.${proc}`, input);
  expect(res.status, `${proc}: ${res.error?.message}`).toBe(200);
  return res.data;
}

async function adminMutation<T>(proc: string, input: unknown): Promise<T> {
  const res = await trpc<T>(world, admin.cookie, 'mutation', `admin.${proc}`, input);
  expect(res.status, `${proc}: ${res.error?.message}`).toBe(200);
  return res.data;
}

async function lastAudit(userId: string, actionName: string): Promise<AuditView> {
  const { entries } = await adminQuery<{ entries: AuditView[] }>('audit', { userId });
  const entry = entries.find((e) => e.action === actionName);
  expect(entry, `audit entry ${actionName}`).toBeTruthy();
  return entry as AuditView;
}

async function mirrorSub(userId: string) {
  return (await world.server.deps.db.c.subscriptions.findOne({ userId }, { sort: { created: -1 } }))!;
}

describe('finding and viewing a subscriber', () => {
  it('finds a subscriber by email and Stripe id, filters, and shows the detail page', async () => {
    const user = await verifiedUser(world, 'Grace Hopper');
    await subscribe(user, 'pro');
    // The subscriber row is written by the billing effects of Checkout's sync or of its webhooks.
    await settle(world);
    const sub = await mirrorSub(user.id);

    const byEmail = await adminQuery<{ rows: SubscriberRow[]; total: number }>('subscribers', { search: user.email });
    expect(byEmail.rows.map((r) => r.subscriptionId)).toEqual([sub._id]);
    expect(byEmail.rows[0]).toMatchObject({ email: user.email, name: 'Grace Hopper', planId: 'pro', status: 'trialing' });

    const byName = await adminQuery<{ rows: SubscriberRow[] }>('subscribers', { search: 'grace hop' });
    expect(byName.rows.some((r) => r.userId === user.id)).toBe(true);
    const byCustomer = await adminQuery<{ rows: SubscriberRow[] }>('subscribers', { search: sub.customerId });
    expect(byCustomer.rows.map((r) => r.userId)).toEqual([user.id]);
    const notTrialing = await adminQuery<{ rows: SubscriberRow[] }>('subscribers', { search: user.email, trialing: false });
    expect(notTrialing.rows).toEqual([]);

    const csv = await adminQuery<{ csv: string; rows: number }>('subscribersCsv', { search: user.email });
    expect(csv.rows).toBe(1);
    expect(csv.csv.split('\r\n')[0]).toMatch(/^subscription_id,customer_id,user_id,email/);
    // Ids are random and may start with "-", which the export quotes inert (csvCell, unit-tested).
    const cells = [sub._id, sub.customerId, user.id, user.email, 'Grace Hopper', 'pro', 'month', 'trialing'];
    expect(csv.csv).toContain(cells.map(csvCell).join(','));

    const detail = await adminQuery<SubscriberDetail>('subscriber', { userId: user.id });
    expect(detail.account).toMatchObject({ email: user.email, role: 'user', disabled: false, stripeCustomerId: sub.customerId });
    expect(detail.subscriptions.map((s) => s.subscriptionId)).toEqual([sub._id]);
    expect(detail.invoices.length).toBeGreaterThan(0);
    expect(detail.sessions).toHaveLength(1);
    await settle(world);
    const after = await adminQuery<SubscriberDetail>('subscriber', { userId: user.id });
    expect(after.events.some((e) => e.type === 'customer.subscription.created')).toBe(true);
    expect(JSON.stringify(after)).not.toMatch(/passwordHash|argon2/);
  });

  it('lists a new subscriber within seconds and a renamed one at once, found by any word of the name', async () => {
    const user = await verifiedUser(world, 'Ada Listed');
    await subscribe(user, 'pro');
    // No Refresh: the row follows the mirrored subscription within seconds. (Other tests'
    // subscriptions may have started later on their test clocks, so the newest need not be first.)
    const emailsFound = async (search: string) =>
      (await adminQuery<{ rows: SubscriberRow[] }>('subscribers', { search })).rows.map((r) => r.email);
    await expect.poll(() => emailsFound(user.email), { timeout: 10_000 }).toEqual([user.email]);
    const byWord = await adminQuery<{ rows: SubscriberRow[] }>('subscribers', { search: 'listed' });
    expect(byWord.rows.map((r) => r.email)).toContain(user.email);
    // The subscriber renames themselves: the list shows and finds the new name.
    await updateProfile({ deps: world.server.deps, userId: user.id, name: 'Ada Renamed' });
    const renamed = await adminQuery<{ rows: SubscriberRow[] }>('subscribers', { search: 'renamed' });
    expect(renamed.rows.map((r) => r.name)).toEqual(['Ada Renamed']);
    const old = await adminQuery<{ rows: SubscriberRow[] }>('subscribers', { search: 'listed' });
    expect(old.rows.map((r) => r.email)).not.toContain(user.email);
  });
});

describe('the subscriber list follows the account', () => {
  it('an email change moves the address that finds it; deleting the account removes its row and address', async () => {
    const user = await verifiedUser(world, 'Moving Mover');
    await subscribe(user, 'pro');
    await settle(world);
    const sub = await mirrorSub(user.id);
    const deps = world.server.deps;
    const found = async (search: string) =>
      (await adminQuery<{ rows: SubscriberRow[] }>('subscribers', { search })).rows.map((r) => r.subscriptionId);
    expect(await found(user.email)).toEqual([sub._id]);

    const next = `moved-${randomUUID().slice(0, 8)}@example.test`;
    const asUser = (path: string, input: unknown) => trpc(world, user.cookie, 'mutation', path, input);
    expect(
      (await asUser('account.requestEmailChange', { newEmail: next, currentPassword: 'billing test password' })).status,
    ).toBe(200);
    const code = codeFrom(await waitForEmail(next, /Confirm your new DropIn email/));
    expect((await asUser('account.confirmEmailChange', { code })).status).toBe(200);
    expect(await found(next)).toEqual([sub._id]);
    expect(await found(user.email)).toEqual([]);
    expect(await deps.db.c.adminSubscriberKeys.findOne({ _id: `email:${user.email}` })).toBeNull();

    expect((await asUser('account.deleteAccount', { password: 'billing test password', confirm: 'DELETE' })).status).toBe(200);
    await settle(world);
    expect(await found(next)).toEqual([]);
    expect(await found(sub._id)).toEqual([]);
    expect(await deps.db.c.adminSubscribers.findOne({ _id: sub._id })).toBeNull();
    expect(await deps.db.c.adminSubscriberKeys.findOne({ _id: `email:${next}` })).toBeNull();
  });
});

describe('subscription actions', () => {
  it('extends a trial, applies a coupon, resyncs, then cancels immediately with a refund — each in Stripe and audited', async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'business');
    const sub = await mirrorSub(user.id);
    const newEnd = new Date(sub.trialEnd!.getTime() + 7 * DAY * 1000);
    newEnd.setUTCMilliseconds(0);

    await adminMutation('extendTrial', { subscriptionId: sub._id, trialEnd: newEnd.toISOString(), actionId: action() });
    expect((await world.stripe.subscriptions.retrieve(sub._id)).trial_end).toBe(newEnd.getTime() / 1000);
    expect((await mirrorSub(user.id)).trialEnd?.getTime()).toBe(newEnd.getTime());
    const extended = await lastAudit(user.id, 'extend_trial');
    expect(extended).toMatchObject({ actorEmail: admin.email, targetType: 'subscription', targetId: sub._id, outcome: 'ok' });
    expect(JSON.parse(extended.before!).trialEnd).toBe(sub.trialEnd!.toISOString());
    expect(JSON.parse(extended.after!).trialEnd).toBe(newEnd.toISOString());

    const coupon = await world.stripe.coupons.create({ percent_off: 25, duration: 'forever', name: 'Admin goodwill' });
    const { coupons } = await adminQuery<{ coupons: { id: string }[] }>('coupons');
    expect(coupons.map((c) => c.id)).toContain(coupon.id);
    await adminMutation('applyCoupon', { subscriptionId: sub._id, couponId: coupon.id, actionId: action() });
    const discounted = await world.stripe.subscriptions.retrieve(sub._id, { expand: ['discounts'] });
    expect(discounted.discounts.map((d) => (typeof d === 'string' ? d : d.source?.coupon))).toHaveLength(1);
    expect((await lastAudit(user.id, 'apply_coupon')).outcome).toBe('ok');

    // Drift the mirror by hand (after the webhooks above are done); a resync puts Stripe's truth back.
    await settle(world);
    await world.server.deps.db.c.subscriptions.updateOne({ _id: sub._id }, { $set: { status: 'past_due' } });
    await adminMutation('resync', { userId: user.id, actionId: action() });
    expect((await mirrorSub(user.id)).status).toBe('trialing');
    expect((await lastAudit(user.id, 'resync')).before).toContain('past_due');

    await adminMutation('cancelSubscription', { subscriptionId: sub._id, refund: true, actionId: action() });
    expect((await world.stripe.subscriptions.retrieve(sub._id)).status).toBe('canceled');
    expect((await mirrorSub(user.id)).status).toBe('canceled');
    const cancelled = await lastAudit(user.id, 'cancel_now_refund');
    expect(JSON.parse(cancelled.before!).status).toBe('trialing');
    expect(JSON.parse(cancelled.after!).status).toBe('canceled');

    // Cancelling again is refused and changes nothing.
    const again = await trpc(world, admin.cookie, 'mutation', 'admin.cancelSubscription', {
      subscriptionId: sub._id,
      refund: false,
      actionId: action(),
    });
    expect(again.status).toBe(409);
  });

  it("an admin's cancel tells the subscriber their subscription ended, without waiting for a webhook", async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'pro');
    await settle(world);
    const sub = await mirrorSub(user.id);
    const outbox = world.server.deps.db.c.emailOutbox;
    // No webhook reaches the app: whatever follows the cancel comes from the admin action's own sync.
    await world.control.injectWebhookFault({ action: 'drop', count: 1_000 });
    try {
      await adminMutation('cancelSubscription', { subscriptionId: sub._id, refund: false, actionId: action() });
      const ended = await outbox.findOne({ _id: `ended:${sub._id}` });
      expect(ended?.subject).toBe('Your DropIn subscription has ended');
      expect(ended?.to).toBe(user.email);
    } finally {
      await world.control.clearFaults();
    }
    // The webhooks that follow later send nothing twice.
    await adminMutation('resync', { userId: user.id, actionId: action() });
    expect(await outbox.countDocuments({ _id: `ended:${sub._id}` })).toBe(1);
  });

  it('a repeated click (same action id) acts once and is audited once', async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'pro');
    const sub = await mirrorSub(user.id);
    const id = action();
    const input = { subscriptionId: sub._id, refund: false, actionId: id };
    const [a, b] = await Promise.all([
      trpc(world, admin.cookie, 'mutation', 'admin.cancelSubscription', input),
      trpc(world, admin.cookie, 'mutation', 'admin.cancelSubscription', input),
    ]);
    expect([a.status, b.status]).toContain(200);
    expect((await world.stripe.subscriptions.retrieve(sub._id)).status).toBe('canceled');
    const { entries } = await adminQuery<{ entries: AuditView[] }>('audit', { userId: user.id });
    expect(entries.filter((e) => e.action === 'cancel_now')).toHaveLength(1);
  });

  it('a retry of a finished action answers done; its id with other details or from another admin is refused', async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'business');
    const sub = await mirrorSub(user.id);
    const later = (days: number) => {
      const d = new Date(sub.trialEnd!.getTime() + days * DAY * 1000);
      d.setUTCMilliseconds(0);
      return d;
    };
    const extendId = action();
    await adminMutation('extendTrial', { subscriptionId: sub._id, trialEnd: later(7).toISOString(), actionId: extendId });
    const other = await trpc(world, admin.cookie, 'mutation', 'admin.extendTrial', {
      subscriptionId: sub._id,
      trialEnd: later(30).toISOString(),
      actionId: extendId,
    });
    expect(other.status).toBe(409);
    expect(other.error?.message).toMatch(/already used for extend_trial with other details/);
    expect((await world.stripe.subscriptions.retrieve(sub._id)).trial_end, 'the first trial end stands').toBe(
      later(7).getTime() / 1000,
    );

    const cancelId = action();
    const input = { subscriptionId: sub._id, refund: false, actionId: cancelId };
    await adminMutation('cancelSubscription', input);
    // The subscription has ended now; the retry is answered from its audit entry, not refused as ended.
    await adminMutation('cancelSubscription', input);
    const { entries } = await adminQuery<{ entries: AuditView[] }>('audit', { userId: user.id });
    expect(entries.filter((e) => e.action === 'cancel_now')).toHaveLength(1);

    const second = await verifiedUser(world, 'Bo Admin');
    await world.server.deps.db.c.users.updateOne({ _id: second.id }, { $set: { role: 'admin' } });
    await world.server.deps.sessions.userChanged(second.id);
    const borrowed = await trpc(world, second.cookie, 'mutation', 'admin.cancelSubscription', input);
    expect(borrowed.status).toBe(409);
    expect(borrowed.error?.message).toMatch(/already used by another admin/);
  });
});

describe('failed payments', () => {
  it('lists a past_due subscription with amount, reason, attempts and dunning email; retry pays it', async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'pro');
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle(world);
    const pmId = (await mirrorSub(user.id)).defaultPaymentMethod!.id;
    await world.control.setCardBehavior(pmId, 'decline_insufficient_funds');
    await world.control.advanceCustomer(customer, { seconds: 31 * DAY });
    await settle(world);
    expect((await mirrorSub(user.id)).status).toBe('past_due');
    // The dunning email is sent by the outbox: wait for its row.
    await waitFor(
      'a dunning email',
      async () => (await world.server.deps.db.c.emailOutbox.countDocuments({ _id: /^payment-failed:/, to: user.email })) > 0,
    );

    const { rows } = await adminQuery<{ rows: FailedPaymentRow[] }>('failedPayments', {});
    const row = rows.find((r) => r.userId === user.id);
    expect(row).toMatchObject({ email: user.email, status: 'past_due', amountDue: 1200, currency: 'usd', invoiceStatus: 'open' });
    expect(row!.attempts).toBeGreaterThanOrEqual(1);
    expect(row!.nextRetry).toBeTruthy();
    expect(row!.failureReason).toMatch(/insufficient/i);
    expect(row!.dunningEmails.map((e) => e.kind)).toContain('payment-failed');

    // Still declining: the retry fails, says why, and is audited as failed.
    const declined = await trpc(world, admin.cookie, 'mutation', 'admin.retryPayment', {
      invoiceId: row!.invoiceId,
      actionId: action(),
    });
    expect(declined.status).toBe(402);
    expect((await lastAudit(user.id, 'retry_payment')).outcome).toBe('failed');

    await world.control.setCardBehavior(pmId, 'succeed');
    await adminMutation('retryPayment', { invoiceId: row!.invoiceId, actionId: action() });
    expect((await world.stripe.invoices.retrieve(row!.invoiceId!)).status).toBe('paid');
    expect((await world.stripe.subscriptions.retrieve((await mirrorSub(user.id))._id)).status).toBe('active');
    // The retry resyncs at once; webhook syncs racing it on FerretDB converge right after (decision 006).
    await settle(world);
    expect((await mirrorSub(user.id)).status).toBe('active');
    const { entries } = await adminQuery<{ entries: AuditView[] }>('audit', { userId: user.id });
    expect(
      entries
        .filter((e) => e.action === 'retry_payment')
        .map((e) => e.outcome)
        .sort(),
    ).toEqual(['failed', 'ok']);
  });
});

describe('Stripe events', () => {
  it('searches the inbox, shows a payload and replays a parked event', async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'pro');
    await settle(world);
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    const { rows, total } = await adminQuery<{ rows: EventRow[]; total: number }>('events', { search: customer });
    expect(total).toBeGreaterThan(0);
    expect(rows.every((r) => r.customerId === customer)).toBe(true);
    const target = rows.find((r) => r.type === 'customer.subscription.created')!;
    const byType = await adminQuery<{ rows: EventRow[] }>('events', { search: 'customer.subscription.', status: 'processed' });
    expect(byType.rows.every((r) => r.type.startsWith('customer.subscription.'))).toBe(true);
    const shown = await adminQuery<{ payload: string }>('event', { id: target.id });
    expect(JSON.parse(shown.payload).id).toBe(target.id);

    // Park it as the worker would after repeated failures, then replay it.
    await world.server.deps.db.c.webhookEvents.updateOne({ _id: target.id }, { $set: { status: 'parked', lastError: 'boom' } });
    // Parked behind the app's back, so the list is read fresh (the admin's Refresh).
    const parked = await adminQuery<{ rows: EventRow[] }>('events', { status: 'parked', fresh: true });
    expect(parked.rows.map((r) => r.id)).toContain(target.id);
    await adminMutation('replayEvent', { eventId: target.id, actionId: action() });
    await world.server.worker.drain();
    await waitFor(
      'the replayed event processed',
      async () => (await world.server.deps.db.c.webhookEvents.findOne({ _id: target.id }))?.status === 'processed',
    );
    const audit = await lastAudit(user.id, 'replay_event');
    expect(JSON.parse(audit.before!).status).toBe('parked');
    expect(JSON.parse(audit.after!).status).toMatch(/pending|processing|processed/);
  });
});

describe('account actions', () => {
  it('revokes sessions, disables and enables an account, audited', async () => {
    const user = await verifiedUser(world);
    expect((await trpc(world, user.cookie, 'query', 'auth.me')).status).toBe(200);
    await adminMutation('revokeSessions', { userId: user.id, actionId: action() });
    expect((await trpc(world, user.cookie, 'query', 'billing.summary')).status).toBe(401);
    expect(JSON.parse((await lastAudit(user.id, 'revoke_sessions')).before!).sessions).toBe(1);

    const { cookie } = await world.server.deps.sessions.create(user.id, { ip: '127.0.0.1', userAgent: 'test' });
    const fresh = cookie.split(';')[0] as string;
    await adminMutation('setDisabled', { userId: user.id, disabled: true, actionId: action() });
    expect((await trpc(world, fresh, 'query', 'billing.summary')).status).toBe(401);
    expect((await world.server.deps.db.c.users.findOne({ _id: user.id }))?.disabled).toBe(true);
    await adminMutation('setDisabled', { userId: user.id, disabled: false, actionId: action() });
    expect((await world.server.deps.db.c.users.findOne({ _id: user.id }))?.disabled).toBe(false);
    expect(JSON.parse((await lastAudit(user.id, 'enable')).after!).disabled).toBe(false);

    // An admin cannot lock themselves out.
    const self = await trpc(world, admin.cookie, 'mutation', 'admin.setDisabled', {
      userId: admin.id,
      disabled: true,
      actionId: action(),
    });
    expect(self.status).toBe(400);
  });

  it('promotes and demotes; the demotion takes effect on the very next request despite the session cache', async () => {
    const user = await verifiedUser(world);
    expect((await trpc(world, user.cookie, 'query', 'admin.overview')).status).toBe(403);
    await adminMutation('setRole', { userId: user.id, role: 'admin', actionId: action() });
    expect((await trpc(world, user.cookie, 'query', 'admin.overview')).status).toBe(200);
    // The session is now cached as an admin's; the demotion must evict it.
    expect((await trpc(world, user.cookie, 'query', 'admin.overview')).status).toBe(200);
    await adminMutation('setRole', { userId: user.id, role: 'user', actionId: action() });
    expect((await trpc(world, user.cookie, 'query', 'admin.overview')).status).toBe(403);
    const demoted = await lastAudit(user.id, 'set_role_user');
    expect(JSON.parse(demoted.before!).role).toBe('admin');
    expect(JSON.parse(demoted.after!).role).toBe('user');
  });
});

describe('reconciler', () => {
  it('runs a dry run (report returned, nothing stored) and a real run (listed)', { timeout: 120_000 }, async () => {
    await subscribe(await verifiedUser(world), 'pro');
    await settle(world);
    const dry = await adminMutation<{ report: { dryRun: boolean; counts: { checked: number } } }>('startReconcile', {
      dryRun: true,
      actionId: action(),
    });
    expect(dry.report.dryRun).toBe(true);
    expect(dry.report.counts.checked).toBeGreaterThan(0);
    await adminMutation('startReconcile', { dryRun: false, actionId: action() });
    await waitFor(
      'a finished real run listed',
      async () => {
        const { runs } = await adminQuery<{ runs: { status: string; dryRun: boolean }[] }>('reconcilerRuns');
        return runs.some((r) => !r.dryRun && r.status !== 'running');
      },
      60_000,
    );
    const { entries } = await adminQuery<{ entries: AuditView[] }>('audit');
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['reconcile', 'reconcile_dry_run']));
  });
});

/** Polls `check` until it holds; the deadline only stops a test that would otherwise hang. */
