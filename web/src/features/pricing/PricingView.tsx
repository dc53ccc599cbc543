// The pricing page's look, shared by the app's page (PricingPage.tsx, live for whoever is signed in)
// and the document the server renders for visitors (web/src/prerender/pages.tsx): the header,
// the period switch, the plan cards and each card's next step.
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { Banner } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { Logo } from '../../components/Logo';
import { Checklist } from '../../components/Checklist';
import { formatMoney, type Interval, type PaidPlanId, type PublicPlan } from '../billing/billing-lib';
import './pricing.css';

export const SIGNUP = `/signup?next=${encodeURIComponent('/pricing')}`;

/**
 * The page around the plans, for the app and for the document the server renders for visitors
 * (web/src/prerender/pages.tsx). Without `onIntervalChange` the period buttons carry
 * `data-interval-option` and web/src/pricing-static.ts switches them.
 */
export function PricingView(props: {
  user: { email: string; emailVerified: boolean } | null;
  interval: Interval;
  onIntervalChange?: (interval: Interval) => void;
  yearlySaving: number;
  canceled: boolean;
  notices?: ReactNode;
  children: ReactNode;
}) {
  const { user, interval, onIntervalChange, yearlySaving } = props;
  return (
    <div className="home pricing-page">
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
                data-interval-option={onIntervalChange ? undefined : i}
                onClick={onIntervalChange ? () => onIntervalChange(i) : undefined}
              >
                {i === 'month' ? 'Monthly' : 'Yearly'}
                {i === 'year' && yearlySaving > 0 && <span className="badge badge-success">Save {yearlySaving}%</span>}
              </button>
            ))}
          </fieldset>
        </section>

        <div className="pricing-notices">
          {props.canceled && (
            <Banner tone="info" title="Checkout canceled">
              Nothing was charged and your plan hasn't changed. Pick a plan whenever you're ready.
            </Banner>
          )}
          {props.notices}
        </div>

        {props.children}
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

/**
 * One plan. `intervals` lists the billing periods whose price the card carries: the app passes the
 * chosen one; the server-rendered document passes both, the one not chosen hidden, for its script
 * to switch without a render.
 */
export function PlanCard({
  plan,
  interval,
  intervals = [interval],
  current,
  action,
}: {
  plan: PublicPlan;
  interval: Interval;
  intervals?: Interval[];
  current: boolean;
  action: ReactNode;
}) {
  const headingId = `plan-${plan.id}`;
  const tagged = intervals.length > 1;
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
      {intervals.map((i) => (
        <PlanPrice key={i} plan={plan} interval={i} hidden={i !== interval} tagged={tagged} />
      ))}
      {plan.trialDays > 0 && <div className="price-trial">{plan.trialDays}-day free trial</div>}
      <div className="price-action">{action}</div>
      <Checklist items={plan.features} label={`${plan.name} features`} />
    </li>
  );
}

/** The price and the line under it, for one billing period. */
function PlanPrice({
  plan,
  interval,
  hidden,
  tagged,
}: {
  plan: PublicPlan;
  interval: Interval;
  hidden: boolean;
  tagged: boolean;
}) {
  const price = plan.prices[interval];
  const monthly = plan.prices.month;
  const saving = price && monthly && interval === 'year' ? monthly.amount * 12 - price.amount : 0;
  const attrs = { hidden: hidden || undefined, 'data-interval': tagged ? interval : undefined };
  return (
    <>
      <div className="price-amount" {...attrs}>
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
      <p className="price-note" {...attrs}>
        {price && interval === 'year'
          ? `${formatMoney(Math.round(price.amount / 12), price.currency, { cents: true })} a month, billed yearly${saving > 0 ? ` · save ${formatMoney(saving, price.currency)}` : ''}`
          : price
            ? 'Billed monthly'
            : 'No card needed'}
      </p>
    </>
  );
}

export function PlanAction(props: {
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
export function maxYearlySaving(plans: PublicPlan[]): number {
  let best = 0;
  for (const p of plans) {
    const m = p.prices.month;
    const y = p.prices.year;
    if (m && y && m.amount > 0) best = Math.max(best, Math.floor(((m.amount * 12 - y.amount) / (m.amount * 12)) * 100));
  }
  return best;
}
