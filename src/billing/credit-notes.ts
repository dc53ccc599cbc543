// The email a subscriber gets once per credit note issued on one of their invoices (in Stripe's
// Dashboard: DropIn issues none itself): how much, on which invoice, where it went, in the words
// their invoice list uses (invoice-words.ts). A credit note given back only as a card refund gets
// none of its own: the refund's email says it (refunds.ts). One they were told of and that is
// then voided gets a second email, saying so.
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import { compose, type Mail } from '../email/templates';
import { enqueued, sendOnce } from '../email/outbox';
import { ifMissing } from './errors';
import { describeCreditNote } from './invoice-words';
import { BILLING_REASON, money } from './notifications';
import { objectIdsOf, type SyncCause, type SyncResult } from './sync-result';

const REASONS: Record<Stripe.CreditNote.Reason, string> = {
  duplicate: 'a duplicate charge',
  fraudulent: 'a fraudulent charge',
  order_change: 'a change to your order',
  product_unsatisfactory: 'the service not being what you expected',
};

/** What a credit note's emails say of its invoice: read with the credit note, or unknown. */
export interface NotedInvoice {
  number: string | null;
  amountRemaining: number | null;
  status: string | null;
}

/** A credit note notice: keyed by what it reports, with a link to the subscriber's invoices. */
function notice(key: string, subject: string, paragraphs: string[], env: { PUBLIC_URL: string }): { key: string; mail: Mail } {
  return {
    key,
    mail: compose(env, subject, {
      paragraphs,
      link: { href: `${env.PUBLIC_URL}/app/billing`, label: 'See your invoices' },
      reason: BILLING_REASON,
    }),
  };
}

const invoiceName = (invoice: NotedInvoice) => (invoice.number ? `invoice ${invoice.number}` : 'your invoice');

/** The notice for a credit note, or null when there is nothing to tell beyond a refund's own email. */
export function creditNoteNotice(
  cn: Stripe.CreditNote,
  invoice: NotedInvoice,
  env: { PUBLIC_URL: string },
): { key: string; mail: Mail } | null {
  const words = describeCreditNote(cn);
  if (words.voided || words.parts.every((p) => p.kind === 'refund')) return null;
  const total = money(cn.total, cn.currency);
  const on = invoiceName(invoice);
  const has = (kind: string) => words.parts.some((p) => p.kind === kind);
  const paragraphs = [
    `We issued credit note ${cn.number} for ${total} on ${on}${cn.reason && REASONS[cn.reason] ? `, for ${REASONS[cn.reason]}` : ''}: ${words.destination}.`,
  ];
  if (has('amount_due') && invoice.amountRemaining !== null)
    paragraphs.push(
      invoice.status === 'paid' || invoice.amountRemaining === 0
        ? 'Nothing is left to pay on that invoice.'
        : `That invoice now asks for ${money(invoice.amountRemaining, cn.currency)}.`,
    );
  if (has('balance')) paragraphs.push('Your next invoices use the credit on your balance before your card is charged.');
  if (has('refund')) paragraphs.push('The refund reaches your card within 5 to 10 business days; a separate email confirms it.');
  if (cn.memo) paragraphs.push(`Note: ${cn.memo}`);
  return notice(`credit-note:${cn.id}`, `Credit of ${total} on ${on}`, paragraphs, env);
}

/** The notice that a credit note the subscriber was told of was voided, and what its invoice asks for now. */
export function creditNoteVoidedNotice(
  cn: Stripe.CreditNote,
  invoice: NotedInvoice,
  env: { PUBLIC_URL: string },
): { key: string; mail: Mail } {
  const paragraphs = [
    `Credit note ${cn.number} for ${money(cn.total, cn.currency)} on ${invoiceName(invoice)} was voided: its credit no longer applies.`,
  ];
  if (invoice.status === 'open' && invoice.amountRemaining !== null)
    paragraphs.push(`That invoice now asks for ${money(invoice.amountRemaining, cn.currency)}.`);
  return notice(`credit-note-voided:${cn.id}`, `Credit note ${cn.number} voided`, paragraphs, env);
}

/**
 * Emails the subscriber about each credit note the cause's events say was issued, once each, and
 * about each voided one they were told of.
 */
export async function notifyCreditNotes(deps: AppDeps, result: SyncResult, cause: SyncCause): Promise<void> {
  if (cause.source !== 'webhook' || !deps.stripe || !result.userId) return;
  const userId = result.userId;
  const stripe = deps.stripe;
  const due: { key: string; mail: Mail }[] = [];
  const read = async (id: string) => {
    // A credit note Stripe no longer has (test data deleted): nothing to tell.
    const cn = await stripe.creditNotes.retrieve(id, { expand: ['invoice'] }).catch(ifMissing(null));
    const inv = cn && typeof cn.invoice !== 'string' ? cn.invoice : null;
    const invoice: NotedInvoice = {
      number: inv?.number ?? null,
      amountRemaining: inv?.amount_remaining ?? null,
      status: inv?.status ?? null,
    };
    return cn && { cn, invoice };
  };
  for (const id of objectIdsOf(cause.events, (type) => type === 'credit_note.created')) {
    if (await enqueued(deps, `credit-note:${id}`)) continue;
    const found = await read(id);
    const n = found && creditNoteNotice(found.cn, found.invoice, deps.env);
    if (n) due.push(n);
  }
  for (const id of objectIdsOf(cause.events, (type) => type === 'credit_note.voided')) {
    if (!(await enqueued(deps, `credit-note:${id}`)) || (await enqueued(deps, `credit-note-voided:${id}`))) continue;
    const found = await read(id);
    if (found?.cn.status === 'void') due.push(creditNoteVoidedNotice(found.cn, found.invoice, deps.env));
  }
  if (!due.length) return;
  const user = result.account ?? (await deps.db.c.users.findOne({ _id: userId }, { projection: { email: 1 } }));
  if (!user) return;
  for (const n of due) await sendOnce(deps, n.key, { to: user.email, ...n.mail });
}
