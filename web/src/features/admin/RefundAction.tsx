// Refunding a paid invoice, in two steps: choose the invoice, the amount (all that is left by
// default, in the invoice's currency) and Stripe's reason with a note; then a confirmation that says
// exactly what will happen before anything does. Like every admin action it carries a stable action
// id (the Stripe idempotency key), so a double click or a retry after a lost answer refunds once.
import { type FormEvent, useState } from 'react';
import { TRPCClientError } from '@trpc/client';
import { Button } from '../../components/Button';
import { FormAlert } from '../../components/Banner';
import { Dialog } from '../../components/Dialog';
import { Field, TextField } from '../../components/TextField';
import { formatDate } from '../../lib/format';
import type { ApiError } from '../../lib/errors';
import { trpc } from '../../lib/trpc';
import { decimalsOf, formatAmount, parseAmount } from '../../../../src/lib/money';
import { type SubscriberDetail, useActionIds } from './admin-lib';

type Invoice = SubscriberDetail['invoices'][number];
type Reason = 'requested_by_customer' | 'duplicate' | 'fraudulent';

const REASONS: [Reason, string][] = [
  ['requested_by_customer', 'Requested by the customer'],
  ['duplicate', 'Duplicate payment'],
  ['fraudulent', 'Fraudulent payment'],
];

const money = (amount: number, currency: string) => formatAmount(amount, currency);
/** An amount as the person would type it back: 12.5 → "12.50". */
const typed = (amount: number, currency: string) => (amount / 10 ** decimalsOf(currency)).toFixed(decimalsOf(currency));
const invoiceName = (i: Invoice) => i.number ?? i.id;

interface Draft {
  invoiceId: string;
  amountText: string;
  reason: Reason;
  note: string;
}

export function RefundAction({
  account,
  invoices,
  onDone,
}: {
  account: SubscriberDetail['account'];
  invoices: Invoice[];
  onDone: (message: string) => void;
}) {
  const refundable = invoices.filter((i) => i.refundable > 0);
  const [open, setOpen] = useState(false);
  const [step, setStep] = useState<'form' | 'confirm'>('form');
  const [draft, setDraft] = useState<Draft | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = useActionIds();
  const utils = trpc.useUtils();

  if (refundable.length === 0) return null;
  const start = (invoice: Invoice) => {
    setDraft({
      invoiceId: invoice.id,
      amountText: typed(invoice.refundable, invoice.currency),
      reason: 'requested_by_customer',
      note: '',
    });
    setStep('form');
    setFieldErrors({});
    setError(null);
    setOpen(true);
  };
  const invoice = draft ? refundable.find((i) => i.id === draft.invoiceId) : undefined;
  const amount = draft && invoice ? parseAmount(draft.amountText, invoice.currency) : null;

  const review = (e: FormEvent) => {
    e.preventDefault();
    if (!draft || !invoice) return;
    const errors: Record<string, string> = {};
    if (amount === null)
      errors.amount = `Enter an amount in ${invoice.currency.toUpperCase()}, such as ${typed(invoice.refundable, invoice.currency)}.`;
    else if (amount <= 0) errors.amount = 'The amount must be more than zero.';
    else if (amount > invoice.refundable)
      errors.amount = `At most ${money(invoice.refundable, invoice.currency)} is still refundable on this invoice.`;
    setFieldErrors(errors);
    setError(null);
    if (Object.keys(errors).length === 0) setStep('confirm');
  };

  const confirm = async () => {
    if (!draft || !invoice || amount === null) return;
    const key = `refund:${draft.invoiceId}:${amount}:${draft.reason}:${draft.note}`;
    setBusy(true);
    setError(null);
    try {
      await utils.client.admin.refundInvoice.mutate({
        userId: account.id,
        invoiceId: invoice.id,
        amount,
        reason: draft.reason,
        note: draft.note,
        actionId: ids.idFor(key),
      });
      ids.settle(key, null);
      setOpen(false);
      onDone(`Refunded ${money(amount, invoice.currency)} of invoice ${invoiceName(invoice)}.`);
      await utils.admin.invalidate();
    } catch (err) {
      const apiError = err instanceof TRPCClientError ? (err as unknown as ApiError) : null;
      ids.settle(key, apiError ?? ({ data: undefined } as unknown as ApiError));
      const fields = apiError?.data?.fieldErrors ?? {};
      if (fields.amount || fields.invoiceId) {
        // The server knows better what is left (another refund may have happened): back to the form.
        setFieldErrors({
          ...(fields.amount ? { amount: fields.amount } : {}),
          ...(fields.invoiceId ? { invoiceId: fields.invoiceId } : {}),
        });
        setStep('form');
      } else setError(err instanceof Error ? err.message : 'Something went wrong. Please try again.');
    } finally {
      setBusy(false);
    }
  };

  const left = invoice && amount !== null ? invoice.refundable - amount : 0;
  const reasonLabel = REASONS.find(([r]) => r === draft?.reason)?.[1] ?? '';

  return (
    <>
      <Button size="sm" variant="secondary" onClick={() => start(refundable[0] as Invoice)}>
        Refund a payment
      </Button>
      {draft && invoice && (
        <Dialog
          open={open}
          onClose={() => setOpen(false)}
          title={step === 'form' ? 'Refund a payment' : `Refund ${money(amount ?? 0, invoice.currency)}?`}
          description={
            step === 'form'
              ? `The money goes back to the card that paid the invoice. ${account.email} gets an email about it.`
              : undefined
          }
        >
          {step === 'form' ? (
            <form className="form" onSubmit={review} noValidate>
              <FormAlert message={error} />
              <Field label="Invoice" error={fieldErrors.invoiceId}>
                {(control) => (
                  <select
                    {...control}
                    name="invoiceId"
                    className="input select"
                    value={draft.invoiceId}
                    onChange={(e) => {
                      const next = refundable.find((i) => i.id === e.target.value);
                      if (next) setDraft({ ...draft, invoiceId: next.id, amountText: typed(next.refundable, next.currency) });
                      setFieldErrors({});
                    }}
                  >
                    {refundable.map((i) => (
                      <option key={i.id} value={i.id}>
                        {invoiceName(i)} · {formatDate(i.created)} · paid {money(i.amountPaid, i.currency)}
                        {i.refundable < i.amountPaid ? `, ${money(i.refundable, i.currency)} left` : ''}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <TextField
                label={`Amount (${invoice.currency.toUpperCase()})`}
                name="amount"
                inputMode="decimal"
                autoComplete="off"
                value={draft.amountText}
                onChange={(e) => setDraft({ ...draft, amountText: e.target.value })}
                error={fieldErrors.amount}
                hint={`Up to ${money(invoice.refundable, invoice.currency)}: all of it by default, or less for a partial refund.`}
              />
              <Field label="Reason">
                {(control) => (
                  <select
                    {...control}
                    name="reason"
                    className="input select"
                    value={draft.reason}
                    onChange={(e) => setDraft({ ...draft, reason: e.target.value as Reason })}
                  >
                    {REASONS.map(([value, label]) => (
                      <option key={value} value={value}>
                        {label}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label="Note" optional hint="Kept with the refund in Stripe; the subscriber does not see it.">
                {(control) => (
                  <textarea
                    {...control}
                    name="note"
                    className="input"
                    rows={2}
                    maxLength={500}
                    value={draft.note}
                    onChange={(e) => setDraft({ ...draft, note: e.target.value })}
                  />
                )}
              </Field>
              <div className="dialog-actions">
                <Button variant="secondary" onClick={() => setOpen(false)}>
                  Keep as is
                </Button>
                <Button type="submit">Review refund</Button>
              </div>
            </form>
          ) : (
            <div className="form">
              <FormAlert message={error} />
              <ul className="admin-refund-summary">
                <li>
                  <strong>{money(amount ?? 0, invoice.currency)}</strong> goes back to the card that paid invoice{' '}
                  <code>{invoiceName(invoice)}</code> ({money(invoice.amountPaid, invoice.currency)} paid on{' '}
                  {formatDate(invoice.created)}).
                </li>
                <li>
                  {left > 0
                    ? `This is a partial refund: ${money(left, invoice.currency)} stays refundable.`
                    : 'This refunds everything that is left on the invoice.'}
                </li>
                <li>Reason: {reasonLabel}.</li>
                {draft.note.trim() && <li>Note: {draft.note.trim()}</li>}
                <li>{account.email} gets an email saying so. The subscription itself is not changed.</li>
              </ul>
              <p className="muted admin-small">A refund cannot be undone.</p>
              <div className="dialog-actions">
                <Button variant="secondary" onClick={() => setStep('form')} disabled={busy}>
                  Back
                </Button>
                <Button variant="danger" loading={busy} onClick={() => void confirm()}>
                  Refund {money(amount ?? 0, invoice.currency)}
                </Button>
              </div>
            </div>
          )}
        </Dialog>
      )}
    </>
  );
}
