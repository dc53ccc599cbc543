// Credit notes issued in Stripe (as an admin would in Stripe's Dashboard, here through the SDK)
// reach DropIn by their webhooks: they show under their invoice on the subscriber's invoice list and
// the admin's subscriber page, with the amount and where it went; credit to the balance lowers the
// next charge, and what a credit note gave back is no longer refundable; the subscriber gets an
// email for each, unless a card refund's own email says it all. One voided (while its invoice is
// open) is shown as voided, the amount due is back, and the subscriber is told. Crediting an unpaid
// renewal in full settles it: the subscription is active again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import type { SubscriberDetail } from '../../src/admin/subscribers';
import type { BillingSummary, InvoiceRow, NextCharge } from '../../src/billing/dashboard';
import { type BillingWorld, settle, startBillingWorld, subscribeThroughCheckout, trpc, verifiedUser } from '../setup/billing';

let world: BillingWorld;
let admin: { id: string; email: string; cookie: string };

beforeAll(async () => {
  world = await startBillingWorld();
  admin = await verifiedUser(world, 'Cora Credit', { role: 'admin' });
});
afterAll(() => world?.close());

/** A Pro subscriber past their trial: the first $12.00 invoice paid by card. */
async function payingSubscriber(name: string) {
  const user = await verifiedUser(world, name);
  await subscribeThroughCheckout(world, user, 'pro');
  const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
  await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
  await settle(world);
  const invoice = (await invoices(user)).find((i) => i.status === 'paid' && i.amountPaid > 0);
  expect(invoice, 'a paid invoice after the trial').toMatchObject({ amountPaid: 1200, creditNotes: [] });
  return { user, customer, invoice: invoice! };
}

/** A paying subscriber whose renewal was declined: the subscription past due, its $12.00 invoice open. */
async function pastDueSubscriber(name: string) {
  const { user, customer } = await payingSubscriber(name);
  const sub = (await world.server.deps.db.c.subscriptions.findOne({ userId: user.id }))!;
  await world.control.setCardBehavior(sub.defaultPaymentMethod!.id, 'decline_insufficient_funds');
  await world.control.advanceCustomer(customer, { seconds: 31 * DAY });
  await settle(world);
  const failing = (await world.server.deps.db.c.subscriptions.findOne({ _id: sub._id }))!;
  expect(failing.status).toBe('past_due');
  const open = failing.latestInvoice!;
  expect(open).toMatchObject({ status: 'open', amountDue: 1200 });
  return { user, sub, open };
}

async function query<T>(user: { cookie: string }, path: string, input?: unknown): Promise<T> {
  const res = await trpc<T>(world, user.cookie, 'query', path, input);
  expect(res.status, res.error?.message).toBe(200);
  return res.data;
}

const invoices = async (user: { cookie: string }) => (await query<{ invoices: InvoiceRow[] }>(user, 'billing.invoices')).invoices;
const nextCharge = async (user: { cookie: string }) =>
  (await query<{ charge: NextCharge | null }>(user, 'billing.nextCharge')).charge;
const balance = async (user: { cookie: string }) => (await query<BillingSummary>(user, 'billing.summary')).balance.amount;
const creditNoteEmails = (to: string) => world.server.deps.db.c.emailOutbox.find({ _id: /^credit-note:/, to }).toArray();

describe('credit notes issued in Stripe', () => {
  it('credited to the balance: listed under the invoice for the subscriber and the admin, and taken off the next charge', async () => {
    const { user, customer, invoice } = await payingSubscriber('Bal Ance');
    expect((await nextCharge(user))?.amountDue).toBe(1200);

    const note = await world.stripe.creditNotes.create({
      invoice: invoice.id,
      amount: 500,
      credit_amount: 500,
      reason: 'product_unsatisfactory',
    });
    await settle(world);

    // The app heard of it (the event names the customer, so the customer is synced).
    const inbox = await world.server.deps.db.c.webhookEvents.findOne({ type: 'credit_note.created', objectId: note.id });
    expect(inbox).toMatchObject({ customerId: customer, status: 'processed' });

    const row = (await invoices(user)).find((i) => i.id === invoice.id)!;
    expect(row.creditNotes).toEqual([
      {
        id: note.id,
        number: `${invoice.number}-CN-01`,
        amount: 500,
        currency: 'usd',
        date: expect.any(String),
        voided: false,
        parts: [{ kind: 'balance', amount: 500 }],
        destination: 'credited to your balance',
        adminDestination: "credited to the customer's balance",
        pdfUrl: note.pdf,
      },
    ]);
    // Credit, not a refund: nothing went back to the card, but $5.00 of the $12.00 is given back.
    expect(row).toMatchObject({ amountRefunded: 0, refundable: 700 });
    expect(await balance(user)).toBe(-500);
    expect(await nextCharge(user)).toMatchObject({ amountDue: 700, creditUsed: 500, subtotal: 1200 });

    const detail = await query<SubscriberDetail>(admin, 'admin.subscriber', { userId: user.id });
    expect(detail.invoices.find((i) => i.id === invoice.id)?.creditNotes).toEqual(row.creditNotes);

    const pdf = await fetch(row.creditNotes[0]!.pdfUrl!);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');

    // The subscriber is told once, in the words of their invoice list.
    const [email, ...more] = await creditNoteEmails(user.email);
    expect(more).toEqual([]);
    expect(email).toMatchObject({ _id: `credit-note:${note.id}`, subject: `Credit of $5.00 on invoice ${invoice.number}` });
    expect(email!.text).toContain(
      `We issued credit note ${invoice.number}-CN-01 for $5.00 on invoice ${invoice.number}, for the service not being what you expected: credited to your balance.`,
    );
    expect(email!.text).toContain('Your next invoices use the credit on your balance before your card is charged.');
  });

  it('refunded to the card: shown as a refund on the invoice and as the credit note under it', async () => {
    const { user, invoice } = await payingSubscriber('Ref Und');
    await world.stripe.creditNotes.create({ invoice: invoice.id, amount: 300, refund_amount: 300 });
    await settle(world);
    const row = (await invoices(user)).find((i) => i.id === invoice.id)!;
    expect(row).toMatchObject({ amountRefunded: 300, refundable: 900 });
    expect(row.creditNotes).toMatchObject([{ amount: 300, destination: 'refunded to your card', voided: false }]);
    expect(await balance(user)).toBe(0);
    expect((await nextCharge(user))?.amountDue).toBe(1200);
    // The refund's own email says it; the credit note sends none.
    const refunds = await world.server.deps.db.c.emailOutbox.find({ _id: /^refund:/, to: user.email }).toArray();
    expect(refunds.map((m) => m.subject)).toEqual(['Refund of $3.00 for DropIn Pro']);
    expect(await creditNoteEmails(user.email)).toEqual([]);
  });

  it('split: the parts are named and neither is refundable any more', async () => {
    const { user, invoice } = await payingSubscriber('Spl It');
    await world.stripe.creditNotes.create({ invoice: invoice.id, amount: 800, credit_amount: 500, refund_amount: 300 });
    await settle(world);
    const row = (await invoices(user)).find((i) => i.id === invoice.id)!;
    expect(row.creditNotes).toMatchObject([
      { amount: 800, destination: '$5.00 credited to your balance and $3.00 refunded to your card' },
    ]);
    expect(row).toMatchObject({ amountRefunded: 300, refundable: 400 });
    expect((await nextCharge(user))?.amountDue).toBe(700);
    const [email, ...more] = await creditNoteEmails(user.email);
    expect(more).toEqual([]);
    expect(email!.text).toContain(': $5.00 credited to your balance and $3.00 refunded to your card.');
    expect(email!.text).toContain('a separate email confirms it');
  });

  it('on an unpaid renewal, then voided: listed as voided and the amount due is back', async () => {
    const { user, open } = await pastDueSubscriber('Vo Id');
    const note = await world.stripe.creditNotes.create({ invoice: open.id, amount: 500 });
    await settle(world);
    expect((await invoices(user)).find((i) => i.id === open.id)).toMatchObject({
      status: 'open',
      amountDue: 700,
      creditNotes: [{ id: note.id, destination: 'taken off the amount due', voided: false }],
    });
    expect((await creditNoteEmails(user.email)).map((m) => m.text)).toEqual([
      expect.stringContaining('That invoice now asks for $7.00.'),
    ]);

    await world.stripe.creditNotes.voidCreditNote(note.id);
    await settle(world);
    expect((await invoices(user)).find((i) => i.id === open.id)).toMatchObject({
      status: 'open',
      amountDue: 1200,
      creditNotes: [{ id: note.id, voided: true }],
    });
    expect(await balance(user)).toBe(0);
    // The subscriber was told of the credit, so they are told it was voided.
    const voidedEmails = await world.server.deps.db.c.emailOutbox.find({ _id: `credit-note-voided:${note.id}` }).toArray();
    expect(voidedEmails.map((m) => [m.to, m.subject])).toEqual([[user.email, `Credit note ${note.number} voided`]]);
    expect(voidedEmails[0]!.text).toContain('its credit no longer applies.\n\nThat invoice now asks for $12.00.');
  });

  it('an unpaid renewal credited in full: taken off the amount due, the invoice settled, the subscription active again', async () => {
    const { user, sub, open } = await pastDueSubscriber('Past Due');

    await world.stripe.creditNotes.create({ invoice: open.id, amount: 1200, reason: 'order_change' });
    await settle(world);
    expect((await world.server.deps.db.c.subscriptions.findOne({ _id: sub._id }))!.status).toBe('active');
    const row = (await invoices(user)).find((i) => i.id === open.id)!;
    expect(row).toMatchObject({ status: 'paid', amountDue: 0 });
    expect(row.creditNotes).toMatchObject([{ amount: 1200, destination: 'taken off the amount due', voided: false }]);
    expect(row.words.statusLabel).toBe('Paid with credit');
    expect((await creditNoteEmails(user.email)).map((m) => m.text)).toEqual([
      expect.stringMatching(
        /for \$12\.00 on invoice .+, for a change to your order: taken off the amount due\.\s+Nothing is left to pay on that invoice\./,
      ),
    ]);
  });
});
