// Confirms dropping a plan change scheduled for the end of the period: the current plan then renews
// as usual (the server releases the Stripe subscription schedule).
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { formatDate } from '../../lib/format';
import { FormAlert } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Dialog } from '../../components/Dialog';
import { type BillingSummary, type Interval, perInterval, planLabel, useActionIds } from './billing-lib';

export function UndoChangeDialog({
  summary,
  onClose,
  onUndone,
}: {
  summary: BillingSummary;
  onClose: () => void;
  onUndone: (next: BillingSummary) => void;
}) {
  const utils = trpc.useUtils();
  const actions = useActionIds();
  const undo = trpc.billing.undoScheduledChange.useMutation({
    onSettled: (_d, error) => actions.settle('undo-change', error),
    onSuccess: (next) => {
      utils.billing.summary.setData(undefined, next);
      onUndone(next);
    },
    // Nothing left to undo (it happened, or another tab undid it): show the plan as it is now.
    onError: () => void utils.billing.summary.invalidate(),
  });
  const sub = summary.subscription;
  const change = sub?.scheduledChange;
  const current = planLabel(summary);
  const interval = sub?.interval as Interval | null;
  const price = sub && sub.unitAmount !== null && interval ? perInterval(sub.unitAmount, sub.currency, interval) : null;
  return (
    <Dialog
      open
      onClose={onClose}
      title={`Keep ${current}?`}
      description={
        <p>
          {change
            ? `The change to ${change.planName ?? 'another plan'} on ${formatDate(change.at)} is cancelled${
                change.promotionCode ? `, and the code ${change.promotionCode} with it` : ''
              }. `
            : ''}
          {current} renews as usual
          {sub?.currentPeriodEnd ? ` on ${formatDate(sub.currentPeriodEnd)}` : ''}
          {price ? ` at ${price}` : ''}.
        </p>
      }
    >
      <FormAlert message={formErrors(undo.error).message} />
      <div className="dialog-actions">
        <Button variant="secondary" onClick={onClose}>
          Keep the change
        </Button>
        <Button onClick={() => undo.mutate({ actionId: actions.idFor('undo-change') })} loading={undo.isPending}>
          Keep {current}
        </Button>
      </div>
    </Dialog>
  );
}
