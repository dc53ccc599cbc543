// Credit notes: adjust a finalized (open or paid) invoice. A credit note first reduces what is still
// due on an open invoice (its `pre_payment_amount`); what goes beyond that (`post_payment_amount`)
// must be split exactly between a refund to the card (`refund_amount`, or existing `refunds`),
// credit to the customer balance (`credit_amount`) and credit given outside Stripe
// (`out_of_band_amount`). Create, preview (and its lines), retrieve, update, list, lines, void.
import type Stripe from 'stripe';
import { previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { invalidRequest, missingParameter } from '../errors.js';
import { newId } from '../ids.js';
import { fullList, inRange, pageOf, paginate } from '../list.js';
import { listFields, p, parse, type Fields } from '../params.js';
import type { Router } from '../router.js';
import { afterInvoicePayment } from '../engine/billing.js';
import { recordBalanceTransaction } from '../engine/balance.js';
import { refundCharge } from '../engine/charges.js';
import { invoicePaymentOf, markPaid } from '../engine/invoices.js';
import { formatMoney } from '../engine/time.js';
import { decimalString, idOf, mergeMetadata, metadataOf, mustGet } from './common.js';

interface LineParam {
  type?: string;
  invoice_line_item?: string;
  amount?: number;
  quantity?: number;
  unit_amount?: number;
  unit_amount_decimal?: number;
  description?: string;
  metadata?: Record<string, string | null>;
}

interface CreateParams {
  invoice?: string;
  amount?: number;
  credit_amount?: number;
  refund_amount?: number;
  out_of_band_amount?: number;
  refunds?: { refund?: string; amount_refunded?: number; type?: string }[];
  lines?: LineParam[];
  memo?: string;
  metadata?: Record<string, string | null>;
  reason?: Stripe.CreditNote.Reason;
  effective_at?: number;
  email_type?: string;
}

const amount = p.intIn(0, 99_999_999);

const createFields: Fields = {
  invoice: p.str,
  amount,
  credit_amount: amount,
  refund_amount: amount,
  out_of_band_amount: amount,
  refunds: p.arr(p.obj({ refund: p.str, amount_refunded: amount, type: p.enum('refund'), payment_record_refund: p.unsupported })),
  lines: p.arr(
    p.obj({
      type: p.enum('invoice_line_item', 'custom_line_item'),
      invoice_line_item: p.str,
      amount,
      quantity: p.intIn(0, 99_999_999),
      unit_amount: amount,
      unit_amount_decimal: p.num,
      description: p.str,
      metadata: p.meta,
      tax_amounts: p.unsupported,
      tax_rates: p.unsupported,
    }),
  ),
  memo: p.str,
  metadata: p.meta,
  reason: p.enum('duplicate', 'fraudulent', 'order_change', 'product_unsatisfactory'),
  effective_at: p.int,
  email_type: p.enum('credit_note', 'none'),
  shipping_cost: p.unsupported,
};

/** A credit note worked out from its parameters, nothing changed yet (what `preview` answers). */
interface Plan {
  note: Stripe.CreditNote;
  invoice: Stripe.Invoice;
  charge: Stripe.Charge | null;
  refundAmount: number;
  creditAmount: number;
}

const issuedOn = (emu: Emulator, invoiceId: string) =>
  emu.state.creditNotes.newestFirst((n) => n.invoice === invoiceId && n.status === 'issued');

/** The card charge that paid the invoice, if a card paid it. */
function chargeOf(emu: Emulator, invoice: Stripe.Invoice): Stripe.Charge | null {
  const pi = idOf(invoicePaymentOf(emu, invoice.id)?.payment.payment_intent ?? null);
  const intent = pi ? emu.state.paymentIntents.get(pi) : undefined;
  const charge = intent?.status === 'succeeded' ? idOf(intent.latest_charge) : null;
  return (charge && emu.state.charges.get(charge)) || null;
}

function noteLines(emu: Emulator, invoice: Stripe.Invoice, lines: LineParam[]): Stripe.CreditNoteLineItem[] {
  const money = (n: number) => formatMoney(n, invoice.currency);
  // What issued credit notes already credited of each invoice line.
  const credited = new Map<string, number>();
  for (const n of issuedOn(emu, invoice.id))
    for (const l of n.lines.data)
      if (l.invoice_line_item) credited.set(l.invoice_line_item, (credited.get(l.invoice_line_item) ?? 0) + l.amount);
  return lines.map((line, i) => {
    const at = (k: string) => `lines[${i}][${k}]`;
    if (!line.type) throw missingParameter(at('type'));
    if (line.type === 'invoice_line_item') {
      if (!line.invoice_line_item) throw missingParameter(at('invoice_line_item'));
      const il = invoice.lines.data.find((l) => l.id === line.invoice_line_item);
      if (!il)
        throw invalidRequest(`No such invoice line item: '${line.invoice_line_item}' on invoice ${invoice.id}.`, {
          param: at('invoice_line_item'),
          code: 'resource_missing',
        });
      if (line.unit_amount !== undefined || line.unit_amount_decimal !== undefined)
        throw invalidRequest('unit_amount can only be given for lines of type custom_line_item.', { param: at('unit_amount') });
      if (line.amount !== undefined && line.quantity !== undefined)
        throw invalidRequest('Only one of amount or quantity can be given for an invoice line item.', { param: at('amount') });
      const unit = il.quantity ? Math.round(il.amount / il.quantity) : il.amount;
      if (line.quantity !== undefined && il.quantity !== null && line.quantity > il.quantity)
        throw invalidRequest(
          `The quantity to credit (${line.quantity}) is more than the invoice line item's quantity (${il.quantity}).`,
          { param: at('quantity') },
        );
      const value = line.amount ?? (line.quantity !== undefined ? line.quantity * unit : il.amount);
      const left = il.amount - (credited.get(il.id) ?? 0);
      if (value > left)
        throw invalidRequest(
          `The amount to credit for invoice line item ${il.id} (${money(value)}) is more than what remains creditable on it (${money(Math.max(0, left))}).`,
          { param: at(line.amount !== undefined ? 'amount' : 'quantity') },
        );
      credited.set(il.id, (credited.get(il.id) ?? 0) + value);
      const quantity = line.quantity ?? (line.amount === undefined ? il.quantity : null);
      return lineItem({
        type: 'invoice_line_item',
        invoiceLineItem: il.id,
        amount: value,
        description: line.description ?? il.description,
        quantity,
        unitAmount: quantity ? Math.round(value / quantity) : null,
        metadata: line.metadata,
      });
    }
    if (line.invoice_line_item !== undefined || line.amount !== undefined)
      throw invalidRequest('Lines of type custom_line_item take unit_amount and quantity, not invoice_line_item or amount.', {
        param: at(line.amount !== undefined ? 'amount' : 'invoice_line_item'),
      });
    if (!line.description) throw missingParameter(at('description'));
    const unitAmount = line.unit_amount ?? (line.unit_amount_decimal !== undefined ? line.unit_amount_decimal : undefined);
    if (unitAmount === undefined) throw missingParameter(at('unit_amount'));
    const quantity = line.quantity ?? 1;
    return lineItem({
      type: 'custom_line_item',
      invoiceLineItem: null,
      amount: Math.round(unitAmount * quantity),
      description: line.description,
      quantity,
      unitAmount,
      metadata: line.metadata,
    });
  });
}

function lineItem(spec: {
  type: 'invoice_line_item' | 'custom_line_item';
  invoiceLineItem: string | null;
  amount: number;
  description: string | null;
  quantity: number | null;
  unitAmount: number | null;
  metadata?: Record<string, string | null>;
}): Stripe.CreditNoteLineItem {
  return {
    id: newId('cnli'),
    object: 'credit_note_line_item',
    amount: spec.amount,
    description: spec.description,
    discount_amount: 0,
    discount_amounts: [],
    ...(spec.invoiceLineItem ? { invoice_line_item: spec.invoiceLineItem } : {}),
    livemode: false,
    metadata: metadataOf(spec.metadata),
    pretax_credit_amounts: [],
    quantity: spec.quantity,
    tax_rates: [],
    taxes: [],
    type: spec.type,
    unit_amount: spec.unitAmount,
    unit_amount_decimal: spec.unitAmount === null ? null : decimalString(spec.unitAmount),
  } satisfies Stripe.CreditNoteLineItem;
}

function plan(emu: Emulator, body: CreateParams): Plan {
  if (!body.invoice) throw missingParameter('invoice');
  const invoice = mustGet(emu.state.invoices, body.invoice, 'invoice');
  const money = (n: number) => formatMoney(n, invoice.currency);
  if (invoice.status !== 'open' && invoice.status !== 'paid')
    throw invalidRequest(
      `Credit notes can only be issued for open or paid invoices; invoice ${invoice.id} is ${String(invoice.status)}.`,
      { param: 'invoice' },
    );
  const lines = noteLines(emu, invoice, body.lines ?? []);
  const linesTotal = lines.reduce((s, l) => s + l.amount, 0);
  if (!body.lines?.length && body.amount === undefined)
    throw invalidRequest('One of amount, lines, or shipping_cost must be provided.', { code: 'parameter_missing' });
  if (body.lines?.length && body.amount !== undefined && body.amount !== linesTotal)
    throw invalidRequest(`The amount (${money(body.amount)}) must equal the sum of the lines (${money(linesTotal)}).`, {
      param: 'amount',
    });
  const total = body.lines?.length ? linesTotal : (body.amount ?? 0);
  if (total <= 0) throw invalidRequest('The credit note amount must be greater than 0.', { param: 'amount' });
  const creditable = Math.max(
    0,
    invoice.total - invoice.pre_payment_credit_notes_amount - invoice.post_payment_credit_notes_amount,
  );
  if (total > creditable)
    throw invalidRequest(
      `The credit note amount (${money(total)}) is greater than the amount that remains creditable on invoice ${invoice.number ?? invoice.id} (${money(creditable)}).`,
      { param: body.lines?.length ? 'lines' : 'amount' },
    );
  const pre = invoice.status === 'open' ? Math.min(total, invoice.amount_remaining) : 0;
  const post = total - pre;

  const charge = chargeOf(emu, invoice);
  // Existing refunds of the invoice's charge, each counted against the credit note once.
  const linked = new Map<string, number>();
  for (const n of issuedOn(emu, invoice.id))
    for (const r of n.refunds) linked.set(idOf(r.refund)!, (linked.get(idOf(r.refund)!) ?? 0) + r.amount_refunded);
  const refunds: Stripe.CreditNote.Refund[] = (body.refunds ?? []).map((r, i) => {
    if (!r.refund) throw missingParameter(`refunds[${i}][refund]`);
    const refund = mustGet(emu.state.refunds, r.refund, `refunds[${i}][refund]`);
    if (!charge || idOf(refund.charge) !== charge.id)
      throw invalidRequest(`The refund ${refund.id} is not a refund of the payment for invoice ${invoice.id}.`, {
        param: `refunds[${i}][refund]`,
      });
    const left = refund.amount - (linked.get(refund.id) ?? 0);
    const amountRefunded = r.amount_refunded ?? left;
    if (amountRefunded > left || amountRefunded <= 0)
      throw invalidRequest(
        `The refund ${refund.id} has ${money(Math.max(0, left))} not yet linked to a credit note; ${money(amountRefunded)} cannot be linked.`,
        { param: `refunds[${i}][amount_refunded]` },
      );
    linked.set(refund.id, (linked.get(refund.id) ?? 0) + amountRefunded);
    return { amount_refunded: amountRefunded, payment_record_refund: null, refund: refund.id, type: 'refund' };
  });
  const refundAmount = body.refund_amount ?? 0;
  const creditAmount = body.credit_amount ?? 0;
  const outOfBand = body.out_of_band_amount ?? 0;
  const split = refundAmount + creditAmount + outOfBand + refunds.reduce((s, r) => s + r.amount_refunded, 0);
  if (split !== post)
    throw invalidRequest(
      post === 0
        ? `The credit note (${money(total)}) only reduces what is still due on open invoice ${invoice.id} (${money(invoice.amount_remaining)}), so credit_amount, refund_amount, refunds and out_of_band_amount must not be given.`
        : `The sum of credit_amount, refund_amount, refunds and out_of_band_amount (${money(split)}) must equal the credit note's post-payment amount (${money(post)}).`,
      { param: post === 0 ? 'credit_amount' : 'amount' },
    );
  if (refundAmount > 0) {
    if (!charge)
      throw invalidRequest(
        `Invoice ${invoice.id} was not paid by a charge that can be refunded; use credit_amount or out_of_band_amount instead.`,
        { param: 'refund_amount' },
      );
    const left = charge.amount - charge.amount_refunded;
    if (refundAmount > left)
      throw invalidRequest(
        `Refund amount (${money(refundAmount)}) is greater than unrefunded amount on charge (${money(left)})`,
        { param: 'refund_amount', code: 'amount_too_large' },
      );
  }

  const customerId = idOf(invoice.customer)!;
  const now = emu.now(customerId);
  const id = newId('cn');
  const count = emu.state.creditNotes.newestFirst((n) => n.invoice === invoice.id).length;
  const note = {
    id,
    object: 'credit_note',
    amount: total,
    amount_shipping: 0,
    created: now,
    currency: invoice.currency,
    customer: customerId,
    customer_account: null,
    customer_balance_transaction: null,
    discount_amount: 0,
    discount_amounts: [],
    effective_at: body.effective_at ?? now,
    invoice: invoice.id,
    lines: fullList(lines, `/v1/credit_notes/${id}/lines`),
    livemode: false,
    memo: body.memo ?? null,
    metadata: metadataOf(body.metadata),
    number: `${invoice.number ?? invoice.id}-CN-${String(count + 1).padStart(2, '0')}`,
    out_of_band_amount: body.out_of_band_amount ?? null,
    pdf: `${emu.baseUrl}/cn/${id}/pdf`,
    post_payment_amount: post,
    pre_payment_amount: pre,
    pretax_credit_amounts: [],
    reason: body.reason ?? null,
    refunds,
    shipping_cost: null,
    status: 'issued',
    subtotal: total,
    subtotal_excluding_tax: total,
    total,
    total_excluding_tax: total,
    total_taxes: [],
    type: pre > 0 && post > 0 ? 'mixed' : pre > 0 ? 'pre_payment' : 'post_payment',
    voided_at: null,
  } satisfies Stripe.CreditNote;
  return { note, invoice, charge, refundAmount, creditAmount };
}

/** Lowers (or, for a voided credit note, raises back) what an open invoice still asks for. */
function moveAmountDue(emu: Emulator, invoice: Stripe.Invoice, by: number): void {
  invoice.amount_due += by;
  invoice.amount_remaining += by;
  // An unpaid attempt's PaymentIntent asks for what is due now.
  const pi = idOf(invoicePaymentOf(emu, invoice.id)?.payment.payment_intent ?? null);
  const intent = pi ? emu.state.paymentIntents.get(pi) : undefined;
  if (intent && intent.status !== 'succeeded' && intent.status !== 'canceled') intent.amount = invoice.amount_due;
  const inpay = invoicePaymentOf(emu, invoice.id);
  if (inpay && inpay.status === 'open') inpay.amount_requested = invoice.amount_due;
}

function issue(emu: Emulator, planned: Plan): Stripe.CreditNote {
  const { note, invoice } = planned;
  const customerId = idOf(invoice.customer)!;
  if (planned.refundAmount > 0 && planned.charge) {
    const refund = refundCharge(emu, planned.charge, { amount: planned.refundAmount });
    note.refunds.push({ amount_refunded: refund.amount, payment_record_refund: null, refund: refund.id, type: 'refund' });
  }
  const customer = emu.state.customers.get(customerId);
  const customerBefore = customer && snapshot(customer);
  if (planned.creditAmount > 0 && customer) {
    const txn = recordBalanceTransaction(emu, customer, {
      amount: -planned.creditAmount,
      currency: note.currency,
      type: 'credit_note',
      invoice: invoice.id,
      creditNote: note.id,
    });
    note.customer_balance_transaction = txn.id;
  }
  emu.state.creditNotes.set(note);
  emu.emit('credit_note.created', note, { customer: customerId });

  const invoiceBefore = snapshot(invoice);
  invoice.pre_payment_credit_notes_amount += note.pre_payment_amount;
  invoice.post_payment_credit_notes_amount += note.post_payment_amount;
  if (note.pre_payment_amount > 0) moveAmountDue(emu, invoice, -note.pre_payment_amount);
  emu.emit('invoice.updated', invoice, { customer: customerId, previous: previousAttributes(invoiceBefore, invoice) });
  if (customer && customerBefore && customer.balance !== customerBefore.balance)
    emu.emit('customer.updated', customer, { customer: customerId, previous: previousAttributes(customerBefore, customer) });
  // Credited in full before it was paid: nothing is left to collect.
  if (invoice.status === 'open' && invoice.amount_remaining === 0) {
    markPaid(emu, invoice, null);
    afterInvoicePayment(emu, invoice);
  }
  return note;
}

/**
 * Voids a credit note. Stripe only voids a credit note while its invoice is still open: once the
 * invoice is paid (by a payment, or by credit notes crediting it in full) its credit notes stand,
 * since what they refunded or credited cannot be taken back. A credit note on an invoice still open
 * only lowered what is due (a post-payment part would have settled the invoice), so voiding it puts
 * that amount back on the invoice and moves no money.
 */
function voidNote(emu: Emulator, note: Stripe.CreditNote): Stripe.CreditNote {
  if (note.status === 'void') throw invalidRequest(`The credit note ${note.id} has already been voided.`, { param: 'id' });
  const customerId = idOf(note.customer as string)!;
  const invoice = mustGet(emu.state.invoices, idOf(note.invoice as string)!, 'invoice');
  if (invoice.status !== 'open')
    throw invalidRequest(
      `The credit note ${note.id} cannot be voided because its invoice ${invoice.id} is ${String(invoice.status)}; a credit note can only be voided while its invoice is open.`,
      { param: 'id' },
    );
  const before = snapshot(note);
  note.status = 'void';
  note.voided_at = emu.now(customerId);
  emu.emit('credit_note.voided', note, { customer: customerId, previous: previousAttributes(before, note) });
  const invoiceBefore = snapshot(invoice);
  invoice.pre_payment_credit_notes_amount -= note.pre_payment_amount;
  moveAmountDue(emu, invoice, note.pre_payment_amount);
  emu.emit('invoice.updated', invoice, { customer: customerId, previous: previousAttributes(invoiceBefore, invoice) });
  return note;
}

export function registerCreditNotes(router: Router): void {
  router.post('/v1/credit_notes', ({ emu, raw }) => issue(emu, plan(emu, parse<CreateParams>(createFields, raw))));

  router.get('/v1/credit_notes/preview', ({ emu, raw }) => plan(emu, parse<CreateParams>(createFields, raw)).note);

  router.get('/v1/credit_notes/preview/lines', ({ emu, raw, path }) => {
    const body = parse<CreateParams & { limit?: number; starting_after?: string; ending_before?: string }>(
      { ...createFields, ...listFields },
      raw,
    );
    return paginate(plan(emu, body).note.lines.data, body, path);
  });

  router.get('/v1/credit_notes/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.creditNotes, params.id);
  });

  router.post('/v1/credit_notes/:id', ({ emu, params, raw }) => {
    const body = parse<{ memo?: string; metadata?: Record<string, string | null> }>({ memo: p.str, metadata: p.meta }, raw);
    const note = mustGet(emu.state.creditNotes, params.id);
    const before = snapshot(note);
    if (body.memo !== undefined) note.memo = body.memo;
    if (body.metadata !== undefined) note.metadata = mergeMetadata(note.metadata, body.metadata);
    const previous = previousAttributes(before, note);
    if (Object.keys(previous).length > 0)
      emu.emit('credit_note.updated', note, { customer: idOf(note.customer as string), previous });
    return note;
  });

  router.post('/v1/credit_notes/:id/void', ({ emu, params, raw }) => {
    parse({}, raw);
    return voidNote(emu, mustGet(emu.state.creditNotes, params.id));
  });

  router.get('/v1/credit_notes/:id/lines', ({ emu, params, raw, path }) => {
    const q = parse<{ limit?: number; starting_after?: string; ending_before?: string }>(listFields, raw);
    return paginate(mustGet(emu.state.creditNotes, params.id).lines.data, q, path);
  });

  router.get('/v1/credit_notes', ({ emu, raw, path }) => {
    const q = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      invoice?: string;
      customer?: string;
      created?: unknown;
    }>({ ...listFields, invoice: p.str, customer: p.str, created: p.range, customer_account: p.unsupported }, raw);
    const filter = (n: Stripe.CreditNote) =>
      (!q.invoice || idOf(n.invoice as string) === q.invoice) &&
      (!q.customer || idOf(n.customer as string) === q.customer) &&
      inRange(n.created, q.created);
    return pageOf(emu.state.creditNotes, filter, q, path);
  });
}
