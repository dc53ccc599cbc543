// Credit notes through the SDK: on a paid invoice (credited to the balance, refunded to the card,
// outside Stripe), on an open invoice (lowering what is due), by invoice line or custom line,
// preview, list, void, the customer balance ledger, the PDF, the hosted invoice page's list,
// Stripe's refusals and the events.
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStripe, type TestStripe } from './testing.js';

let t: TestStripe;
let stripe: Stripe;
beforeAll(async () => {
  t = await startTestStripe();
  stripe = t.stripe;
});
afterAll(() => t.stop());
beforeEach(() => t.control.reset());

/** A 12.00 USD monthly price. */
const proPrice = () =>
  stripe.prices.create({ currency: 'usd', unit_amount: 1200, recurring: { interval: 'month' }, product_data: { name: 'Pro' } });

/** A customer whose invoices `card` pays. */
const customerPaying = (card: string) =>
  stripe.customers.create({ payment_method: card, invoice_settings: { default_payment_method: card } });

/** A 12.00 USD monthly subscription's first invoice, paid by `card` (or left open when it fails). */
async function firstInvoice(card = 'pm_card_visa') {
  const price = await proPrice();
  const customer = await customerPaying(card);
  const sub = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    payment_behavior: 'allow_incomplete',
  });
  const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
  return { customer, sub, invoice, line: invoice.lines.data[0]! };
}

const typesOf = async (customer: string) =>
  (await stripe.events.list({ limit: 100 })).data
    .filter(
      (e) => (e.data.object as { customer?: string }).customer === customer || (e.data.object as { id?: string }).id === customer,
    )
    .map((e) => e.type)
    .reverse();

describe('credit notes on a paid invoice', () => {
  it('credited to the balance: numbered after the invoice, a credit_note balance transaction, invoice and customer updated', async () => {
    const { customer, invoice, line } = await firstInvoice();
    expect(invoice.status).toBe('paid');
    const before = await typesOf(customer.id);
    const note = await stripe.creditNotes.create({
      invoice: invoice.id,
      lines: [{ type: 'invoice_line_item', invoice_line_item: line.id, amount: 500 }],
      credit_amount: 500,
      reason: 'product_unsatisfactory',
      memo: 'Sorry about the outage',
    });
    expect(note).toMatchObject({
      object: 'credit_note',
      status: 'issued',
      number: `${invoice.number}-CN-01`,
      amount: 500,
      total: 500,
      subtotal: 500,
      currency: 'usd',
      customer: customer.id,
      invoice: invoice.id,
      type: 'post_payment',
      pre_payment_amount: 0,
      post_payment_amount: 500,
      out_of_band_amount: null,
      refunds: [],
      reason: 'product_unsatisfactory',
      memo: 'Sorry about the outage',
      voided_at: null,
    });
    expect(note.lines.data).toMatchObject([
      { object: 'credit_note_line_item', type: 'invoice_line_item', invoice_line_item: line.id, amount: 500 },
    ]);
    expect(note.pdf).toMatch(/\/cn\/cn_\w+\/pdf$/);

    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ balance: -500 });
    const txns = await stripe.customers.listBalanceTransactions(customer.id);
    expect(txns.data).toMatchObject([
      {
        id: note.customer_balance_transaction,
        type: 'credit_note',
        amount: -500,
        ending_balance: -500,
        credit_note: note.id,
        invoice: invoice.id,
      },
    ]);
    const txn = await stripe.customers.retrieveBalanceTransaction(customer.id, note.customer_balance_transaction as string);
    expect(txn.amount).toBe(-500);

    const after = await stripe.invoices.retrieve(invoice.id);
    expect(after).toMatchObject({ status: 'paid', post_payment_credit_notes_amount: 500, pre_payment_credit_notes_amount: 0 });
    expect((await typesOf(customer.id)).slice(before.length)).toEqual([
      'credit_note.created',
      'invoice.updated',
      'customer.updated',
    ]);
    expect((await stripe.creditNotes.retrieve(note.id)).number).toBe(note.number);
    const second = await stripe.creditNotes.create({ invoice: invoice.id, amount: 100, out_of_band_amount: 100 });
    expect(second.number).toBe(`${invoice.number}-CN-02`);
    expect(second.lines.data).toEqual([]);
  });

  it('the balance credit lowers what the next invoice will charge', async () => {
    const { sub, invoice } = await firstInvoice();
    await stripe.creditNotes.create({ invoice: invoice.id, amount: 500, credit_amount: 500 });
    const upcoming = await stripe.invoices.createPreview({ subscription: sub.id });
    expect(upcoming).toMatchObject({ total: 1200, starting_balance: -500, amount_due: 700 });
  });

  it('refunded to the card: a Refund on the invoice charge, linked on the credit note', async () => {
    const { customer, invoice } = await firstInvoice();
    const note = await stripe.creditNotes.create({ invoice: invoice.id, amount: 300, refund_amount: 300 });
    expect(note.refunds).toHaveLength(1);
    const refund = await stripe.refunds.retrieve(note.refunds[0]!.refund as string);
    expect(refund).toMatchObject({ amount: 300, status: 'succeeded' });
    expect(note.refunds[0]).toMatchObject({ amount_refunded: 300, type: 'refund' });
    const charge = await stripe.charges.retrieve(refund.charge as string);
    expect(charge).toMatchObject({ amount_refunded: 300, refunded: false, customer: customer.id });
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(0);
    expect(note.customer_balance_transaction).toBeNull();
  });

  it('links an existing refund of the invoice charge instead of refunding again', async () => {
    const { invoice } = await firstInvoice();
    const inv = await stripe.invoices.retrieve(invoice.id, { expand: ['payments'] });
    const refund = await stripe.refunds.create({
      payment_intent: inv.payments!.data[0]!.payment.payment_intent as string,
      amount: 400,
    });
    const note = await stripe.creditNotes.create({ invoice: invoice.id, amount: 400, refunds: [{ refund: refund.id }] });
    expect(note.refunds).toEqual([{ amount_refunded: 400, payment_record_refund: null, refund: refund.id, type: 'refund' }]);
    expect((await stripe.charges.retrieve(refund.charge as string)).amount_refunded).toBe(400);
  });

  it('custom lines and a mixed split; preview answers the same without issuing anything', async () => {
    const { customer, invoice } = await firstInvoice();
    const params: Stripe.CreditNoteCreateParams = {
      invoice: invoice.id,
      lines: [
        { type: 'custom_line_item', description: 'Goodwill', unit_amount: 150, quantity: 2 },
        { type: 'custom_line_item', description: 'Late delivery', unit_amount: 200 },
      ],
      credit_amount: 300,
      refund_amount: 100,
      out_of_band_amount: 100,
    };
    const preview = await stripe.creditNotes.preview(params);
    expect(preview).toMatchObject({ amount: 500, post_payment_amount: 500, number: `${invoice.number}-CN-01` });
    expect(preview.lines.data.map((l) => [l.description, l.quantity, l.unit_amount, l.amount])).toEqual([
      ['Goodwill', 2, 150, 300],
      ['Late delivery', 1, 200, 200],
    ]);
    const previewLines = await stripe.creditNotes.listPreviewLineItems(params);
    expect(previewLines.data.map((l) => l.amount)).toEqual([300, 200]);
    expect((await stripe.creditNotes.list({ invoice: invoice.id })).data).toEqual([]);
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(0);

    const note = await stripe.creditNotes.create(params);
    expect(note).toMatchObject({ amount: 500, out_of_band_amount: 100 });
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(-300);
    const lines = await stripe.creditNotes.listLineItems(note.id);
    expect(lines.data.map((l) => l.description)).toEqual(['Goodwill', 'Late delivery']);
  });

  it('list by invoice and by customer, newest first', async () => {
    const a = await firstInvoice();
    const b = await firstInvoice();
    const one = await stripe.creditNotes.create({ invoice: a.invoice.id, amount: 100, credit_amount: 100 });
    const two = await stripe.creditNotes.create({ invoice: a.invoice.id, amount: 200, credit_amount: 200 });
    const other = await stripe.creditNotes.create({ invoice: b.invoice.id, amount: 100, credit_amount: 100 });
    expect((await stripe.creditNotes.list({ invoice: a.invoice.id })).data.map((n) => n.id)).toEqual([two.id, one.id]);
    expect((await stripe.creditNotes.list({ customer: b.customer.id })).data.map((n) => n.id)).toEqual([other.id]);
    expect((await stripe.creditNotes.list({ limit: 2 })).has_more).toBe(true);
  });

  it('update: memo and metadata, credit_note.updated', async () => {
    const { invoice } = await firstInvoice();
    const note = await stripe.creditNotes.create({ invoice: invoice.id, amount: 100, credit_amount: 100 });
    const updated = await stripe.creditNotes.update(note.id, { memo: 'Fixed', metadata: { ticket: '42' } });
    expect(updated).toMatchObject({ memo: 'Fixed', metadata: { ticket: '42' } });
    const events = await stripe.events.list({ type: 'credit_note.updated' });
    expect(events.data[0]?.data.previous_attributes).toMatchObject({ memo: null });
  });
});

describe('credit notes on an open invoice', () => {
  it('lower what is due; crediting the rest pays the invoice and the subscription starts', async () => {
    const { customer, sub, invoice } = await firstInvoice('pm_card_chargeCustomerFail');
    expect(invoice).toMatchObject({ status: 'open', amount_remaining: 1200 });
    expect(sub.status).toBe('incomplete');
    const note = await stripe.creditNotes.create({ invoice: invoice.id, amount: 500 });
    expect(note).toMatchObject({ type: 'pre_payment', pre_payment_amount: 500, post_payment_amount: 0 });
    expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({
      status: 'open',
      amount_due: 700,
      amount_remaining: 700,
      pre_payment_credit_notes_amount: 500,
    });
    // Nothing was paid: what the credit notes may still take is what is left to pay.
    await expect(stripe.creditNotes.create({ invoice: invoice.id, amount: 900 })).rejects.toMatchObject({
      statusCode: 400,
      message: `The credit note amount ($9.00) is greater than the amount that remains creditable on invoice ${invoice.number} ($7.00).`,
    });
    await expect(stripe.creditNotes.create({ invoice: invoice.id, amount: 200, credit_amount: 200 })).rejects.toMatchObject({
      param: 'credit_amount',
    });
    const rest = await stripe.creditNotes.create({ invoice: invoice.id, amount: 700 });
    expect(rest.number).toBe(`${invoice.number}-CN-02`);
    expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'paid', amount_due: 0, amount_remaining: 0 });
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(0);
  });
});

describe('void', () => {
  it('on an open invoice, once: the amount due comes back, the credit is released, events sent', async () => {
    const { customer, invoice } = await firstInvoice('pm_card_chargeCustomerFail');
    const note = await stripe.creditNotes.create({ invoice: invoice.id, amount: 500 });
    const voided = await stripe.creditNotes.voidCreditNote(note.id);
    expect(voided).toMatchObject({ status: 'void', voided_at: expect.any(Number) });
    expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({
      status: 'open',
      amount_due: 1200,
      amount_remaining: 1200,
      pre_payment_credit_notes_amount: 0,
    });
    expect((await typesOf(customer.id)).slice(-2)).toEqual(['credit_note.voided', 'invoice.updated']);
    await expect(stripe.creditNotes.voidCreditNote(note.id)).rejects.toMatchObject({
      statusCode: 400,
      message: `The credit note ${note.id} has already been voided.`,
    });
    // What the voided note took off is creditable again.
    await expect(stripe.creditNotes.create({ invoice: invoice.id, amount: 1200 })).resolves.toMatchObject({
      number: `${invoice.number}-CN-02`,
      pre_payment_amount: 1200,
    });
  });

  it('refused once the invoice is paid: the refund and the balance credit stand, the invoice cannot be credited again', async () => {
    const { customer, invoice } = await firstInvoice();
    const note = await stripe.creditNotes.create({ invoice: invoice.id, amount: 800, credit_amount: 500, refund_amount: 300 });
    await expect(stripe.creditNotes.voidCreditNote(note.id)).rejects.toMatchObject({
      statusCode: 400,
      param: 'id',
      message: `The credit note ${note.id} cannot be voided because its invoice ${invoice.id} is paid; a credit note can only be voided while its invoice is open.`,
    });
    expect(await stripe.creditNotes.retrieve(note.id)).toMatchObject({ status: 'issued', voided_at: null });
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(-500);
    expect((await stripe.invoices.retrieve(invoice.id)).post_payment_credit_notes_amount).toBe(800);
    expect((await stripe.events.list({ type: 'credit_note.voided' })).data).toEqual([]);
    // $8.00 of the $12.00 invoice is credited: $4.00 is all that is left.
    await expect(stripe.creditNotes.create({ invoice: invoice.id, amount: 1200, credit_amount: 1200 })).rejects.toMatchObject({
      statusCode: 400,
      message: `The credit note amount ($12.00) is greater than the amount that remains creditable on invoice ${invoice.number} ($4.00).`,
    });
  });

  it('refused once credit notes settled the invoice: it stays paid and the subscription active', async () => {
    const { sub, invoice } = await firstInvoice('pm_card_chargeCustomerFail');
    const note = await stripe.creditNotes.create({ invoice: invoice.id, amount: 1200 });
    expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'paid', amount_remaining: 0 });
    await expect(stripe.creditNotes.voidCreditNote(note.id)).rejects.toMatchObject({
      statusCode: 400,
      message: `The credit note ${note.id} cannot be voided because its invoice ${invoice.id} is paid; a credit note can only be voided while its invoice is open.`,
    });
    expect(await stripe.creditNotes.retrieve(note.id)).toMatchObject({ status: 'issued' });
    expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({
      status: 'paid',
      amount_due: 0,
      pre_payment_credit_notes_amount: 1200,
    });
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });
});

describe('refusals', () => {
  it('names what is wrong and changes nothing', async () => {
    const { customer, invoice, line } = await firstInvoice();
    const refused = (params: Partial<Stripe.CreditNoteCreateParams>) =>
      stripe.creditNotes.create({ invoice: invoice.id, ...params } as Stripe.CreditNoteCreateParams);
    await expect(refused({ amount: 1300, credit_amount: 1300 })).rejects.toMatchObject({
      message: `The credit note amount ($13.00) is greater than the amount that remains creditable on invoice ${invoice.number} ($12.00).`,
      param: 'amount',
    });
    await expect(refused({})).rejects.toMatchObject({ code: 'parameter_missing' });
    await expect(refused({ amount: 500 })).rejects.toMatchObject({
      message:
        "The sum of credit_amount, refund_amount, refunds and out_of_band_amount ($0.00) must equal the credit note's post-payment amount ($5.00).",
    });
    await expect(
      refused({ lines: [{ type: 'invoice_line_item', invoice_line_item: line.id, amount: 1500 }], credit_amount: 1500 }),
    ).rejects.toMatchObject({ param: 'lines[0][amount]' });
    await expect(
      refused({ lines: [{ type: 'invoice_line_item', invoice_line_item: 'il_nope', amount: 100 }], credit_amount: 100 }),
    ).rejects.toMatchObject({ param: 'lines[0][invoice_line_item]', code: 'resource_missing' });
    await expect(refused({ lines: [{ type: 'custom_line_item', unit_amount: 100 }], credit_amount: 100 })).rejects.toMatchObject({
      message: 'Missing required param: lines[0][description].',
    });
    await expect(
      refused({ amount: 100, lines: [{ type: 'custom_line_item', description: 'x', unit_amount: 200 }], credit_amount: 100 }),
    ).rejects.toMatchObject({
      param: 'amount',
    });
    await expect(stripe.creditNotes.create({ invoice: 'in_missing', amount: 1 })).rejects.toMatchObject({
      statusCode: 404,
      param: 'invoice',
    });
    await expect(stripe.creditNotes.retrieve('cn_missing')).rejects.toMatchObject({
      statusCode: 404,
      message: "No such credit_note: 'cn_missing'",
    });
    expect((await stripe.creditNotes.list({ customer: customer.id })).data).toEqual([]);
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(0);
  });

  it('a refund larger than what is left on the charge, and an invoice paid without a card', async () => {
    const { invoice } = await firstInvoice();
    const inv = await stripe.invoices.retrieve(invoice.id, { expand: ['payments'] });
    await stripe.refunds.create({ payment_intent: inv.payments!.data[0]!.payment.payment_intent as string, amount: 1000 });
    await expect(stripe.creditNotes.create({ invoice: invoice.id, amount: 500, refund_amount: 500 })).rejects.toMatchObject({
      code: 'amount_too_large',
      param: 'refund_amount',
    });
    const open = await firstInvoice('pm_card_chargeCustomerFail');
    await stripe.invoices.pay(open.invoice.id, { paid_out_of_band: true });
    await expect(stripe.creditNotes.create({ invoice: open.invoice.id, amount: 100, refund_amount: 100 })).rejects.toMatchObject({
      param: 'refund_amount',
    });
  });

  it('draft and void invoices take no credit notes', async () => {
    const { invoice } = await firstInvoice('pm_card_chargeCustomerFail');
    await stripe.invoices.voidInvoice(invoice.id);
    await expect(stripe.creditNotes.create({ invoice: invoice.id, amount: 100 })).rejects.toMatchObject({
      message: `Credit notes can only be issued for open or paid invoices; invoice ${invoice.id} is void.`,
    });
  });
});

describe('the customer balance ledger', () => {
  it('records a balance set on the customer and the credit a finalized invoice uses', async () => {
    const price = await proPrice();
    const customer = await customerPaying('pm_card_visa');
    await stripe.customers.update(customer.id, { balance: -300 });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const txns = await stripe.customers.listBalanceTransactions(customer.id);
    expect(txns.data.map((x) => [x.type, x.amount, x.ending_balance, x.invoice])).toEqual([
      ['applied_to_invoice', 300, 0, sub.latest_invoice],
      ['adjustment', -300, -300, null],
    ]);
    expect(
      (await stripe.customers.listBalanceTransactions(customer.id, { invoice: sub.latest_invoice as string })).data,
    ).toHaveLength(1);
    await expect(stripe.customers.retrieveBalanceTransaction(customer.id, 'cbtxn_missing')).rejects.toMatchObject({
      statusCode: 404,
    });
  });
});

describe('hosted invoice page', () => {
  it("lists the invoice's credit notes, each with its PDF, a voided one struck through", async () => {
    const { invoice } = await firstInvoice('pm_card_chargeCustomerFail');
    const voided = await stripe.creditNotes.create({ invoice: invoice.id, amount: 200 });
    await stripe.creditNotes.voidCreditNote(voided.id);
    const kept = await stripe.creditNotes.create({ invoice: invoice.id, amount: 300 });
    const page = await (await fetch((await stripe.invoices.retrieve(invoice.id)).hosted_invoice_url!)).text();
    const section = page.slice(page.indexOf('<h2 id="cn-title">Credit notes</h2>'));
    expect(section).toContain(`<a href="/cn/${voided.id}/pdf">${voided.number}</a>`);
    expect(section).toMatch(/voided<\/span><\/td><td class="num"><s>\$2\.00<\/s>/);
    expect(section).toContain(`<a href="/cn/${kept.id}/pdf">${kept.number}</a>`);
    expect(section).toContain('−$3.00');
    // Oldest first.
    expect(section.indexOf(voided.number)).toBeLessThan(section.indexOf(kept.number));
    // An invoice without credit notes shows none.
    const other = await firstInvoice();
    expect(await (await fetch(other.invoice.hosted_invoice_url!)).text()).not.toContain('Credit notes');
  });
});

describe('PDF', () => {
  it('is a PDF that names the credit note', async () => {
    const { invoice } = await firstInvoice();
    const note = await stripe.creditNotes.create({ invoice: invoice.id, amount: 500, credit_amount: 500 });
    const res = await fetch(note.pdf);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toContain(note.number);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect((await fetch(note.pdf.replace(note.id, 'cn_missing'))).status).toBe(404);
  });
});
