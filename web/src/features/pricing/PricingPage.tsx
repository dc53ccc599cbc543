// The public pricing page: Free, Pro and Business from billing.plans (amounts as Stripe has them),
// a monthly/yearly switch, and the right next step for whoever is looking: sign up, verify the
// email, go to Stripe Checkout, or manage the current plan from Billing.
import { type ReactNode, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { Banner } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { Logo } from '../../components/Logo';
import { QueryState } from '../../components/QueryState';
import { CheckIcon } from '../../components/icons';
import { useMe } from '../auth/session';
import { formatMoney, type Interval, type PaidPlanId, type PublicPlan, useActionIds } from '../billing/billing-lib';
import './pricing.css';

const SIGNUP = `/signup?next=${encodeURIComponent('/pricing')}`;

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
    <div className="home pricing-page">
      <title>Pricing · DropIn</title>
      <header className="site-header">
        <Logo />
        <nav aria-label="Site" className="site-nav">
          {user ? (
            <ButtonLink to="/app" size="sm">
              Go to dashboard
            </ButtonLink>
          ) : (
            <>
              <Link to={`/login?next=${encodeURIComponent('/pricing')}`} className="site-nav-link">
                Log in
              </Link>
              <ButtonLink to={SIGNUP} size="sm">
                Sign up
              </ButtonLink>
            </>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1} className="container pricing-main">
        <section className="pricing-hero" aria-labelledby="pricing-title">
          <h1 id="pricing-title" className="hero-title pricing-title">
            Simple plans that grow with you
          </h1>
          <p className="hero-lead">Start free. Try Pro or Business free for 14 days. Change or cancel any time.</p>
          <fieldset className="interval-switch">
            <legend className="visually-hidden">Billing period</legend>
            {(['month', 'year'] as const).map((i) => (
              <button
                key={i}
                type="button"
                className="interval-option"
                aria-pressed={interval === i}
                onClick={() => setBillingInterval(i)}
              >
                {i === 'month' ? 'Monthly' : 'Yearly'}
                {i === 'year' && yearlySaving > 0 && <span className="badge badge-success">Save {yearlySaving}%</span>}
              </button>
            ))}
          </fieldset>
        </section>

        <div className="pricing-notices">
          {params.get('checkout') === 'canceled' && (
            <Banner tone="info" title="Checkout canceled">
              Nothing was charged and your plan hasn't changed. Pick a plan whenever you're ready.
            </Banner>
          )}
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
        </div>

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
        <p className="fine-print">
          Prices in US dollars. Free trials are for first-time subscribers; you won't be charged until the trial ends, and you can
          cancel before then. Payments are processed securely by Stripe.
        </p>
      </main>
      <footer className="site-footer container">
        <p>© DropIn</p>
        <Link to="/">Home</Link>
      </footer>
    </div>
  );
}

function PlanCard({
  plan,
  interval,
  current,
  action,
}: {
  plan: PublicPlan;
  interval: Interval;
  current: boolean;
  action: ReactNode;
}) {
  const price = plan.prices[interval];
  const monthly = plan.prices.month;
  const saving = price && monthly && interval === 'year' ? monthly.amount * 12 - price.amount : 0;
  const headingId = `plan-${plan.id}`;
  return (
    <li className={`plan price-card${plan.id === 'pro' ? ' price-card-featured' : ''}`} aria-labelledby={headingId}>
      <div className="price-card-head">
        <h2 id={headingId} className="price-card-name">
          {plan.name}
        </h2>
        {current ? (
          <span className="badge badge-brand">Current plan</span>
        ) : plan.id === 'pro' ? (
          <span className="badge">Most popular</span>
        ) : null}
      </div>
      <p className="price-card-tagline">{plan.tagline}</p>
      <div className="price-amount">
        {price ? (
          <>
            <span className="price-figure">{formatMoney(price.amount, price.currency)}</span>
            <span className="price-unit"> / {interval}</span>
          </>
        ) : (
          <>
            <span className="price-figure">{formatMoney(0)}</span>
            <span className="price-unit"> forever</span>
          </>
        )}
      </div>
      <p className="price-note">
        {price && interval === 'year'
          ? `${formatMoney(Math.round(price.amount / 12), price.currency, { cents: true })} a month, billed yearly${saving > 0 ? ` · save ${formatMoney(saving, price.currency)}` : ''}`
          : price
            ? 'Billed monthly'
            : 'No card needed'}
      </p>
      {plan.trialDays > 0 && <div className="price-trial">{plan.trialDays}-day free trial</div>}
      <div className="price-action">{action}</div>
      <ul className="checklist" aria-label={`${plan.name} features`}>
        {plan.features.map((f) => (
          <li key={f}>
            <CheckIcon size={18} />
            {f}
          </li>
        ))}
      </ul>
    </li>
  );
}

function PlanAction(props: {
  plan: PublicPlan;
  loggedIn: boolean;
  verified: boolean;
  summaryReady: boolean;
  subscribed: boolean;
  current: boolean;
  busy: boolean;
  disabled: boolean;
  onChoose: (planId: PaidPlanId) => void;
}) {
  const { plan } = props;
  const paid = plan.id !== 'free';
  if (!props.loggedIn) {
    return (
      <ButtonLink to={SIGNUP} variant={plan.id === 'pro' ? 'primary' : 'secondary'} block>
        {paid && plan.trialDays > 0 ? 'Start free trial' : 'Get started'}
      </ButtonLink>
    );
  }
  if (!props.summaryReady) return <span className="skeleton price-action-skeleton" aria-hidden="true" />;
  if (props.current) {
    return props.subscribed ? (
      <ButtonLink to="/app/billing" variant="secondary" block>
        Manage plan
      </ButtonLink>
    ) : (
      <ButtonLink to="/app" variant="secondary" block>
        Go to dashboard
      </ButtonLink>
    );
  }
  if (props.subscribed) {
    return (
      <ButtonLink to="/app/billing" variant="secondary" block>
        Change plan
      </ButtonLink>
    );
  }
  if (!paid) return null;
  if (!props.verified) {
    return (
      <ButtonLink to="/verify-email" variant="secondary" block>
        Verify email to choose {plan.name}
      </ButtonLink>
    );
  }
  return (
    <Button
      variant={plan.id === 'pro' ? 'primary' : 'secondary'}
      block
      loading={props.busy}
      disabled={props.disabled}
      onClick={() => props.onChoose(plan.id as PaidPlanId)}
    >
      Choose {plan.name}
    </Button>
  );
}

/** The largest yearly saving across plans, as a whole percentage (for the switch's badge). */
function maxYearlySaving(plans: PublicPlan[]): number {
  let best = 0;
  for (const p of plans) {
    const m = p.prices.month;
    const y = p.prices.year;
    if (m && y && m.amount > 0) best = Math.max(best, Math.floor(((m.amount * 12 - y.amount) / (m.amount * 12)) * 100));
  }
  return best;
}
