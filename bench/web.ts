// Web benchmark, from the real production build served the production way (the repository's
// nginx.conf on loopback, TLS and HTTP/2, in front of a DropIn server):
//  1. the JavaScript and CSS each page loads (its HTML, the page's lazy chunks and what they
//     import), raw and gzip, as Chromium fetched them on a first visit with an empty cache;
//  2. the largest contentful paint of /pricing and /app/billing in Chromium with the CPU throttled
//     4× (Emulation.setCPUThrottlingRate), as a mid-range phone would be; median of several visits.
// Goals: /pricing ≤ 80 KB of gzip JS, /app ≤ 130 KB; no admin or chart code outside the admin.
// Run (as root, like the production tests, for nginx): npx tsx bench/web.ts [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext } from 'playwright-core';
import { ensureWebBuild } from '../scripts/web-build';
import { freePort } from '../scripts/services';
import { hashPassword } from '../src/auth/passwords';
import { newId } from '../src/lib/ids';
import { launchBrowser } from '../tests/setup/browser';
import { brotliInstalled, nginxBinary, selfSignedCert, startNginx } from '../tests/production/nginx';
import { type BenchFigure, isQuick, reportFigures, startBenchServer } from './lib';

const quick = isQuick();
const LCP_VISITS = quick ? 3 : 7;
const CPU_SLOWDOWN = 4;

interface Route {
  path: string;
  signedIn: boolean;
  /** A goal on the page's gzip JS, in KB. */
  maxJsGzipKb?: number;
}

// / and /pricing without a session are documents the server renders (src/http/public-pages.ts).
const ROUTES: Route[] = [
  { path: '/', signedIn: false },
  { path: '/pricing', signedIn: false, maxJsGzipKb: 80 },
  { path: '/login', signedIn: false },
  { path: '/signup', signedIn: false },
  { path: '/app', signedIn: true, maxJsGzipKb: 130 },
  { path: '/app/billing', signedIn: true },
];
const LCP_ROUTES = ['/pricing', '/app/billing'];

const nginxBin = nginxBinary();
if (!nginxBin) throw new Error('nginx is not installed: apt-get install nginx (the production tests need it too)');
if (process.getuid?.() !== 0) throw new Error('bench/web.ts runs nginx as the production tests do: run it as root');

const dir = mkdtempSync(path.join(os.tmpdir(), 'dropin-bench-web-'));
const webRoot = path.join(dir, 'web');
const [httpPort, httpsPort] = [await freePort(), await freePort()];
const base = `https://127.0.0.1:${httpsPort}`;

const build = await ensureWebBuild({ outDir: webRoot, force: true, log: () => {} });
console.log(`web build: ${build.seconds.toFixed(1)} s`);
const server = await startBenchServer({ PUBLIC_URL: base }, { stripe: true, webDist: webRoot });
const cert = selfSignedCert(dir);
const nginx = await startNginx(
  nginxBin,
  { dir, httpPort, httpsPort, upstreamPort: Number(server.deps.env.PORT), webRoot, ...cert },
  { brotli: brotliInstalled() },
);
let browser: Browser | undefined;
try {
  const cookie = await signedInCookie();
  browser = await launchBrowser();

  const sizes = [];
  for (const route of ROUTES) sizes.push(await pageBytes(browser, route, cookie));
  const lcps = [];
  for (const p of LCP_ROUTES) {
    const route = ROUTES.find((r) => r.path === p) as Route;
    const runs: number[] = [];
    for (let i = 0; i < LCP_VISITS; i++) runs.push(await largestContentfulPaint(browser, route, cookie));
    runs.sort((a, b) => a - b);
    lcps.push({
      path: p,
      median: runs[Math.floor(runs.length / 2)] as number,
      min: runs[0] as number,
      max: runs.at(-1) as number,
    });
  }

  const kb = (n: number) => Math.round(n / 102.4) / 10;
  console.log(
    `\nbytes per page: first visit, empty cache (gzip: zlib level 6; nginx sends level 5${brotliInstalled() ? ' or brotli' : ''})`,
  );
  console.table(
    sizes.map((s) => ({
      page: s.path,
      'JS files': s.jsFiles,
      'JS KB': kb(s.jsRaw),
      'JS KB gzip': kb(s.jsGzip),
      'CSS KB': kb(s.cssRaw),
      'CSS KB gzip': kb(s.cssGzip),
      'admin/chart code': s.adminCode ? 'LOADED' : 'no',
      goal: s.goal ? `≤ ${s.goal} KB gzip JS` : '',
    })),
  );
  console.log(`\nlargest contentful paint, CPU ${CPU_SLOWDOWN}× slower, through nginx (HTTP/2, TLS), ${LCP_VISITS} cold visits`);
  console.table(lcps.map((l) => ({ page: l.path, 'median ms': l.median, 'min ms': l.min, 'max ms': l.max })));

  const figures: BenchFigure[] = [];
  for (const s of sizes) {
    figures.push({
      name: `${s.path} JS (gzip)`,
      value: kb(s.jsGzip),
      unit: 'KB',
      max: s.goal,
      note: `${kb(s.jsRaw)} KB raw, ${s.jsFiles} files`,
    });
  }
  for (const s of sizes) figures.push({ name: `${s.path} CSS (gzip)`, value: kb(s.cssGzip), unit: 'KB' });
  figures.push({
    name: 'pages loading admin or chart code',
    value: sizes.filter((s) => s.adminCode).length,
    unit: 'pages',
    max: 0,
  });
  for (const l of lcps) {
    figures.push({ name: `${l.path} LCP, CPU ${CPU_SLOWDOWN}×`, value: l.median, unit: 'ms', note: `median of ${LCP_VISITS}` });
  }
  reportFigures('web', figures);
} finally {
  await browser?.close();
  await nginx.stop();
  await server.stopAll();
  rmSync(dir, { recursive: true, force: true });
}

/** A verified user with a session: the cookie's name=value. */
async function signedInCookie(): Promise<string> {
  const now = new Date();
  const userId = newId();
  await server.deps.db.c.users.insertOne({
    _id: userId,
    email: 'bench-web@example.test',
    emailVerified: true,
    name: 'Bench Web',
    passwordHash: await hashPassword('bench password 123'),
    role: 'user',
    disabled: false,
    createdAt: now,
    updatedAt: now,
  });
  const { cookie } = await server.deps.sessions.create(userId, { ip: '127.0.0.1', userAgent: 'bench' });
  return cookie.split(';')[0] as string;
}

async function newContext(b: Browser, route: Route, cookie: string): Promise<BrowserContext> {
  const context = await b.newContext({ baseURL: base, ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 } });
  context.setDefaultTimeout(30_000);
  if (route.signedIn) {
    const [name, ...rest] = cookie.split('=');
    await context.addCookies([{ name: name as string, value: rest.join('='), url: base }]);
  }
  return context;
}

/** Opens the page and waits until it is drawn: its heading is on screen and the network is quiet. */
async function openPage(context: BrowserContext, route: Route) {
  const page = await context.newPage();
  const res = await page.goto(route.path, { waitUntil: 'networkidle' });
  if (!res?.ok()) throw new Error(`${route.path} answered ${res?.status()}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  const landed = new URL(page.url()).pathname;
  if (landed !== route.path) throw new Error(`${route.path} went to ${landed} (is the session cookie accepted?)`);
  return page;
}

async function pageBytes(b: Browser, route: Route, cookie: string) {
  const context = await newContext(b, route, cookie);
  try {
    const bodies: Promise<{ type: string; url: string; body: Buffer }>[] = [];
    context.on('response', (r) => {
      const type = r.request().resourceType();
      if (type === 'script' || type === 'stylesheet') bodies.push(r.body().then((body) => ({ type, url: r.url(), body })));
    });
    await openPage(context, route);
    const files = await Promise.all(bodies);
    const sum = (type: string, f: (b: Buffer) => number) =>
      files.filter((x) => x.type === type).reduce((n, x) => n + f(x.body), 0);
    const gz = (body: Buffer) => gzipSync(body, { level: 6 }).length;
    return {
      path: route.path,
      goal: route.maxJsGzipKb,
      jsFiles: files.filter((x) => x.type === 'script').length,
      jsRaw: sum('script', (x) => x.length),
      jsGzip: sum('script', gz),
      cssRaw: sum('stylesheet', (x) => x.length),
      cssGzip: sum('stylesheet', gz),
      // The admin area's chunk, or uPlot (the admin's charts) bundled anywhere else.
      adminCode: files.some((x) => /\/AdminRoutes-/.test(x.url) || x.body.includes('uPlot')),
    };
  } finally {
    await context.close();
  }
}

async function largestContentfulPaint(b: Browser, route: Route, cookie: string): Promise<number> {
  const context = await newContext(b, route, cookie);
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
    const res = await page.goto(route.path, { waitUntil: 'networkidle' });
    if (!res?.ok()) throw new Error(`${route.path} answered ${res?.status()}`);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    // The entries so far (buffered); the last one is the largest paint.
    const lcp = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          new PerformanceObserver((list) => {
            const entries = list.getEntries();
            resolve(entries[entries.length - 1]?.startTime ?? Number.NaN);
          }).observe({ type: 'largest-contentful-paint', buffered: true });
        }),
    );
    return Math.round(lcp);
  } finally {
    await context.close();
  }
}
