// The subscription lifecycle end to end against the Stripe emulator, with real webhooks signed
// and delivered to the server, a real FerretDB and Mailpit.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payCheckout, DAY } from '../../src/dev/stripe-emulator/testing';
import type { BillingSummary } from '../../src/billing/dashboard';
import type { ChangePreview } from '../../src/billing/changes';
import { startBillingWorld, trpc, verifiedUser, type BillingWorld, settle } from '../setup/billing';
import { inbox } from '../setup/mailpit';

let world: BillingWorld;
beforeAll(async () => {
  world = await startBillingWorld();
});
afterAll(() => world?.close());

const action = () => randomUUID().replaceAll('-', '');

async function subscribe(user: { cookie: string }, planId: 'pro' | 'business', card = '4242424242424242') {
  const start = await trpc<{ url: string }>(world, user.cookie, 'mutation', 'billing.startCheckout', {
    planId,
    interval: 'month',
    actionId: action(),
  });
  expect(start.status, start.error?.message).toBe(200);
  const paid = await payCheckout(start.data.url, { number: card });
  expect(paid.status, paid.html.slice(0, 300)).toBe(303);
  const sessionId = new URL(paid.location as string).searchParams.get('session_id');
  expect(sessionId).toMatch(/^cs_/);
  const done = await trpc(world, user.cookie, 'mutation', 'billing.completeCheckout', { sessionId });
  expect(done.status, done.error?.message).toBe(200);
}

async function summary(user: { cookie: string }) {
  const res = await trpc<BillingSummary>(world, user.cookie, 'query', 'billing.summary');
  expect(res.status, res.error?.message).toBe(200);
  return res.data;
}

describe('subscribing', () => {
  it('lists the plans with Stripe amounts for everyone', async () => {
    const res = await fetch(`${world.server.env.PUBLIC_URL}/trpc/billing.plans`);
    const body = (await res.json()) as {
      result: { data: { plans: { id: string; prices: { month: { amount: number } | null } }[] } };
    };
    expect(body.result.data.plans.map((p) => p.id)).toEqual(['free', 'pro', 'business']);
    expect(body.result.data.plans[1]?.prices.month?.amount).toBe(1200);
  });

  it('refuses checkout until the email is verified', async () => {
    const { createUser } = await import('../../src/auth/users');
    const u = await createUser(world.server.deps, {
      email: `unverified-${action()}@example.test`,
      password: 'some long password',
      name: 'U',
      emailVerified: false,
    });
    const { cookie } = await world.server.deps.sessions.create(u._id, { ip: '127.0.0.1', userAgent: 't' });
    const res = await trpc(world, cookie.split(';')[0] as string, 'mutation', 'billing.startCheckout', {
      planId: 'pro',
      interval: 'month',
      actionId: action(),
    });
    expect(res.status).toBe(403);
    expect(res.error?.message).toMatch(/verify your email/i);
  });

  it('checkout → the success page shows Pro trialing at once, before any webhook', async () => {
    await world.control.injectWebhookFault({ action: 'delay', delayMs: 3_000, count: 50 });
    const user = await verifiedUser(world);
    await subscribe(user, 'pro');
    const s = await summary(user);
    expect(s.plan.id).toBe('pro');
    expect(s.subscription?.status).toBe('trialing');
    expect(s.subscription?.trialDaysLeft).toBe(14);
    expect(s.paymentMethod?.last4).toBe('4242');
    await world.control.clearFaults();
  });

  it('a double click on checkout makes one session (idempotency key from the action)', async () => {
    const user = await verifiedUser(world);
    const id = action();
    const [a, b] = await Promise.all([
      trpc<{ url: string }>(world, user.cookie, 'mutation', 'billing.startCheckout', {
        planId: 'pro',
        interval: 'year',
        actionId: id,
      }),
      trpc<{ url: string }>(world, user.cookie, 'mutation', 'billing.startCheckout', {
        planId: 'pro',
        interval: 'year',
        actionId: id,
      }),
    ]);
    expect(a.data.url).toBe(b.data.url);
  });

  it('webhooks: duplicates are acknowledged and processed once; one welcome email', async () => {
    const user = await verifiedUser(world);
    await world.control.injectWebhookFault({ action: 'duplicate', count: 20 });
    await subscribe(user, 'business');
    await settle(world);
    await world.control.clearFaults();
    const rows = await world.server.deps.db.c.webhookEvents.find({ customerId: { $ne: null } }).toArray();
    expect(
      await world.server.deps.db.c.webhookDuplicates.countDocuments({ eventId: { $in: rows.map((r) => r._id) } }),
    ).toBeGreaterThan(0);
    expect(rows.every((r) => r.status === 'processed')).toBe(true);
    const welcome = (await inbox(user.email)).filter((m) => /welcome/i.test(m.subject));
    expect(welcome).toHaveLength(1);
  });
});

describe('changing the plan', () => {
  it('upgrade: the preview equals the invoice Stripe then bills', async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'pro');
    // End the trial so the change is prorated against a paid period.
    const sub = (await summary(user)).subscription!;
    await world.stripe.subscriptions.update(sub.id, { trial_end: 'now' });
    const { syncCustomer } = await import('../../src/billing/sync');
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    await syncCustomer(world.server.deps, customer, { source: 'user.action' });
    await world.control.advanceCustomer(customer, { seconds: 10 * DAY });

    const preview = await trpc<ChangePreview>(world, user.cookie, 'query', 'billing.previewChange', {
      planId: 'business',
      interval: 'month',
    });
    expect(preview.status, preview.error?.message).toBe(200);
    expect(preview.data.direction).toBe('upgrade');
    expect(preview.data.amountDue).toBeGreaterThan(0);
    expect(preview.data.amountDue).toBeLessThan(4_900);
    // Business's overage terms, for the dialog to state once.
    expect(preview.data.overage).toEqual({ included: 100_000, unitAmount: 1 });

    const changed = await trpc<BillingSummary>(world, user.cookie, 'mutation', 'billing.changePlan', {
      planId: 'business',
      interval: 'month',
      prorationDate: preview.data.prorationDate,
      actionId: action(),
    });
    expect(changed.status, changed.error?.message).toBe(200);
    expect(changed.data.plan.id).toBe('business');
    const invoices = await world.stripe.invoices.list({ customer, limit: 5 });
    const prorationInvoice = invoices.data[0]!;
    expect(prorationInvoice.amount_due).toBe(preview.data.amountDue);
  });

  it('two fast clicks on "Confirm change" make one change', async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'pro');
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))?.stripeCustomerId as string;
    const preview = await trpc<ChangePreview>(world, user.cookie, 'query', 'billing.previewChange', {
      planId: 'business',
      interval: 'year',
    });
    const input = { planId: 'business', interval: 'year', prorationDate: preview.data.prorationDate, actionId: action() };
    const subId = (await summary(user)).subscription?.id;
    const updates = async () =>
      (await world.stripe.events.list({ type: 'customer.subscription.updated', limit: 100 })).data.filter(
        (e) => (e.data.object as { id: string }).id === subId,
      ).length;
    const before = await updates();
    const [a, b] = await Promise.all([
      trpc<BillingSummary>(world, user.cookie, 'mutation', 'billing.changePlan', input),
      trpc<BillingSummary>(world, user.cookie, 'mutation', 'billing.changePlan', input),
    ]);
    // The second click either replays the first (same idempotency key) or finds the plan already changed.
    expect([a.status, b.status]).toContain(200);
    expect((await updates()) - before).toBe(1);
    expect(customer).toMatch(/^cus_/);
    expect((await summary(user)).plan.id).toBe('business');
  });

  it('Stripe rate limiting becomes a clear message and changes nothing', async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'pro');
    await world.control.injectApiFault({ status: 429, count: 10, pathPrefix: '/v1/subscriptions' });
    const res = await trpc(world, user.cookie, 'mutation', 'billing.cancel', { reason: null, comment: '', actionId: action() });
    await world.control.clearFaults();
    expect(res.status).toBe(429);
    expect(res.error?.message).toMatch(/busy/i);
    expect((await summary(user)).subscription?.cancelAtPeriodEnd).toBe(false);
  });

  it('cancel at period end, then resume', async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'pro');
    const cancelled = await trpc<BillingSummary>(world, user.cookie, 'mutation', 'billing.cancel', {
      reason: 'too_expensive',
      comment: 'testing',
      actionId: action(),
    });
    expect(cancelled.status, cancelled.error?.message).toBe(200);
    expect(cancelled.data.subscription?.cancelAtPeriodEnd).toBe(true);
    expect(cancelled.data.alerts.map((a) => [a.kind, a.severity])).toEqual([['cancel_scheduled', 'notice']]);
    const resumed = await trpc<BillingSummary>(world, user.cookie, 'mutation', 'billing.resume', { actionId: action() });
    expect(resumed.data.subscription?.cancelAtPeriodEnd).toBe(false);
    expect(resumed.data.alerts).toEqual([]);
  });
});

describe('time passing', () => {
  it('trial → active → renewal invoice listed with PDF; failed payment → past_due → fixed → active', async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'pro');
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;

    await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle(world);
    let s = await summary(user);
    expect(s.subscription?.status).toBe('active');

    const inv = await trpc<{ invoices: { status: string; total: number; pdfUrl: string | null }[] }>(
      world,
      user.cookie,
      'query',
      'billing.invoices',
    );
    const paid = inv.data.invoices.find((i) => i.status === 'paid' && i.total === 1200);
    expect(paid?.pdfUrl).toBeTruthy();
    const pdf = await fetch(paid!.pdfUrl!);
    expect(pdf.headers.get('content-type')).toContain('application/pdf');

    // The card starts failing: the next renewal fails and the subscription goes past_due.
    const pmId = (await world.server.deps.db.c.subscriptions.findOne({ customerId: customer }))!.defaultPaymentMethod!.id;
    await world.control.setCardBehavior(pmId, 'decline_insufficient_funds');
    await world.control.advanceCustomer(customer, { seconds: 31 * DAY });
    await settle(world);
    s = await summary(user);
    expect(s.subscription?.status).toBe('past_due');
    // The alert the app shows on every page: pay the open invoice or update the card.
    expect(s.alerts).toHaveLength(1);
    expect(s.alerts[0]).toMatchObject({ kind: 'payment_failed', severity: 'action_required' });
    expect(s.alerts[0]?.actions.map((a) => a.kind)).toEqual(['pay_invoice', 'update_payment_method']);
    expect((await inbox(user.email)).some((m) => /payment failed/i.test(m.subject))).toBe(true);

    // The customer fixes the card and pays the open invoice: active again without support.
    await world.control.setCardBehavior(pmId, 'succeed');
    await world.stripe.invoices.pay(s.subscription!.latestInvoice!.id);
    await settle(world);
    s = await summary(user);
    expect(s.subscription?.status).toBe('active');
    expect(s.alerts).toEqual([]);
  });
});

describe('leaving', () => {
  it('deleting the account cancels its subscription in Stripe first', async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'pro');
    const sub = (await summary(user)).subscription!;
    const res = await trpc(world, user.cookie, 'mutation', 'account.deleteAccount', {
      password: 'billing test password',
      confirm: 'DELETE',
    });
    expect(res.status, res.error?.message).toBe(200);
    expect((await world.stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
    await settle(world);
    // Later webhooks may mirror the ended subscription again, but it belongs to no one.
    const row = await world.server.deps.db.c.subscriptions.findOne({ _id: sub.id });
    expect(row === null || (row.status === 'canceled' && row.userId === null)).toBe(true);
    expect(await world.server.deps.db.c.users.countDocuments({ _id: user.id })).toBe(0);
  });

  it('refuses to delete an account whose subscription cannot be cancelled (Stripe down), removing nothing', async () => {
    const user = await verifiedUser(world);
    await subscribe(user, 'pro');
    await world.control.injectApiFault({ status: 500, count: 20, pathPrefix: '/v1/subscriptions' });
    const res = await trpc(world, user.cookie, 'mutation', 'account.deleteAccount', {
      password: 'billing test password',
      confirm: 'DELETE',
    });
    await world.control.clearFaults();
    expect(res.status).toBe(503);
    expect(await world.server.deps.db.c.users.countDocuments({ _id: user.id })).toBe(1);
  });
});
