// The public pages as the server sends them to a visitor with no session (src/http/public-pages.ts):
// the home page and the pricing page, from the same components as the app's pages, rendered to
// HTML on the server (React's server renderer, built into its own bundle by scripts/web-build.ts).
// Every next step is a link into the app; the pricing page's period switch is
// web/src/pricing-static.ts. Someone signed in gets the app's live pages instead.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { StaticRouter } from 'react-router';
import type { Interval, PublicPlan } from '../features/billing/billing-lib';
import { HomeView } from '../features/home/HomeView';
import { noticeFor } from '../lib/notices';
import { maxYearlySaving, PlanAction, PlanCard, PricingView } from '../features/pricing/PricingView';

export interface PricingRenderInput {
  plans: PublicPlan[];
  /** The period shown first (`?interval=year` in the address); the page's script switches it. */
  interval: Interval;
  /** Back from a canceled Stripe Checkout (`?checkout=canceled`). */
  canceled: boolean;
}

/** A page's markup for the `#root` of its document template, as the app's frame draws it. */
function render(location: string, page: ReactNode): string {
  return renderToStaticMarkup(
    <StaticRouter location={location}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {page}
    </StaticRouter>,
  );
}

/**
 * The `?notice=` key another page sent the visitor with, if it is one of ours, else '': the home
 * page differs by this key alone, so it is what the server caches the page by.
 */
export function homeNoticeKey(notice: string | null): string {
  return noticeFor(notice) ? (notice as string) : '';
}

/** The home page, with the notice of a key from `homeNoticeKey`. */
export function renderHome(input: { notice: string }): string {
  return render('/', <HomeView loggedIn={false} notice={noticeFor(input.notice || null)} />);
}

/** The pricing page. */
export function renderPricing(input: PricingRenderInput): string {
  const { plans, interval } = input;
  return render(
    '/pricing',
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
    </PricingView>,
  );
}
