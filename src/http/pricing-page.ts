// The pricing page for visitors: a document rendered on the server from the web app's own
// components (the build's server bundle, web/src/prerender/pricing.tsx) with the plans as
// billing.plans gives them, so a first visit loads the page's small script and styles rather than
// the whole app. A request carrying a session cookie gets the app instead, whose page is live for
// the signed-in person (their plan, Checkout, the email check). Every link on the document leads
// into the app.
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Context } from 'hono';
import type { ServerDeps } from '../deps';
import type { AppEnv } from './app-env';
import { publicPlans } from '../billing/dashboard';
import { pricingFiles } from './web-build-files';

type PublicPlan = Awaited<ReturnType<typeof publicPlans>>[number];
interface PricingBundle {
  renderPricing(input: { plans: PublicPlan[]; interval: 'month' | 'year'; canceled: boolean }): string;
}

const PLACEHOLDER = '<!--pricing-page-->';

/**
 * The GET /pricing handler for a build that has the pricing bundle (null for one without). It
 * answers with the rendered document, or with null, for the caller to send the app shell, when the
 * request carries a session cookie or rendering failed.
 */
export function pricingPage(opts: { deps: ServerDeps; webDist: string }) {
  const files = pricingFiles(opts.webDist);
  if (!existsSync(files.bundle) || !existsSync(files.template)) return null;
  const template = readFileSync(files.template, 'utf8');
  if (!template.includes(PLACEHOLDER)) throw new Error(`${files.template} has no ${PLACEHOLDER} to fill.`);
  // Loaded now, with the template: a deploy that swaps the build under a running server (see
  // docs/deployment.md) then cannot pair this template with the next build's markup.
  const bundle = import(pathToFileURL(files.bundle).href) as Promise<PricingBundle>;
  bundle.catch(() => {}); // reported by the first request that needs it
  // The page for each address (period, canceled checkout) while the plans stay the same: the plans
  // come from a cache of a minute (src/billing/prices.ts), so a new catalog shows within a minute.
  let cache: { plans: string; pages: Map<string, string> } = { plans: '', pages: new Map() };

  return async (c: Context<AppEnv>): Promise<Response | null> => {
    if (opts.deps.sessions.readCookie(c.req.header('cookie'))) return null;
    try {
      const plans = await publicPlans(opts.deps);
      const plansKey = JSON.stringify(plans);
      if (cache.plans !== plansKey) cache = { plans: plansKey, pages: new Map() };
      const interval = c.req.query('interval') === 'year' ? 'year' : 'month';
      const canceled = c.req.query('checkout') === 'canceled';
      const key = `${interval}:${canceled}`;
      let page = cache.pages.get(key);
      if (!page) {
        const markup = (await bundle).renderPricing({ plans, interval, canceled });
        page = template.replace(PLACEHOLDER, () => markup);
        cache.pages.set(key, page);
      }
      // Revalidated on every visit like the app shell; whether a session cookie came decides
      // between this document and the app, so a cache keys on the cookie too.
      c.header('Cache-Control', 'no-cache');
      c.header('Vary', 'Cookie');
      return c.html(page);
    } catch (err) {
      c.get('log').error({ err }, 'could not render the pricing page; sending the app');
      return null;
    }
  };
}
