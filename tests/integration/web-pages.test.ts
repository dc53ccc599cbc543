// What the server answers for the web app's addresses: its pages with the app shell, any other path
// with the shell and a 404 (the web then shows its not-found page), the short URLs people type with
// a redirect to their page, unknown API paths with JSON, and the built files as they are. And the
// home and pricing pages a visitor gets from the real build: documents rendered on the server.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, defaultWebDist } from '../../scripts/web-build';
import { createApp } from '../../src/app';
import { publicPlans } from '../../src/billing/dashboard';
import { formatAmount } from '../../src/lib/money';
import { shortUrls, webPages } from '../../src/lib/web-routes';
import { createHarness, type Harness } from '../setup/harness';

const SHELL =
  '<!doctype html><title>DropIn</title><div id="root"></div><script type="module" src="/assets/index-abc.js"></script>';

let h: Harness;
let webDist: string;
let web: ReturnType<typeof createApp>;
beforeAll(async () => {
  h = await createHarness();
  webDist = mkdtempSync(path.join(os.tmpdir(), 'dropin-web-'));
  writeFileSync(path.join(webDist, 'index.html'), SHELL);
  writeFileSync(path.join(webDist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  mkdirSync(path.join(webDist, 'assets'));
  writeFileSync(path.join(webDist, 'assets', 'index-abc.js'), 'console.log("DropIn");');
  writeFileSync(path.join(webDist, 'assets', 'index-abc.js.map'), '{"version":3,"sources":["secret.ts"],"mappings":""}');
  web = createApp(h.deps, { webDist });
});
afterAll(async () => {
  rmSync(webDist, { recursive: true, force: true });
  await h.close();
});

const get = (p: string) => web.request(`${h.env.PUBLIC_URL}${p}`);

describe('the web app shell', () => {
  it.each([
    '/',
    '/pricing',
    '/login',
    '/app',
    '/app/billing',
    '/app/billing/',
    '/app/library/saas-metrics-handbook',
    '/app/admin',
    '/app/admin/subscribers/usr_123',
    '/app/admin/content/new',
  ])('%s is a page: 200 with the shell, revalidated on every visit', async (p) => {
    const res = await get(p);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toBe(SHELL);
  });

  it('every page in the shared list answers 200', async () => {
    for (const pattern of Object.values(webPages)) {
      const p = pattern.replace(/:[^/]+/g, 'x1');
      expect((await get(p)).status, p).toBe(200);
    }
  });

  it.each(['/nope', '/app/nope', '/app/library/a/b', '/app/admin/nope', '/pricing/annual', '/index.php'])(
    '%s is no page: 404 with the shell, which shows the not-found page',
    async (p) => {
      const res = await get(p);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toBe(SHELL);
    },
  );

  it('the password reset page, which carries its token in the URL, sends no referrer', async () => {
    const res = await get('/reset-password?token=abc');
    expect(res.status).toBe(200);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('short URLs', () => {
  it.each(Object.entries(shortUrls))('%s → 302 to %s, keeping the query string', async (from, to) => {
    const bare = await get(from);
    expect(bare.status).toBe(302);
    expect(bare.headers.get('location')).toBe(to);
    const withQuery = await get(`${from}?error=oauth_failed&x=a%20b`);
    expect(withQuery.status).toBe(302);
    expect(withQuery.headers.get('location')).toBe(`${to}?error=oauth_failed&x=a%20b`);
  });

  it('covers what people type: /billing, /admin, /dashboard, /usage, /library, /settings', () => {
    expect(shortUrls).toEqual({
      '/billing': '/app/billing',
      '/admin': '/app/admin',
      '/dashboard': '/app',
      '/usage': '/app/usage',
      '/library': '/app/library',
      '/settings': '/app/settings',
    });
  });
});

describe('not the web app', () => {
  it.each(['/trpc/no.such', '/trpc', '/api/nope', '/api/admin/nope'])('%s unknown: JSON 404', async (p) => {
    const res = await get(p);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toHaveProperty('error');
  });

  it('built files are served as they are; a missing asset is a 404, never the shell', async () => {
    const icon = await get('/favicon.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const script = await get('/assets/index-abc.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await script.text()).toBe('console.log("DropIn");');
    const missing = await get('/assets/index-gone.js');
    expect(missing.status).toBe(404);
    expect(await missing.text()).not.toBe(SHELL);
  });

  it('a source map left among the built files is not served', async () => {
    const map = await get('/assets/index-abc.js.map');
    expect(map.status).toBe(404);
    expect(await map.text()).not.toContain('secret.ts');
  });
});

describe('the home and pricing pages a visitor gets, from the real build', () => {
  let built: ReturnType<typeof createApp>;
  beforeAll(async () => {
    await ensureWebBuild({ log: () => {} });
    built = createApp(h.deps, { webDist: defaultWebDist });
  }, 300_000);
  const fetchBuilt = (p: string, headers: Record<string, string> = {}) => built.request(`${h.env.PUBLIC_URL}${p}`, { headers });

  it('is rendered on the server: every plan with its price and a sign-up link, no inline script', async () => {
    const res = await fetchBuilt('/pricing');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('vary')).toBe('Cookie');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self';");
    const html = await res.text();
    expect(html).toContain('<title>Pricing · DropIn</title>');
    for (const plan of await publicPlans(h.deps)) {
      expect(html).toContain(`>${plan.name}</h2>`);
      const monthly = plan.prices.month;
      if (monthly) expect(html).toContain(`>${formatAmount(monthly.amount, monthly.currency, { trim: true })}</span>`);
    }
    expect(html).toMatch(/href="\/signup\?next=%2Fpricing"[^>]*>Start free trial<\/a>/);
    expect(html).toContain('aria-pressed="true" data-interval-option="month"');
    // The CSP allows no inline script: each one is a built file, served.
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1] as string);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attrs of scripts) {
      const src = /src="(\/assets\/[^"]+\.js)"/.exec(attrs)?.[1];
      expect(src, attrs).toBeTruthy();
      expect((await fetchBuilt(src as string)).status).toBe(200);
    }
    expect(html).not.toMatch(/<script\b[^>]*>[^<]/);
  });

  it('opens on the yearly prices for ?interval=year, and says a canceled checkout charged nothing', async () => {
    const yearly = await (await fetchBuilt('/pricing?interval=year')).text();
    expect(yearly).toContain('aria-pressed="true" data-interval-option="year"');
    expect(yearly).toMatch(/<div class="price-amount" data-interval="year">/);
    expect(yearly).toMatch(/<div class="price-amount" hidden="" data-interval="month">/);
    expect(yearly).not.toContain('Checkout canceled');
    const canceled = await (await fetchBuilt('/pricing?checkout=canceled')).text();
    expect(canceled).toContain('Checkout canceled');
  });

  it('the home page is rendered on the server with its styles and no script, and shows a notice of ours', async () => {
    const res = await fetchBuilt('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('vary')).toBe('Cookie');
    const html = await res.text();
    expect(html).toContain('<title>DropIn · Premium content and developer tools</title>');
    expect(html).toContain('Everything you need to build, in one subscription.');
    expect(html).toMatch(/<link rel="stylesheet"[^>]* href="\/assets\/[^"]+\.css">/);
    expect(html).not.toContain('<script');
    const notice = await (await fetchBuilt('/?notice=account-deleted')).text();
    expect(notice).toContain('Your account and personal data have been deleted.');
    // Only our own notices: a crafted key shows the page without one.
    const crafted = await (await fetchBuilt('/?notice=%3Cb%3Ehello')).text();
    expect(crafted).toBe(html);
    // Names every object has are not notices either.
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(await (await fetchBuilt(`/?notice=${key}`)).text(), key).toBe(html);
    }
  });

  it.each(['/', '/pricing'])('%s with a session cookie is the app, whose page knows the person', async (p) => {
    const shell = await fetchBuilt('/login');
    const res = await fetchBuilt(p, { cookie: `${h.deps.sessions.cookieName}=some-session-token` });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('vary')).toBe('Cookie');
    expect(await res.text()).toBe(await shell.text());
  });

  it('the server bundle and template inside the build are not served', async () => {
    for (const p of ['/server/pages.mjs', '/server/pricing.html', '/server/home.html']) {
      const res = await fetchBuilt(p);
      expect(res.status, p).toBe(404);
      expect(await res.text()).not.toMatch(/renderPricing|<!--page-->/);
    }
  });
});
