// The public pricing page: Free, Pro and Business from billing.plans (amounts as Stripe has them),
// a monthly/yearly switch, and the right next step for whoever is looking: sign up, verify the
// email, go to Stripe Checkout, or manage the current plan from Billing.
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { Banner } from '../../components/Banner';
import { ButtonLink } from '../../components/Button';
import { QueryState } from '../../components/QueryState';
import { useMe } from '../auth/session';
import { type Interval, type PaidPlanId, useActionIds } from '../billing/billing-lib';
import { maxYearlySaving, PlanAction, PlanCard, PricingView } from './PricingView';

export function PricingPage() {
  const [params] = useSearchParams();
  const [interval, setBillingInterval] = useState<Interval>(params.get('interval') === 'year' ? 'year' : 'month');
  const me = useMe();
  const user = me.data?.user ?? null;
  const plans = trpc.billing.plans.useQuery(undefined, { staleTime: 5 * 60_000 });
  const summary = trpc.billing.summary.useQuery(undefined, { enabled: Boolean(user) });
  const actions = useActionIds();
  const [choosing, setChoosing] = useState<PaidPlanId | null>(null);
  const checkout = trpc.billing.startCheckout.useMutation({
    // Stripe's hosted page is another site: a full page load, not a route change.
    onSuccess: ({ url }) => window.location.assign(url),
    onSettled: (_data, error, input) => actions.settle(`${input.planId}:${input.interval}`, error),
  });
  const checkoutError = formErrors(checkout.error).message;

  const yearlySaving = maxYearlySaving(plans.data?.plans ?? []);
  const subscribed = Boolean(summary.data?.subscription);
  const currentPlan = user ? (summary.data?.plan.id ?? null) : null;

  function choose(planId: PaidPlanId) {
    setChoosing(planId);
    checkout.mutate({ planId, interval, actionId: actions.idFor(`${planId}:${interval}`) });
  }

  return (
    <>
      <title>Pricing · DropIn</title>
      <PricingView
        user={user}
        interval={interval}
        onIntervalChange={setBillingInterval}
        yearlySaving={yearlySaving}
        canceled={params.get('checkout') === 'canceled'}
        notices={
          <>
            {user && !user.emailVerified && (
              <Banner
                tone="warning"
                title="Verify your email to choose a plan"
                action={
                  <ButtonLink to="/verify-email" size="sm" variant="secondary">
                    Verify email
                  </ButtonLink>
                }
              >
                We need to know <strong>{user.email}</strong> is yours before you subscribe, so receipts and billing notices reach
                you.
              </Banner>
            )}
            {subscribed && (
              <Banner
                tone="info"
                action={
                  <ButtonLink to="/app/billing" size="sm" variant="secondary">
                    Manage billing
                  </ButtonLink>
                }
              >
                You're subscribed. Upgrades, downgrades and switching to yearly happen on your Billing page, with a preview of
                exactly what you'll pay.
              </Banner>
            )}
            {checkoutError && <Banner tone="error">{checkoutError}</Banner>}
          </>
        }
      >
        <QueryState
          query={plans}
          loadingLabel="Loading plans…"
          skeletonLines={6}
          placeholder={(skeleton) => (
            <ul className="plan-grid pricing-grid" aria-label="Plans">
              {[0, 1, 2].map((i) => (
                <li key={i} className="plan price-card">
                  {skeleton}
                </li>
              ))}
            </ul>
          )}
          errorTitle="We couldn't load the plans"
        >
          {(data) => (
            <ul className="plan-grid pricing-grid" aria-label="Plans">
              {data.plans.map((plan) => (
                <PlanCard
                  key={plan.id}
                  plan={plan}
                  interval={interval}
                  current={currentPlan === plan.id}
                  action={
                    <PlanAction
                      plan={plan}
                      loggedIn={Boolean(user)}
                      verified={Boolean(user?.emailVerified)}
                      summaryReady={!user || summary.isSuccess}
                      subscribed={subscribed}
                      current={currentPlan === plan.id}
                      busy={checkout.isPending && choosing === plan.id}
                      disabled={checkout.isPending || checkout.isSuccess}
                      onChoose={choose}
                    />
                  }
                />
              ))}
            </ul>
          )}
        </QueryState>
      </PricingView>
    </>
  );
}
