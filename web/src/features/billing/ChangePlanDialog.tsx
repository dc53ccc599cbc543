// Previews a plan change with Stripe (exactly what is charged or credited now, line by line) and
// applies it with the preview's proration date, so the invoice equals what was shown. A downgrade
// or interval switch is scheduled for the renewal instead: nothing is charged now, and the preview
// shows the next invoice and its date.
import { useEffect, useState } from 'react';
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { formatDate } from '../../lib/format';
import { FormAlert } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Dialog } from '../../components/Dialog';
import { QueryState } from '../../components/QueryState';
import { TextField } from '../../components/TextField';
import {
  type BillingSummary,
  type ChangePreview,
  formatMoney,
  type Interval,
  type PaidPlanId,
  perInterval,
  useActionIds,
} from './billing-lib';

export interface ChangeTarget {
  planId: PaidPlanId;
  planName: string;
  interval: Interval;
  /** The new price, for "then $49 / month". */
  amount: number | null;
  currency: string;
  verb: string;
}

export function ChangePlanDialog({
  target,
  summary,
  onClose,
  onChanged,
}: {
  target: ChangeTarget;
  summary: BillingSummary;
  onClose: () => void;
  onChanged: (next: BillingSummary) => void;
}) {
  const utils = trpc.useUtils();
  const actions = useActionIds();
  // The promotion code as typed, the one the preview applies, and why the last one was refused.
  const [typed, setTyped] = useState('');
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | null>(null);
  const input = { planId: target.planId, interval: target.interval, ...(code ? { promotionCode: code } : {}) };
  // What is shown is what gets charged: no background refetch may change it under the reader.
  const preview = trpc.billing.previewChange.useQuery(input, {
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: 0,
    refetchOnWindowFocus: false,
    retry: false,
  });
  const change = trpc.billing.changePlan.useMutation({
    onSettled: (_data, error, vars) => actions.settle(keyOf(vars), error),
    onSuccess: (next) => {
      // The invoice it made, the next charge and what the plan unlocks follow the summary (follow.ts).
      utils.billing.summary.setData(undefined, next);
      onChanged(next);
    },
    onError: (error) => {
      // An expired preview: show a fresh one, so the next confirm uses new figures.
      if (error.data?.fieldErrors?.prorationDate) void preview.refetch();
    },
  });
  // A refused code: say why next to the field and show the preview without it.
  const refused = formErrors(preview.error, ['promotionCode']).fields.promotionCode;
  useEffect(() => {
    if (!refused) return;
    setCodeError(refused);
    setCode('');
  }, [refused]);
  const changeErrors = formErrors(change.error, ['promotionCode']);
  const changeError = changeErrors.message;
  const sub = summary.subscription;
  const p = preview.data;
  const trialNext = sub?.status === 'trialing' ? (sub.trialEnd ?? sub.currentPeriodEnd) : (sub?.currentPeriodEnd ?? null);
  const nextDate = p?.effectiveAt ? new Date(p.effectiveAt * 1000) : trialNext;
  // Overage is billed by use at the end of the period: a metered line with nothing used yet is not
  // a charge, and the rate is stated once below the lines instead.
  const lines = p?.lines.filter((l) => !l.metered || l.amount !== 0) ?? [];

  function confirm() {
    if (!p) return;
    const vars = { ...input, prorationDate: p.prorationDate };
    change.mutate({ ...vars, actionId: actions.idFor(keyOf(vars)) });
  }

  return (
    <Dialog
      open
      onClose={onClose}
      title={`${target.verb} to ${target.planName} (${target.interval === 'month' ? 'monthly' : 'yearly'})`}
      description={
        <p>
          From {summary.plan.name}
          {sub?.interval ? ` (${sub.interval === 'month' ? 'monthly' : 'yearly'})` : ''} to {target.planName}
          {target.amount !== null ? `, ${perInterval(target.amount, target.currency, target.interval)}` : ''}.
        </p>
      }
    >
      <div className="preview" aria-live="polite" aria-busy={preview.isFetching}>
        <QueryState
          query={preview}
          loadingLabel="Calculating what you'll pay…"
          skeletonLines={4}
          errorTitle="We couldn't preview this change"
        >
          {(p) => (
            <>
              <div className="preview-total">
                <span>Due today</span>
                <strong data-testid="preview-amount">
                  {formatMoney(p.billedNow ? p.amountDue : 0, p.currency, { cents: true })}
                </strong>
              </div>
              {!p.billedNow && (
                <div className="preview-total preview-next">
                  <span>Next invoice{nextDate ? `, ${formatDate(nextDate)}` : ''}</span>
                  <strong data-testid="preview-next-amount">
                    {formatMoney(p.effectiveAt ? p.total : p.amountDue, p.currency, { cents: true })}
                  </strong>
                </div>
              )}
              {p.billedNow && p.total < 0 && (
                <div className="preview-total preview-credit">
                  <span>Credit to your balance</span>
                  <strong>{formatMoney(-p.total, p.currency, { cents: true })}</strong>
                </div>
              )}
              {p.discount > 0 && (
                <div className="preview-total preview-credit">
                  <span>Discount{p.promotionCode ? ` (${p.promotionCode})` : ''}</span>
                  <strong>−{formatMoney(p.discount, p.currency, { cents: true })}</strong>
                </div>
              )}
              {lines.length > 0 && (
                <table className="preview-lines">
                  <caption className="visually-hidden">
                    {p.billedNow ? 'What makes up this amount' : 'What makes up your next invoice'}
                  </caption>
                  <tbody>
                    {lines.map((line, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: lines have no id and never reorder
                      <tr key={i}>
                        <th scope="row">{lineLabel(line)}</th>
                        <td className="num">{formatMoney(line.amount, p.currency, { cents: true })}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <p className="preview-note">{previewNote(p, summary, target)}</p>
              {p.overage && (
                <p className="preview-note">
                  API calls past the {p.overage.included.toLocaleString('en-US')} included in {target.planName} are billed by use:{' '}
                  {formatMoney(p.overage.unitAmount, p.currency, { cents: true })} each, on the invoice at the end of each billing
                  period.
                </p>
              )}
            </>
          )}
        </QueryState>
      </div>
      <form
        className="promo-form"
        onSubmit={(e) => {
          e.preventDefault();
          setCodeError(null);
          setCode(typed.trim());
        }}
      >
        <div className="promo-row">
          <TextField
            label="Promotion code"
            name="promotionCode"
            optional
            autoComplete="off"
            spellCheck={false}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            error={codeError ?? changeErrors.fields.promotionCode}
            hint={
              p?.promotionCode
                ? `${p.promotionCode} ${p.keptDiscounts > 0 ? 'added; your current discount stays' : 'applied'}${
                    p.effectiveAt ? `: it starts with ${target.planName} on ${formatDate(new Date(p.effectiveAt * 1000))}` : ''
                  }.`
                : undefined
            }
          />
          <Button type="submit" variant="secondary" loading={preview.isFetching && Boolean(code)} disabled={!typed.trim()}>
            Apply
          </Button>
        </div>
      </form>
      <FormAlert message={changeError} />
      <div className="dialog-actions">
        <Button variant="secondary" onClick={onClose}>
          Keep current plan
        </Button>
        <Button onClick={confirm} disabled={!p || preview.isFetching} loading={change.isPending}>
          {p?.effectiveAt ? 'Schedule the change' : 'Confirm change'}
        </Button>
      </div>
    </Dialog>
  );
}

function previewNote(p: ChangePreview, summary: BillingSummary, target: ChangeTarget): string {
  const sub = summary.subscription;
  const then = target.amount !== null ? perInterval(target.amount, target.currency, target.interval) : 'the new price';
  if (p.effectiveAt) {
    return `Your plan changes to ${target.planName} on ${formatDate(new Date(p.effectiveAt * 1000))}. Nothing is charged now. You keep ${summary.plan.name} until then; API overage used until then is billed on that invoice at your current rate.`;
  }
  if (!p.billedNow) {
    return sub?.status === 'trialing' && sub.trialEnd
      ? `You're in your free trial, so nothing is charged now. Your plan changes at once; the first payment is on ${formatDate(sub.trialEnd)}.`
      : `Nothing is charged now. Your next invoice includes the change.`;
  }
  if (p.total < 0) return `The credit is applied to your next invoices automatically. Then ${then}.`;
  if (target.interval !== sub?.interval) return `Your billing period starts again today, then ${then}.`;
  return `Then ${then} from your next renewal${sub?.currentPeriodEnd ? ` on ${formatDate(sub.currentPeriodEnd)}` : ''}.`;
}

function lineLabel(line: ChangePreview['lines'][number]): string {
  if (line.metered)
    return `API calls past the included quota${line.quantity ? ` (${line.quantity.toLocaleString('en-US')})` : ''}`;
  return line.description || (line.proration ? 'Proration' : 'Subscription');
}

function keyOf(v: { planId: string; interval: string; prorationDate: number; promotionCode?: string }): string {
  return `change:${v.planId}:${v.interval}:${v.prorationDate}:${v.promotionCode ?? ''}`;
}
