import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { freePort } from '../../scripts/services';
import { inBrowserSession, launchBrowser } from '../setup/browser';
import { startBillingWorld, subscribeThroughCheckout, verifiedUser, type BillingWorld } from '../setup/billing';

let world: BillingWorld;
let vite: ViteDevServer;
let viteCache: string;
let browser: Browser;

beforeAll(async () => {
  // People use Vite's address in development, so the server's PUBLIC_URL (checked against each
  // mutation's Origin) names it; Vite proxies the API paths to the server.
  const vitePort = await freePort();
  world = await startBillingWorld({ PUBLIC_URL: `http://127.0.0.1:${vitePort}` });
  process.env.DROPIN_API_URL = world.server.url;
  viteCache = mkdtempSync(path.join(os.tmpdir(), 'dropin-vite-'));
  vite = await createServer({
    configFile: path.resolve('vite.config.ts'),
    logLevel: 'warn',
    clearScreen: false,
    // Its own dependency cache, and no file watching: edits to web/ during the run must not reload the page.
    cacheDir: viteCache,
    server: { host: '127.0.0.1', port: vitePort, strictPort: true, hmr: false, watch: null },
  });
  await vite.listen();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await vite?.close();
  await world?.close();
  if (viteCache) rmSync(viteCache, { recursive: true, force: true });
});

/** A verified user on Pro (trialing), subscribed through the app's own checkout. */
async function proSubscriber() {
  const user = await verifiedUser(world, 'Strict Mode');
  await subscribeThroughCheckout(world, user);
  return user;
}

const focused = (page: Page) =>
  page.evaluate(() => `${document.activeElement?.tagName.toLowerCase()}#${document.activeElement?.id}`);

describe('a development build (StrictMode)', () => {
  it('serves React in development mode', async () => {
    const res = await fetch(`${world.server.env.PUBLIC_URL}/src/main.tsx`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('jsxDEV');
  });

  it('billing dialogs stay open and work; Escape closes one and focus returns to its button', {
    timeout: 90_000,
  }, async () => {
    const user = await proSubscriber();
    await inBrowserSession(
      browser,
      { baseURL: world.server.env.PUBLIC_URL, name: 'strict-mode-dialogs', cookie: user.cookie },
      async (page) => {
        await page.goto('/app/billing');
        const dialog = page.getByRole('dialog');

        const cancel = page.getByRole('button', { name: 'Cancel subscription' });
        await cancel.click();
        await dialog.getByLabel(/Why are you canceling/).selectOption('too_expensive');
        await dialog.getByLabel(/do better/).fill('Still here after mounting twice.');
        expect(await dialog.isVisible(), 'the cancel dialog is still open after filling it in').toBe(true);
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'hidden' });
        expect(await cancel.evaluate((el) => el === document.activeElement), 'focus is back on "Cancel subscription"').toBe(true);

        // The upgrade dialog asks the server for a preview first; it is still open to show it.
        await page.getByRole('button', { name: 'Upgrade to Business monthly' }).click();
        await dialog.getByTestId('preview-amount').waitFor();
        await dialog.getByRole('button', { name: 'Confirm change' }).click();
        await dialog.waitFor({ state: 'hidden' });
        await page.getByText("You're now on Business (monthly).").waitFor();
      },
    );
  });

  it('loading a page leaves focus alone; following a link moves it to the new page', async () => {
    const user = await verifiedUser(world, 'Focus');
    await inBrowserSession(
      browser,
      { baseURL: world.server.env.PUBLIC_URL, name: 'strict-mode-focus', cookie: user.cookie },
      async (page) => {
        await page.goto('/pricing');
        // The plans come from the server: by then the page has mounted (twice) and settled.
        await page.getByRole('button', { name: 'Choose Pro' }).waitFor();
        expect(await focused(page), 'after loading /pricing').toBe('body#');

        await page.goto('/app');
        await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
        // The dashboard's Library tile goes away with the dashboard.
        await page
          .getByRole('main')
          .getByRole('link', { name: /Library/ })
          .click();
        await page.getByRole('heading', { name: 'Library', exact: true, level: 1 }).waitFor();
        await expect.poll(() => focused(page), { message: 'after following a link' }).toBe('main#main');
      },
    );
  });
});
