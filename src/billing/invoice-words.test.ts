import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { describeCreditNote, describeInvoice } from './invoice-words';

const DEC_3 = Date.UTC(2026, 11, 3) / 1000;
const JAN_3 = Date.UTC(2027, 0, 3) / 1000;

function line(amount: number, description: string, opts: { proration?: boolean; period?: [number, number] } = {}) {
  const [start, end] = opts.period ?? [DEC_3, JAN_3];
  return {
    amount,
    description,
    period: { start, end },
    parent: {
      type: 'subscription_item_details',
      subscription_item_details: { proration: opts.proration ?? false },
    },
  } as unknown as Stripe.InvoiceLineItem;
}

/** The fields describeInvoice reads, as Stripe sets them on a finalized invoice. */
function invoice(fields: {
  reason: Stripe.Invoice.BillingReason;
  lines: Stripe.InvoiceLineItem[];
  startingBalance?: number;
  status?: Stripe.Invoice.Status;
}): Stripe.Invoice {
  const total = fields.lines.reduce((n, l) => n + l.amount, 0);
  const starting = fields.startingBalance ?? 0;
  const applied = total + starting;
  return {
    billing_reason: fields.reason,
    lines: { data: fields.lines },
    total,
    starting_balance: starting,
    ending_balance: Math.min(0, applied),
    amount_due: Math.max(0, applied),
    status: fields.status ?? 'paid',
  } as unknown as Stripe.Invoice;
}

describe('describeInvoice', () => {
  it('a trial starts with a $0 invoice labelled as the trial, not a bare $0 payment', () => {
    const w = describeInvoice(invoice({ reason: 'subscription_create', lines: [line(0, 'Trial period for DropIn Pro')] }));
    expect(w).toMatchObject({ kind: 'trial_start', title: 'Trial start', zeroLabel: 'Trial start', statusLabel: 'No charge' });
    expect(w.period).toEqual({ start: '2026-12-03T00:00:00.000Z', end: '2027-01-03T00:00:00.000Z' });
  });

  it('a renewal paid partly from credit says how much credit it used', () => {
    const w = describeInvoice(
      invoice({ reason: 'subscription_cycle', lines: [line(1200, '1 × DropIn Pro')], startingBalance: -500 }),
    );
    expect(w).toMatchObject({ kind: 'renewal', creditUsed: 500, creditAdded: 0, statusLabel: 'Paid', zeroLabel: null });
  });

  it('the first period after a trial is the first payment, not a renewal', () => {
    const inv = invoice({ reason: 'subscription_cycle', lines: [line(1200, '1 × DropIn Pro')] });
    expect(describeInvoice(inv, { trialEnds: new Set([DEC_3]) })).toMatchObject({
      kind: 'first_payment',
      title: 'First payment after the trial',
    });
    expect(describeInvoice(inv, { trialEnds: new Set([JAN_3]) }).kind).toBe('renewal');
  });

  it('a renewal the balance covers entirely is "Fully credited" and "Paid with credit"', () => {
    const w = describeInvoice(
      invoice({ reason: 'subscription_cycle', lines: [line(1200, '1 × DropIn Pro')], startingBalance: -3700 }),
    );
    expect(w).toMatchObject({ creditUsed: 1200, zeroLabel: 'Fully credited', statusLabel: 'Paid with credit' });
  });

  it('a plan change whose unused time exceeds the new charge credits the balance and is not called Paid', () => {
    const w = describeInvoice(
      invoice({
        reason: 'subscription_update',
        lines: [
          line(-4900, 'Unused time on 1 × DropIn Business', { proration: true }),
          line(1200, 'Remaining time on 1 × DropIn Pro', { proration: true }),
        ],
      }),
    );
    expect(w).toMatchObject({ kind: 'plan_change', title: 'Plan change', creditAdded: 3700, creditUsed: 0 });
    expect(w.statusLabel).toBe('Credited to balance');
    expect(w.lines.map((l) => l.proration)).toEqual([true, true]);
    // Prorations are not the plan's period: the invoice names none.
    expect(w.period).toBeNull();
  });

  it('a balance owed from before is added to the next invoice and said so', () => {
    const w = describeInvoice(
      invoice({ reason: 'subscription_cycle', lines: [line(1200, '1 × DropIn Pro')], startingBalance: 300 }),
    );
    expect(w).toMatchObject({ debtAdded: 300, creditUsed: 0, statusLabel: 'Paid' });
  });

  it('an open invoice stays Open, and a draft is never labelled $0', () => {
    expect(describeInvoice(invoice({ reason: 'subscription_cycle', lines: [line(1200, 'x')], status: 'open' })).statusLabel).toBe(
      'Open',
    );
    const draft = { ...invoice({ reason: 'manual', lines: [line(0, 'x')] }), status: 'draft' } as Stripe.Invoice;
    expect(describeInvoice(draft)).toMatchObject({ kind: 'one_off', zeroLabel: null, statusLabel: 'Draft' });
  });
});

/** The fields describeCreditNote reads, as Stripe sets them on an issued credit note. */
function creditNote(fields: {
  total: number;
  pre?: number;
  refunded?: number;
  outOfBand?: number;
  status?: 'issued' | 'void';
}): Stripe.CreditNote {
  const pre = fields.pre ?? 0;
  return {
    id: 'cn_1',
    number: 'ABC-0001-CN-01',
    total: fields.total,
    currency: 'usd',
    created: DEC_3,
    effective_at: DEC_3,
    status: fields.status ?? 'issued',
    pre_payment_amount: pre,
    post_payment_amount: fields.total - pre,
    refunds: fields.refunded ? [{ amount_refunded: fields.refunded, refund: 're_1', type: 'refund' }] : [],
    out_of_band_amount: fields.outOfBand ?? null,
    pdf: 'https://stripe.example/cn_1/pdf',
  } as unknown as Stripe.CreditNote;
}

describe('describeCreditNote', () => {
  it('names where the credit went: the balance, the card, the amount due, outside the card', () => {
    expect(describeCreditNote(creditNote({ total: 500 }))).toMatchObject({
      amount: 500,
      parts: [{ kind: 'balance', amount: 500 }],
      destination: 'credited to your balance',
      voided: false,
      date: new Date(DEC_3 * 1000).toISOString(),
    });
    expect(describeCreditNote(creditNote({ total: 300, refunded: 300 }))).toMatchObject({
      destination: 'refunded to your card',
      adminDestination: 'refunded to the card',
    });
    expect(describeCreditNote(creditNote({ total: 300, pre: 300 })).destination).toBe('taken off the amount due');
    expect(describeCreditNote(creditNote({ total: 300, outOfBand: 300 })).destination).toBe(
      'credited outside your card payments',
    );
  });

  it('a split names each part with its amount', () => {
    expect(describeCreditNote(creditNote({ total: 800, refunded: 300 })).destination).toBe(
      '$5.00 credited to your balance and $3.00 refunded to your card',
    );
    expect(describeCreditNote(creditNote({ total: 900, pre: 200, refunded: 300, outOfBand: 100 })).destination).toBe(
      '$2.00 taken off the amount due, $3.00 credited to your balance, $3.00 refunded to your card, $1.00 credited outside your card payments',
    );
  });

  it('a voided credit note is marked voided', () => {
    expect(describeCreditNote(creditNote({ total: 500, status: 'void' })).voided).toBe(true);
  });
});
