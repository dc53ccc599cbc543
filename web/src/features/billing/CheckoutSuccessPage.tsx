// Where Stripe Checkout returns after paying: confirms the session with the server at once (which
// syncs from Stripe), so the plan is right here and on Billing before any webhook arrives.
import { useEffect, useRef } from 'react';
import { useSearchParams } from 'react-router';
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { PageHeader } from '../../components/AppShell';
import { Banner } from '../../components/Banner';
import { ButtonLink } from '../../components/Button';
import { Card } from '../../components/Card';
import { LoadingBlock } from '../../components/Spinner';
import { CheckIcon } from '../../components/icons';
import { formatDate } from '../../lib/format';
import { formatMoney } from './billing-lib';
import './billing.css';

export function CheckoutSuccessPage() {
  const [params] = useSearchParams();
  const sessionId = params.get('session_id');
  const utils = trpc.useUtils();
  const complete = trpc.billing.completeCheckout.useMutation({
    onSuccess: async () => {
      await Promise.all([utils.billing.summary.invalidate(), utils.billing.invoices.invalidate()]);
    },
  });
  const summary = trpc.billing.summary.useQuery(undefined, { enabled: complete.isSuccess });
  const started = useRef(false);

  useEffect(() => {
    if (started.current || !sessionId) return;
    started.current = true;
    complete.mutate({ sessionId });
  }, [sessionId, complete]);

  if (!sessionId) {
    return (
      <div className="page">
        <PageHeader title="Checkout" />
        <Banner tone="error" title="This link is missing its checkout session">
          We can't tell which checkout you finished. Your Billing page shows your current plan.
        </Banner>
        <div>
          <ButtonLink to="/app/billing">Go to billing</ButtonLink>
        </div>
      </div>
    );
  }

  if (complete.isError) {
    return (
      <div className="page">
        <PageHeader title="Checkout" />
        <Banner tone="error" title="We couldn't confirm your subscription">
          {formErrors(complete.error).message} If you paid, your plan will appear on your Billing page within a minute.
        </Banner>
        <div className="button-row">
          <ButtonLink to="/app/billing">Go to billing</ButtonLink>
          <ButtonLink to="/pricing" variant="secondary">
            Back to pricing
          </ButtonLink>
        </div>
      </div>
    );
  }

  if (complete.isSuccess && complete.data.status !== 'complete') {
    const expired = complete.data.status === 'expired';
    return (
      <div className="page">
        <PageHeader title="Checkout" />
        <Banner tone="warning" title={expired ? 'This checkout has expired' : "Your checkout isn't finished"}>
          {expired
            ? 'Nothing was charged. Choose a plan again to start a new checkout.'
            : 'Nothing has been charged yet. Go back to pricing to choose a plan and finish paying.'}
        </Banner>
        <div>
          <ButtonLink to="/pricing">Back to pricing</ButtonLink>
        </div>
      </div>
    );
  }

  const s = summary.data;
  if (!s) {
    return (
      <div className="page">
        <title>Confirming your subscription · DropIn</title>
        <LoadingBlock label="Confirming your subscription…" />
      </div>
    );
  }
  const sub = s.subscription;
  return (
    <div className="page">
      <PageHeader title="Welcome aboard" />
      <Card className="success-card">
        <div className="success-body" role="status">
          <span className="notice-icon">
            <CheckIcon size={28} />
          </span>
          <h2 className="success-title">You're on {s.plan.name}</h2>
          {sub?.status === 'trialing' && sub.trialEnd ? (
            <p className="muted">
              Your {sub.trialDaysLeft}-day free trial has started. Your first payment
              {sub.unitAmount !== null ? ` of ${formatMoney(sub.unitAmount, sub.currency)}` : ''} is on {formatDate(sub.trialEnd)}
              ; cancel before then and you won't be charged.
            </p>
          ) : (
            <p className="muted">Thanks for subscribing. A receipt is on its way to your inbox.</p>
          )}
          <div className="button-row">
            <ButtonLink to="/app/billing">Go to billing</ButtonLink>
            <ButtonLink to="/app" variant="secondary">
              Go to dashboard
            </ButtonLink>
          </div>
        </div>
      </Card>
    </div>
  );
}
