// What a person sees when a page's data is slow, does not come, or cannot be shown: the loading
// placeholder, the error with a Try again that works, and, when a page fails to render, a message
// in place of that page while the navigation keeps working. The browser's requests to the real
// server are held back, cut off or altered on the way, as a slow or broken network would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Route } from 'playwright-core';
import { inBrowserSession, launchBrowser } from '../setup/browser';
import { verifiedUser, type BillingWorld } from '../setup/billing';
import { startE2E } from '../setup/e2e';

let world: BillingWorld;
let browser: Browser;

beforeAll(async () => {
  world = await startE2E();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await world?.close();
});

function session(name: string, cookie: string, run: (page: Page) => Promise<void>) {
  return inBrowserSession(browser, { baseURL: world.server.env.PUBLIC_URL, name: `page-states-${name}`, cookie }, run);
}

/** Requests of the web app's tRPC client that include `procedure` (batched calls name several). */
function callsTo(procedure: string) {
  return (url: URL) => url.pathname.startsWith('/trpc/') && url.pathname.slice('/trpc/'.length).split(',').includes(procedure);
}

/** The server's real answer to a batched call, with `procedure`'s result data changed by `change`. */
async function fulfillAltered(route: Route, procedure: string, change: (data: Record<string, unknown>) => void) {
  const response = await route.fetch();
  const names = new URL(route.request().url()).pathname.slice('/trpc/'.length).split(',');
  const body = (await response.json()) as { result?: { data?: Record<string, unknown> } }[];
  const data = body[names.indexOf(procedure)]?.result?.data;
  if (data) change(data);
  await route.fulfill({ response, json: body });
}

describe('a page whose data does not come', () => {
  it('shows the loading placeholder, then the error, and Try again loads the page', { timeout: 60_000 }, async () => {
    const user = await verifiedUser(world, 'Ada Offline');
    await session('query-error', user.cookie, async (page) => {
      // Held until the placeholder has been seen, then cut off: the server is unreachable.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const usage = callsTo('usage.summary');
      await page.route(usage, async (route) => {
        await held;
        await route.abort('connectionrefused');
      });
      await page.goto('/app/usage');
      await page.getByRole('status', { name: 'Loading usage…' }).waitFor();
      release();

      // The client retries a failed connection twice before it gives up.
      const alert = page.getByRole('alert').filter({ hasText: "We couldn't reach DropIn" });
      await alert.waitFor({ timeout: 15_000 });
      expect(await page.getByRole('progressbar').count(), 'no usage figures without data').toBe(0);

      await page.unroute(usage);
      await alert.getByRole('button', { name: 'Try again' }).click();
      await page.getByRole('progressbar', { name: 'Downloads' }).waitFor();
      await alert.waitFor({ state: 'detached' });
    });
  });
});

describe('a page that fails to render', () => {
  it('shows the error in place of the page; the navigation still works, and Reload brings the page back', {
    timeout: 60_000,
  }, async () => {
    const user = await verifiedUser(world, 'Ada Broken');
    await session('render-error', user.cookie, async (page) => {
      // An answer the page cannot draw: its usage metrics are missing.
      const usage = callsTo('usage.summary');
      await page.route(usage, (route) =>
        fulfillAltered(route, 'usage.summary', (data) => {
          data.metrics = null;
        }),
      );
      await page.goto('/app/usage');
      const main = page.getByRole('main');
      await main.getByRole('heading', { name: "This page couldn't be shown" }).waitFor();
      await main.getByRole('button', { name: 'Reload the page' }).waitFor();
      expect(await page.title()).toBe('Something went wrong · DropIn');

      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Billing' }).click();
      await main.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
      expect(await main.getByText("This page couldn't be shown").count()).toBe(0);

      // Back on Usage the broken answer is still the one in the page's memory; Reload asks again.
      await page.unroute(usage);
      await nav.getByRole('link', { name: 'Usage' }).click();
      await main.getByRole('button', { name: 'Reload the page' }).click();
      await page.getByRole('progressbar', { name: 'Downloads' }).waitFor();
    });
  });

  it('in the admin area, the admin tabs stay usable', { timeout: 60_000 }, async () => {
    const admin = await verifiedUser(world, 'Ada Admin', { role: 'admin' });
    await session('admin-render-error', admin.cookie, async (page) => {
      await page.route(callsTo('admin.subscribers'), (route) =>
        fulfillAltered(route, 'admin.subscribers', (data) => {
          data.rows = null;
        }),
      );
      await page.goto('/app/admin/subscribers');
      const main = page.getByRole('main');
      await main.getByRole('heading', { name: "This page couldn't be shown" }).waitFor();
      const tabs = page.getByRole('navigation', { name: 'Admin sections' });
      expect(await tabs.isVisible(), 'the admin tabs are still there').toBe(true);

      await tabs.getByRole('link', { name: 'Failed payments' }).click();
      await main.getByRole('heading', { name: 'Failed payments', level: 1 }).waitFor();
      expect(await main.getByText("This page couldn't be shown").count()).toBe(0);
    });
  });
});
