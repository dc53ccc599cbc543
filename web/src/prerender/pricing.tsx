// The pricing page as the server sends it to a visitor with no session: the same components as the
// app's page, rendered to HTML on the server (React's server renderer, built into its own bundle by
// scripts/web-build.ts), with links for every next step and web/src/pricing-static.ts for the
// period switch. A visitor who signs in gets the app's live page instead (src/http/pricing-page.ts).
import { renderToStaticMarkup } from 'react-dom/server';
import { StaticRouter } from 'react-router';
import type { Interval, PublicPlan } from '../features/billing/billing-lib';
import { maxYearlySaving, PlanAction, PlanCard, PricingView } from '../features/pricing/PricingView';

export interface PricingRenderInput {
  plans: PublicPlan[];
  /** The period shown first (`?interval=year` in the address); the page's script switches it. */
  interval: Interval;
  /** Back from a canceled Stripe Checkout (`?checkout=canceled`). */
  canceled: boolean;
}

/** The markup of the page, for the `#root` of the document template. */
export function renderPricing(input: PricingRenderInput): string {
  const { plans, interval } = input;
  return renderToStaticMarkup(
    <StaticRouter location="/pricing">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <PricingView user={null} interval={interval} yearlySaving={maxYearlySaving(plans)} canceled={input.canceled}>
        <ul className="plan-grid pricing-grid" aria-label="Plans">
          {plans.map((plan) => (
            <PlanCard
              key={plan.id}
              plan={plan}
              interval={interval}
              intervals={['month', 'year']}
              current={false}
              action={
                <PlanAction
                  plan={plan}
                  loggedIn={false}
                  verified={false}
                  summaryReady
                  subscribed={false}
                  current={false}
                  busy={false}
                  disabled={false}
                  onChoose={() => {}}
                />
              }
            />
          ))}
        </ul>
      </PricingView>
    </StaticRouter>,
  );
}
