// The email a subscriber gets once per credit note issued on one of their invoices (in Stripe's
// Dashboard: DropIn issues none itself): how much, on which invoice, where it went, in the words
// their invoice list uses (invoice-words.ts). A credit note given back only as a card refund gets
// none of its own: the refund's email says it (refunds.ts). One they were told of and that is
// then voided gets a second email, saying so.
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import { compose, type Mail } from '../email/templates';
import { sendOnce } from '../email/outbox';
import { formatAmount } from '../lib/money';
import { toAppError } from './errors';
import { describeCreditNote } from './invoice-words';
import { BILLING_REASON } from './notifications';
import type { SyncCause, SyncResult } from './sync-result';

const REASONS: Record<Stripe.CreditNote.Reason, string> = {
  duplicate: 'a duplicate charge',
  fraudulent: 'a fraudulent charge',
  order_change: 'a change to your order',
  product_unsatisfactory: 'the service not being what you expected',
};

/** The notice for a credit note, or null when there is nothing to tell beyond a refund's own email. */
export function creditNoteNotice(
  cn: Stripe.CreditNote,
  invoice: { number: string | null; amountRemaining: number | null; status: string | null },
  env: { PUBLIC_URL: string },
): { key: string; mail: Mail } | null {
  const words = describeCreditNote(cn);
  if (words.voided || words.parts.every((p) => p.kind === 'refund')) return null;
  const money = (n: number) => formatAmount(n, cn.currency, { locale: 'en-US' });
  const on = invoice.number ? `invoice ${invoice.number}` : 'your invoice';
  const has = (kind: string) => words.parts.some((p) => p.kind === kind);
  const paragraphs = [
    `We issued credit note ${cn.number} for ${money(cn.total)} on ${on}${cn.reason && REASONS[cn.reason] ? `, for ${REASONS[cn.reason]}` : ''}: ${words.destination}.`,
  ];
  if (has('amount_due') && invoice.amountRemaining !== null)
    paragraphs.push(
      invoice.status === 'paid' || invoice.amountRemaining === 0
        ? 'Nothing is left to pay on that invoice.'
        : `That invoice now asks for ${money(invoice.amountRemaining)}.`,
    );
  if (has('balance')) paragraphs.push('Your next invoices use the credit on your balance before your card is charged.');
  if (has('refund')) paragraphs.push('The refund reaches your card within 5 to 10 business days; a separate email confirms it.');
  if (cn.memo) paragraphs.push(`Note: ${cn.memo}`);
  return {
    key: `credit-note:${cn.id}`,
    mail: compose(env, `Credit of ${money(cn.total)} on ${on}`, {
      paragraphs,
      link: { href: `${env.PUBLIC_URL}/app/billing`, label: 'See your invoices' },
      reason: BILLING_REASON,
    }),
  };
}

/** The notice that a credit note the subscriber was told of was voided, and what its invoice asks for now. */
export function creditNoteVoidedNotice(
  cn: Stripe.CreditNote,
  invoice: { number: string | null; amountRemaining: number | null; status: string | null },
  env: { PUBLIC_URL: string },
): { key: string; mail: Mail } {
  const money = (n: number) => formatAmount(n, cn.currency, { locale: 'en-US' });
  const on = invoice.number ? `invoice ${invoice.number}` : 'your invoice';
  const paragraphs = [`Credit note ${cn.number} for ${money(cn.total)} on ${on} was voided: its credit no longer applies.`];
  if (invoice.status === 'open' && invoice.amountRemaining !== null)
    paragraphs.push(`That invoice now asks for ${money(invoice.amountRemaining)}.`);
  return {
    key: `credit-note-voided:${cn.id}`,
    mail: compose(env, `Credit note ${cn.number} voided`, {
      paragraphs,
      link: { href: `${env.PUBLIC_URL}/app/billing`, label: 'See your invoices' },
      reason: BILLING_REASON,
    }),
  };
}

/**
 * Emails the subscriber about each credit note the cause's events say was issued, once each, and
 * about each voided one they were told of.
 */
export async function notifyCreditNotes(deps: AppDeps, result: SyncResult, cause: SyncCause): Promise<void> {
  if (cause.source !== 'webhook' || !deps.stripe || !result.userId) return;
  const named = (type: string) => [
    ...new Set(cause.events.filter((e) => e.type === type && e.objectId).map((e) => e.objectId as string)),
  ];
  const issued = named('credit_note.created');
  const voided = named('credit_note.voided');
  if (!issued.length && !voided.length) return;
  const stripe = deps.stripe;
  const { c } = deps.db;
  const user = await c.users.findOne({ _id: result.userId }, { projection: { email: 1 } });
  if (!user) return;
  const sent = async (key: string) => Boolean(await c.emailOutbox.findOne({ _id: key }, { projection: { _id: 1 } }));
  const read = async (id: string) => {
    const cn = await stripe.creditNotes.retrieve(id, { expand: ['invoice'] }).catch((err: unknown) => {
      // A credit note Stripe no longer has (test data deleted): nothing to tell.
      const e = err as { statusCode?: number; code?: string };
      if (e.statusCode === 404 && e.code === 'resource_missing') return null;
      throw toAppError(err);
    });
    const inv = cn && typeof cn.invoice !== 'string' ? cn.invoice : null;
    return (
      cn && {
        cn,
        invoice: { number: inv?.number ?? null, amountRemaining: inv?.amount_remaining ?? null, status: inv?.status ?? null },
      }
    );
  };
  for (const id of issued) {
    if (await sent(`credit-note:${id}`)) continue;
    const found = await read(id);
    const notice = found && creditNoteNotice(found.cn, found.invoice, deps.env);
    if (notice) await sendOnce(deps, notice.key, { to: user.email, ...notice.mail });
  }
  for (const id of voided) {
    if (!(await sent(`credit-note:${id}`)) || (await sent(`credit-note-voided:${id}`))) continue;
    const found = await read(id);
    if (found?.cn.status !== 'void') continue;
    const notice = creditNoteVoidedNotice(found.cn, found.invoice, deps.env);
    await sendOnce(deps, notice.key, { to: user.email, ...notice.mail });
  }
}
