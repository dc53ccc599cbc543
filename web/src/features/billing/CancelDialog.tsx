// Cancel at the end of the period, with an optional reason and comment (sent to Stripe's
// cancellation_details). The plan stays until then, and can be resumed.
import { type FormEvent, useId, useState } from 'react';
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { formatDate } from '../../lib/format';
import { fieldValue } from '../../lib/hooks';
import { FormAlert } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Dialog } from '../../components/Dialog';
import { type BillingSummary, useActionIds } from './billing-lib';

const reasons = [
  ['too_expensive', "It's too expensive"],
  ['unused', "I don't use it enough"],
  ['missing_features', "It's missing features I need"],
  ['switched_service', "I'm switching to another service"],
  ['too_complex', "It's too complicated"],
  ['low_quality', "The quality wasn't what I expected"],
  ['customer_service', "Support didn't meet my expectations"],
  ['other', 'Another reason'],
] as const;
type Reason = (typeof reasons)[number][0];

export function CancelDialog({
  summary,
  onClose,
  onCanceled,
}: {
  summary: BillingSummary;
  onClose: () => void;
  onCanceled: (next: BillingSummary) => void;
}) {
  const utils = trpc.useUtils();
  const actions = useActionIds();
  const reasonId = useId();
  const commentId = useId();
  const [comment, setComment] = useState('');
  const cancel = trpc.billing.cancel.useMutation({
    onSettled: (_d, error) => actions.settle('cancel', error),
    onSuccess: (next) => {
      utils.billing.summary.setData(undefined, next);
      onCanceled(next);
    },
  });
  const errors = formErrors(cancel.error, ['reason', 'comment']);
  const sub = summary.subscription;
  const endsOn = sub?.currentPeriodEnd ?? sub?.trialEnd ?? null;

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const reason = fieldValue(new FormData(e.currentTarget), 'reason');
    cancel.mutate({ reason: reason ? (reason as Reason) : null, comment: comment.trim(), actionId: actions.idFor('cancel') });
  }

  return (
    <Dialog
      open
      onClose={onClose}
      title={`Cancel your ${summary.plan.name} plan?`}
      description={
        <p>
          {endsOn ? (
            <>
              You keep {summary.plan.name} until <strong>{formatDate(endsOn)}</strong> and won't be charged again.
            </>
          ) : (
            <>You keep {summary.plan.name} until the end of the current period and won't be charged again.</>
          )}{' '}
          After that you move to Free. You can resume any time before then.
          {sub?.scheduledChange
            ? ` The change to ${sub.scheduledChange.planName ?? 'another plan'} scheduled for then is dropped.`
            : ''}
        </p>
      }
    >
      <form className="form" onSubmit={onSubmit} noValidate>
        <FormAlert message={errors.message} />
        <div className={`field${errors.fields.reason ? ' field-invalid' : ''}`}>
          <label className="field-label" htmlFor={reasonId}>
            Why are you canceling? <span className="field-optional">(optional)</span>
          </label>
          <select
            id={reasonId}
            name="reason"
            className="input select"
            defaultValue=""
            aria-invalid={errors.fields.reason ? true : undefined}
          >
            <option value="">Choose a reason</option>
            {reasons.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
          {errors.fields.reason && <p className="field-error">{errors.fields.reason}</p>}
        </div>
        <div className={`field${errors.fields.comment ? ' field-invalid' : ''}`}>
          <label className="field-label" htmlFor={commentId}>
            Anything we could do better? <span className="field-optional">(optional)</span>
          </label>
          <textarea
            id={commentId}
            name="comment"
            className="input textarea"
            rows={3}
            maxLength={500}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            aria-invalid={errors.fields.comment ? true : undefined}
            aria-describedby={`${commentId}-hint`}
          />
          <p id={`${commentId}-hint`} className="field-hint">
            {500 - comment.length} characters left
          </p>
          {errors.fields.comment && <p className="field-error">{errors.fields.comment}</p>}
        </div>
        <div className="dialog-actions">
          <Button variant="secondary" onClick={onClose}>
            Keep subscription
          </Button>
          <Button type="submit" variant="danger" loading={cancel.isPending}>
            Confirm cancellation
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
