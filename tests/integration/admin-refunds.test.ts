// Admin refunds against the Stripe emulator: a full and a partial refund of a paid invoice each take
// effect in Stripe, are audited with amounts, email the subscriber once (duplicated webhooks
// included) and show on the invoice lists; amounts over what is left are refused naming the field,
// changing nothing. A refund made in Stripe itself (its dashboard) is emailed from its webhook.
// What credit notes already gave back of an invoice (to the balance, the card or outside Stripe) is
// no longer refundable.
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import type { AuditView } from '../../src/admin/audit';
import type { SubscriberDetail } from '../../src/admin/subscribers';
import type { InvoiceRow } from '../../src/billing/dashboard';
import {
  type BillingWorld,
  settle,
  startBillingWorld,
  subscribeThroughCheckout,
  trpc,
  verifiedUser,
  waitFor,
} from '../setup/billing';

let world: BillingWorld;
let admin: { id: string; email: string; cookie: string };

beforeAll(async () => {
  world = await startBillingWorld();
  admin = await verifiedUser(world, 'Rita Refunder', { role: 'admin' });
});
afterAll(() => world?.close());

const action = () => randomUUID().replaceAll('-', '');

type RefundError = { message: string; data?: { code: string; fieldErrors?: Record<string, string> } };

async function refund(input: { userId: string; invoiceId: string; amount: number; reason?: string; note?: string }) {
  const res = await trpc<{ refundId: string; amount: number }>(world, admin.cookie, 'mutation', 'admin.refundInvoice', {
    reason: 'requested_by_customer',
    actionId: action(),
    ...input,
  });
  return { ...res, error: res.error as RefundError | undefined };
}

/** A Pro subscriber past their trial: the first $12.00 invoice paid by card. */
async function payingSubscriber() {
  const user = await verifiedUser(world, 'Paying Pat');
  await subscribeThroughCheckout(world, user, 'pro');
  const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
  await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
  await settle(world);
  const invoice = (await invoices(user)).find((i) => i.status === 'paid' && i.amountPaid > 0);
  expect(invoice, 'a paid invoice after the trial').toMatchObject({ amountPaid: 1200, amountRefunded: 0, refundable: 1200 });
  const stripeInvoice = await world.stripe.invoices.retrieve(invoice!.id, { expand: ['payments'] });
  const pi = stripeInvoice.payments!.data[0]!.payment.payment_intent as string;
  return { user, customer, invoice: invoice!, pi };
}

async function invoices(user: { cookie: string }): Promise<InvoiceRow[]> {
  const res = await trpc<{ invoices: InvoiceRow[] }>(world, user.cookie, 'query', 'billing.invoices');
  expect(res.status, res.error?.message).toBe(200);
  return res.data.invoices;
}

async function charge(pi: string): Promise<Stripe.Charge> {
  return (await world.stripe.charges.list({ payment_intent: pi })).data[0]!;
}

async function refundAudits(userId: string): Promise<AuditView[]> {
  const res = await trpc<{ entries: AuditView[] }>(world, admin.cookie, 'query', 'admin.audit', { userId });
  return res.data.entries.filter((e) => e.action === 'refund');
}

async function refundEmails(to: string) {
  return world.server.deps.db.c.emailOutbox.find({ _id: /^refund:/, to }).toArray();
}

describe('refunding a paid invoice', () => {
  it('a full refund: in Stripe, audited, one email despite duplicated webhooks, on both invoice lists; again is refused', {
    timeout: 120_000,
  }, async () => {
    const { user, invoice, pi } = await payingSubscriber();
    // Every refund event is delivered twice.
    await world.control.injectWebhookFault({
      action: 'duplicate',
      count: 10,
      types: ['refund.created', 'charge.refunded'],
    });
    const done = await refund({
      userId: user.id,
      invoiceId: invoice.id,
      amount: 1200,
      reason: 'duplicate',
      note: 'Charged twice',
    });
    expect(done.status, done.error?.message).toBe(200);

    const refunds = await world.stripe.refunds.list({ payment_intent: pi });
    expect(refunds.data.map((r) => [r.id, r.amount, r.reason])).toEqual([[done.data.refundId, 1200, 'duplicate']]);
    expect(refunds.data[0]!.metadata).toMatchObject({ note: 'Charged twice', dropin_invoice: invoice.id });
    expect(await charge(pi)).toMatchObject({ amount_refunded: 1200, refunded: true });

    const [audit] = await refundAudits(user.id);
    expect(audit).toMatchObject({ actorEmail: admin.email, targetType: 'invoice', targetId: invoice.id, outcome: 'ok' });
    expect(JSON.parse(audit!.before!)).toMatchObject({ currency: 'usd', paid: 1200, refunded: 0, refundable: 1200 });
    expect(JSON.parse(audit!.after!)).toMatchObject({ paid: 1200, refunded: 1200, refundable: 0 });

    // The action's own sync sent the email; the (duplicated) webhooks send nothing more.
    expect((await refundEmails(user.email)).map((m) => m.subject)).toEqual(['Refund of $12.00 for DropIn Pro']);
    await settle(world);
    await world.control.clearFaults();
    // The app did receive each refund event a second time.
    const created = (await world.stripe.events.list({ type: 'refund.created' })).data.find(
      (e) => (e.data.object as Stripe.Refund).id === done.data.refundId,
    );
    await waitFor('the duplicate delivery', async () =>
      Boolean(await world.server.deps.db.c.webhookDuplicates.findOne({ eventId: created!.id })),
    );
    const emails = await refundEmails(user.email);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ _id: `refund:${done.data.refundId}`, status: 'sent' });

    expect((await invoices(user)).find((i) => i.id === invoice.id)).toMatchObject({ amountRefunded: 1200, refundable: 0 });
    const detail = await trpc<SubscriberDetail>(world, admin.cookie, 'query', 'admin.subscriber', { userId: user.id });
    expect(detail.data.invoices.find((i) => i.id === invoice.id)).toMatchObject({ amountRefunded: 1200, refundable: 0 });

    // Nothing is left: refused, naming the amount, and nothing changes.
    const again = await refund({ userId: user.id, invoiceId: invoice.id, amount: 100 });
    expect(again.status).toBe(409);
    expect(again.error?.data?.fieldErrors?.amount).toBe('This invoice has already been refunded in full.');
    expect((await world.stripe.refunds.list({ payment_intent: pi })).data).toHaveLength(1);
    expect(await refundAudits(user.id)).toHaveLength(1);
  });

  it('a partial refund shows as partial; more than what is left is refused naming the field, changing nothing', {
    timeout: 120_000,
  }, async () => {
    const { user, invoice, pi } = await payingSubscriber();
    const half = await refund({ userId: user.id, invoiceId: invoice.id, amount: 600 });
    expect(half.status, half.error?.message).toBe(200);
    expect(await charge(pi)).toMatchObject({ amount_refunded: 600, refunded: false });
    expect((await invoices(user)).find((i) => i.id === invoice.id)).toMatchObject({ amountRefunded: 600, refundable: 600 });
    expect((await refundEmails(user.email)).map((m) => m.subject)).toEqual(['Refund of $6.00 for DropIn Pro']);
    expect((await refundEmails(user.email))[0]!.text).toContain('of your $12.00 payment');
    const [audit] = await refundAudits(user.id);
    expect(JSON.parse(audit!.after!)).toMatchObject({ refunded: 600, refundable: 600 });

    const tooMuch = await refund({ userId: user.id, invoiceId: invoice.id, amount: 601 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.error?.data?.fieldErrors).toEqual({
      amount: 'The amount $6.01 is more than the $6.00 still refundable on this invoice.',
    });
    const zero = await refund({ userId: user.id, invoiceId: invoice.id, amount: 0 });
    expect(zero.status).toBe(400);
    expect(zero.error?.data?.fieldErrors?.amount).toMatch(/more than zero/);
    expect(await charge(pi)).toMatchObject({ amount_refunded: 600 });
    expect((await world.stripe.refunds.list({ payment_intent: pi })).data).toHaveLength(1);
    expect(await refundAudits(user.id)).toHaveLength(1);

    // The rest can still be refunded.
    const rest = await refund({ userId: user.id, invoiceId: invoice.id, amount: 600 });
    expect(rest.status, rest.error?.message).toBe(200);
    expect((await invoices(user)).find((i) => i.id === invoice.id)).toMatchObject({ amountRefunded: 1200, refundable: 0 });
    await settle(world);
    expect(await refundEmails(user.email)).toHaveLength(2);
  });

  it("refuses another account's invoice and an unpaid one", async () => {
    const { invoice } = await payingSubscriber();
    const other = await verifiedUser(world, 'Other Olive');
    await subscribeThroughCheckout(world, other, 'pro');
    const wrongOwner = await refund({ userId: other.id, invoiceId: invoice.id, amount: 100 });
    expect(wrongOwner.status).toBe(404);
    // Their own first invoice is the trial's $0 one: paid, but by no card payment.
    const trialInvoice = (await invoices(other))[0]!;
    const nothingPaid = await refund({ userId: other.id, invoiceId: trialInvoice.id, amount: 100 });
    expect(nothingPaid.status).toBe(409);
    expect(nothingPaid.error?.data?.fieldErrors?.invoiceId).toMatch(/not paid by card/);
  });

  it("a refund made in Stripe's dashboard is emailed from its webhook, once", async () => {
    const { user, pi } = await payingSubscriber();
    const made = await world.stripe.refunds.create({ payment_intent: pi, amount: 250, reason: 'requested_by_customer' });
    await settle(world);
    await waitFor('the refund email', async () => (await refundEmails(user.email)).length > 0);
    const emails = await refundEmails(user.email);
    expect(emails.map((m) => [m._id, m.subject])).toEqual([[`refund:${made.id}`, 'Refund of $2.50 for DropIn Pro']]);
    expect((await invoices(user)).find((i) => i.amountPaid === 1200)).toMatchObject({ amountRefunded: 250, refundable: 950 });
  });

  it('credit notes count against what is left: after $5.00 credited to the balance and $3.00 refunded by credit note, $4.00', {
    timeout: 120_000,
  }, async () => {
    const { user, invoice, pi } = await payingSubscriber();
    await world.stripe.creditNotes.create({ invoice: invoice.id, amount: 500, credit_amount: 500 });
    await world.stripe.creditNotes.create({ invoice: invoice.id, amount: 300, refund_amount: 300 });
    await settle(world);
    expect((await invoices(user)).find((i) => i.id === invoice.id)).toMatchObject({ amountRefunded: 300, refundable: 400 });

    const tooMuch = await refund({ userId: user.id, invoiceId: invoice.id, amount: 900 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.error?.data?.fieldErrors).toEqual({
      amount: 'The amount $9.00 is more than the $4.00 still refundable on this invoice.',
    });
    expect(await charge(pi)).toMatchObject({ amount_refunded: 300 });

    const rest = await refund({ userId: user.id, invoiceId: invoice.id, amount: 400 });
    expect(rest.status, rest.error?.message).toBe(200);
    expect(await charge(pi)).toMatchObject({ amount_refunded: 700 });
    expect((await invoices(user)).find((i) => i.id === invoice.id)).toMatchObject({ amountRefunded: 700, refundable: 0 });
    const again = await refund({ userId: user.id, invoiceId: invoice.id, amount: 100 });
    expect(again.status).toBe(409);
  });
});
