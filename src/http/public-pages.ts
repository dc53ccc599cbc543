// The public pages for visitors — the home page and the pricing page — as documents rendered on
// the server from the web app's own components (the build's server bundle,
// web/src/prerender/pages.tsx), so a first visit loads each page's styles and, for pricing, one
// small script, rather than the whole app. A request carrying a session cookie gets the app
// instead, whose pages are live for the signed-in person (their plan, Checkout, the email check).
// Every link on these documents leads into the app.
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Context } from 'hono';
import type { ServerDeps } from '../deps';
import type { AppEnv } from './app-env';
import { publicPlans } from '../billing/dashboard';
import { webPages } from '../lib/web-routes';
import { PAGE_PLACEHOLDER, PUBLIC_PAGES, type PublicPage, publicPageFiles } from './web-build-files';

type PublicPlan = Awaited<ReturnType<typeof publicPlans>>[number];
interface PagesBundle {
  homeNoticeKey(notice: string | null): string;
  renderHome(input: { notice: string }): string;
  renderPricing(input: { plans: PublicPlan[]; interval: 'month' | 'year'; canceled: boolean }): string;
}

/**
 * The GET handler for `/` and `/pricing`, for a build that has the pages' bundle (null for one
 * without). It answers with the rendered document, or with null, for the caller to send the app
 * shell, when the request carries a session cookie, is for another path, or rendering failed.
 */
export function publicPages(opts: { deps: ServerDeps; webDist: string }) {
  const files = publicPageFiles(opts.webDist);
  if (![files.bundle, ...Object.values(files.templates)].every((file) => existsSync(file))) return null;
  const templates = {} as Record<PublicPage, string>;
  for (const page of PUBLIC_PAGES) {
    templates[page] = readFileSync(files.templates[page], 'utf8');
    if (!templates[page].includes(PAGE_PLACEHOLDER))
      throw new Error(`${files.templates[page]} has no ${PAGE_PLACEHOLDER} to fill.`);
  }
  // Loaded now, with the templates: a deploy that swaps the build under a running server (see
  // docs/deployment.md) then cannot pair these templates with the next build's markup.
  const bundle = import(pathToFileURL(files.bundle).href) as Promise<PagesBundle>;
  bundle.catch(() => {}); // reported by the first request that needs it
  // Each page per address (the notice, the period, a canceled checkout). The pricing pages while
  // the plans stay the same: those come from a cache of a minute (src/billing/prices.ts), so a new
  // catalog shows within a minute.
  const home = new Map<string, string>();
  let pricing: { plans: string; pages: Map<string, string> } = { plans: '', pages: new Map() };
  const fill = (page: PublicPage, markup: string) => templates[page].replace(PAGE_PLACEHOLDER, () => markup);

  async function document(c: Context<AppEnv>): Promise<string | null> {
    const pages = await bundle;
    if (c.req.path === webPages.home) {
      const notice = pages.homeNoticeKey(c.req.query('notice') ?? null);
      let html = home.get(notice);
      if (!html) {
        html = fill('home', pages.renderHome({ notice }));
        home.set(notice, html);
      }
      return html;
    }
    if (c.req.path === webPages.pricing) {
      const plans = await publicPlans(opts.deps);
      const plansKey = JSON.stringify(plans);
      if (pricing.plans !== plansKey) pricing = { plans: plansKey, pages: new Map() };
      const interval = c.req.query('interval') === 'year' ? 'year' : 'month';
      const canceled = c.req.query('checkout') === 'canceled';
      const key = `${interval}:${canceled}`;
      let html = pricing.pages.get(key);
      if (!html) {
        html = fill('pricing', pages.renderPricing({ plans, interval, canceled }));
        pricing.pages.set(key, html);
      }
      return html;
    }
    return null;
  }

  return async (c: Context<AppEnv>): Promise<Response | null> => {
    if (c.req.path !== webPages.home && c.req.path !== webPages.pricing) return null;
    // Whether a session cookie came decides between this document and the app, so a cache keys
    // on the cookie for either answer.
    c.header('Vary', 'Cookie');
    if (opts.deps.sessions.readCookie(c.req.header('cookie'))) return null;
    try {
      const html = await document(c);
      if (!html) return null;
      // Revalidated on every visit, like the app shell.
      c.header('Cache-Control', 'no-cache');
      return c.html(html);
    } catch (err) {
      c.get('log').error({ err, path: c.req.path }, 'could not render a public page; sending the app');
      return null;
    }
  };
}
