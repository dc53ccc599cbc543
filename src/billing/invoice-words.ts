// What an invoice is for, in a subscriber's words: the reason Stripe made it (trial start, renewal,
// plan change…), what each line bills and for which period, how much of the customer balance it
// used or added, and a status that does not call a credit "Paid"; and a credit note issued against
// an invoice: how much, and where it went. Pure: reads the Stripe objects only.
import type Stripe from 'stripe';
import { formatAmount } from '../lib/money';

export type InvoiceKind =
  | 'trial_start'
  | 'subscription_start'
  | 'first_payment'
  | 'renewal'
  | 'plan_change'
  | 'usage'
  | 'one_off';

export interface InvoiceLineWords {
  description: string;
  amount: number;
  /** The span the line bills, ISO dates; null when Stripe gives none. */
  period: { start: string; end: string } | null;
  proration: boolean;
}

export interface InvoiceWords {
  kind: InvoiceKind;
  /** "Renewal", "Plan change", "Trial start"… */
  title: string;
  /** The period the invoice's subscription lines cover (the plan's, not the metered usage's). */
  period: { start: string; end: string } | null;
  lines: InvoiceLineWords[];
  /** Customer balance credit this invoice used up (reduces what the card paid). */
  creditUsed: number;
  /** Credit this invoice added to the customer balance (a downgrade's unused time): its total below zero. */
  creditAdded: number;
  /** A balance owed from before, added to this invoice. */
  debtAdded: number;
  /**
   * What to call the invoice's state: "Paid", "Open"…, but "Credited to balance" for a negative
   * total, "Paid with credit" when the balance covered it, "No charge" for a $0 total.
   */
  statusLabel: string;
  /** Why a $0 invoice is $0 ("Trial start", "Fully credited", "No charge"); null when something was due. */
  zeroLabel: string | null;
}

const titles: Record<InvoiceKind, string> = {
  trial_start: 'Trial start',
  subscription_start: 'Subscription start',
  first_payment: 'First payment after the trial',
  renewal: 'Renewal',
  plan_change: 'Plan change',
  usage: 'Usage',
  one_off: 'Invoice',
};

const statusWords: Record<string, string> = {
  paid: 'Paid',
  open: 'Open',
  void: 'Void',
  uncollectible: 'Uncollectible',
  draft: 'Draft',
};

const iso = (unix: number) => new Date(unix * 1000).toISOString();

function isProration(line: Stripe.InvoiceLineItem): boolean {
  return Boolean(line.parent?.subscription_item_details?.proration ?? line.parent?.invoice_item_details?.proration);
}

function kindOf(inv: Stripe.Invoice): InvoiceKind {
  switch (inv.billing_reason) {
    case 'subscription_create': {
      // A trial's first invoice bills the trial period at $0.
      const lines = inv.lines.data;
      const trial = inv.total === 0 && lines.length > 0 && lines.every((l) => l.amount === 0);
      return trial ? 'trial_start' : 'subscription_start';
    }
    case 'subscription_cycle':
      return 'renewal';
    case 'subscription_update':
      return 'plan_change';
    case 'subscription_threshold':
      return 'usage';
    default:
      return 'one_off';
  }
}

/**
 * `trialEnds`: when the customer's trials ended (unix seconds). Stripe bills the first period after
 * a trial as a cycle, like any renewal; the period starting at a trial's end tells them apart.
 */
export function describeInvoice(inv: Stripe.Invoice, opts: { trialEnds?: ReadonlySet<number> } = {}): InvoiceWords {
  const planLine = inv.lines.data.find((l) => !isProration(l) && l.period && l.period.end > l.period.start);
  let kind = kindOf(inv);
  if (kind === 'renewal' && planLine && opts.trialEnds?.has(planLine.period.start)) kind = 'first_payment';
  const lines = inv.lines.data.map((l) => ({
    description: l.description ?? '',
    amount: l.amount,
    period: l.period && l.period.end > l.period.start ? { start: iso(l.period.start), end: iso(l.period.end) } : null,
    proration: isProration(l),
  }));
  const starting = inv.starting_balance ?? 0;
  const ending = inv.ending_balance ?? starting;
  // Balance moves on finalization: credit used brings a negative balance up towards zero; a
  // negative total pushes it down; an amount owed is added to this invoice and cleared.
  const creditUsed = inv.total > 0 ? Math.max(0, Math.min(ending, 0) - Math.min(starting, 0)) : 0;
  const creditAdded = inv.total < 0 ? -inv.total : 0;
  const debtAdded = Math.max(0, starting) - Math.max(0, ending);
  const zero = inv.status !== 'draft' && inv.amount_due === 0;
  const zeroLabel = !zero
    ? null
    : kind === 'trial_start'
      ? 'Trial start'
      : inv.total > 0
        ? 'Fully credited'
        : inv.total < 0
          ? null
          : 'No charge';
  let statusLabel = inv.status ? (statusWords[inv.status] ?? inv.status) : '—';
  if (inv.status === 'paid' || inv.status === 'open') {
    if (inv.total < 0) statusLabel = 'Credited to balance';
    else if (inv.total > 0 && inv.amount_due === 0) statusLabel = 'Paid with credit';
    else if (inv.total === 0) statusLabel = 'No charge';
  }
  return {
    kind,
    title: titles[kind],
    period: planLine ? { start: iso(planLine.period.start), end: iso(planLine.period.end) } : null,
    lines,
    creditUsed,
    creditAdded,
    debtAdded,
    statusLabel,
    zeroLabel,
  };
}

/** Where a credit note's money went. */
export interface CreditNotePart {
  /** `amount_due`: taken off an unpaid invoice; `balance`: credit for the next invoices; `refund`: back to the card; `outside`: given outside Stripe. */
  kind: 'amount_due' | 'balance' | 'refund' | 'outside';
  amount: number;
}

export interface CreditNoteWords {
  id: string;
  number: string;
  /** The whole credit, positive (shown as −$X under its invoice). */
  amount: number;
  currency: string;
  /** When it took effect, ISO. */
  date: string;
  voided: boolean;
  parts: CreditNotePart[];
  /** The parts in a subscriber's words: "credited to your balance", "$2.00 refunded to your card and $3.00 credited to your balance". */
  destination: string;
  /** The same for an admin: "credited to the customer's balance", "refunded to the card"… */
  adminDestination: string;
  pdfUrl: string | null;
}

const partWords: Record<'subscriber' | 'admin', Record<CreditNotePart['kind'], string>> = {
  subscriber: {
    amount_due: 'taken off the amount due',
    balance: 'credited to your balance',
    refund: 'refunded to your card',
    outside: 'credited outside your card payments',
  },
  admin: {
    amount_due: 'taken off the amount due',
    balance: "credited to the customer's balance",
    refund: 'refunded to the card',
    outside: 'credited outside Stripe (out of band)',
  },
};

/**
 * A credit note in a subscriber's words. What went to the balance is the post-payment amount less
 * the refunds and the out-of-band credit (Stripe requires the three to add up to it), so the
 * credit note alone is enough.
 */
export function describeCreditNote(cn: Stripe.CreditNote): CreditNoteWords {
  const money = (n: number) => formatAmount(n, cn.currency);
  const refunded = cn.refunds.reduce((s, r) => s + r.amount_refunded, 0);
  const outside = cn.out_of_band_amount ?? 0;
  const parts = (
    [
      { kind: 'amount_due', amount: cn.pre_payment_amount },
      { kind: 'balance', amount: cn.post_payment_amount - refunded - outside },
      { kind: 'refund', amount: refunded },
      { kind: 'outside', amount: outside },
    ] satisfies CreditNotePart[]
  ).filter((p) => p.amount > 0);
  const say = (words: Record<CreditNotePart['kind'], string>) =>
    parts.length === 1
      ? words[parts[0]!.kind]
      : parts.map((p) => `${money(p.amount)} ${words[p.kind]}`).join(parts.length === 2 ? ' and ' : ', ');
  return {
    id: cn.id,
    number: cn.number,
    amount: cn.total,
    currency: cn.currency,
    date: iso(cn.effective_at ?? cn.created),
    voided: cn.status === 'void',
    parts,
    destination: say(partWords.subscriber),
    adminDestination: say(partWords.admin),
    pdfUrl: cn.pdf || null,
  };
}
