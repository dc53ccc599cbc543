// The account alerts the server decides (billing.summary → alerts, src/billing/alerts.ts), as
// banners with their actions. The app's frame shows the `action_required` ones on every page until
// they clear; the billing page shows the notices (a scheduled cancellation) as well.
import { useState } from 'react';
import { Banner } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { formErrors } from '../../lib/errors';
import { trpc } from '../../lib/trpc';
import { type BillingSummary, useActionIds } from './billing-lib';
import { useBillingFollowers } from './follow';

type Alert = BillingSummary['alerts'][number];

/**
 * Watch for Stripe's answer while a payment is being sorted out (often in another tab). A card
 * about to expire waits for no answer: the portal brings the subscriber back, which refetches.
 */
export function alertPollInterval(summary: BillingSummary | undefined): number | false {
  return summary?.alerts.some((a) => a.severity === 'action_required' && a.kind !== 'card_expiring') ? 5_000 : false;
}

export function AccountAlerts({ show }: { show: 'action_required' | 'notice' }) {
  const summary = trpc.billing.summary.useQuery(undefined, {
    refetchInterval: (q) => alertPollInterval(q.state.data),
  });
  // The frame's instance (on every page) moves the rest of the page along with the summary.
  useBillingFollowers(summary.data, show === 'action_required');
  // What an action on an alert just did ("… will renew as usual"): the alert itself is gone.
  const [done, setDone] = useState<string | null>(null);
  const alerts = (summary.data?.alerts ?? []).filter((a) => a.severity === show);
  if (alerts.length === 0 && !done) return null;
  return (
    <div className="account-alerts">
      {done && alerts.length === 0 && <Banner tone="success">{done}</Banner>}
      {alerts.map((a) => (
        <AlertBanner key={a.id} alert={a} onDone={setDone} />
      ))}
    </div>
  );
}

function AlertBanner({ alert, onDone }: { alert: Alert; onDone: (message: string) => void }) {
  const utils = trpc.useUtils();
  const actions = useActionIds();
  const portal = trpc.billing.portal.useMutation({ onSuccess: ({ url }) => window.location.assign(url) });
  const resume = trpc.billing.resume.useMutation({
    onSettled: (_d, error) => actions.settle('resume', error),
    onSuccess: (next) => {
      utils.billing.summary.setData(undefined, next);
      onDone(`Your ${next.plan.name} plan will renew as usual.`);
    },
  });
  const error = formErrors(portal.error ?? resume.error).message;
  return (
    <Banner
      tone={alert.tone}
      title={alert.title}
      className="account-alert"
      action={
        <div className="button-row">
          {alert.actions.map((action) => {
            switch (action.kind) {
              case 'pay_invoice':
                return (
                  <a key={action.kind} className="btn btn-primary btn-sm" href={action.url} target="_blank" rel="noreferrer">
                    Pay invoice<span className="visually-hidden"> (opens in a new tab)</span>
                  </a>
                );
              case 'update_payment_method':
                return (
                  <Button
                    key={action.kind}
                    size="sm"
                    variant="secondary"
                    onClick={() => portal.mutate()}
                    loading={portal.isPending}
                  >
                    Update payment method
                  </Button>
                );
              case 'resume':
                return (
                  <Button
                    key={action.kind}
                    size="sm"
                    variant="secondary"
                    onClick={() => resume.mutate({ actionId: actions.idFor('resume') })}
                    loading={resume.isPending}
                  >
                    Resume subscription
                  </Button>
                );
              case 'choose_plan':
                return (
                  <ButtonLink key={action.kind} to="/pricing" size="sm" variant="secondary">
                    See plans
                  </ButtonLink>
                );
              default:
                return null;
            }
          })}
        </div>
      }
    >
      {alert.message}
      {error && <p className="field-error">{error}</p>}
    </Banner>
  );
}
