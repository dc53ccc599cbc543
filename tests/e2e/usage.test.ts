// Content and usage in a real browser: a Free user searches the library, hits the download limit,
// upgrades through Checkout and downloads; then, as a Pro subscriber, creates an API key in
// settings, calls the API and sees usage rise on the dashboard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { inBrowserSession, launchBrowser } from '../setup/browser';
import { verifiedUser, type BillingWorld } from '../setup/billing';
import { startE2E } from '../setup/e2e';
import { consume } from '../../src/usage/counter';

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
  return inBrowserSession(
    browser,
    { baseURL: world.server.env.PUBLIC_URL, name: `usage-${name}`, cookie, acceptDownloads: true },
    run,
  );
}

async function downloadOnce(page: Page): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
  return download.suggestedFilename();
}

describe('library and usage in the browser', () => {
  it('Free user hits the download limit, upgrades, downloads; then creates an API key and sees usage rise', {
    timeout: 120_000,
  }, async () => {
    const user = await verifiedUser(world, 'Ada Library');
    // Four downloads earlier this month.
    for (let i = 0; i < 4; i++)
      await consume(world.server.deps, { userId: user.id, metric: 'download', unitId: `download:e2e:${i}` });

    await session('download-limit', user.cookie, async (page) => {
      await page.goto('/app/library');
      await page.getByLabel('Search the library').fill('workbook');
      const locked = page.getByRole('listitem', { name: 'SaaS metrics workbook (CSV)' });
      await locked.getByText('Unlocks with Pro').waitFor();
      await locked.getByText('Pro', { exact: true }).waitFor();
      expect(await locked.getByRole('link', { name: /Upgrade/ }).getAttribute('href')).toBe('/pricing');

      await page.getByLabel('Search the library').fill('');
      await page.getByLabel('Tag', { exact: true }).selectOption('planning');
      await page.getByRole('link', { name: 'Content calendar template (CSV)', exact: true }).click();
      await page.waitForURL(/\/app\/library\/content-calendar-template$/);
      expect(await downloadOnce(page)).toBe('content-calendar.csv');
      await page.getByText('0 downloads left this period').waitFor();

      await page.getByRole('button', { name: 'Download' }).click();
      await page.getByText(/You have used all 5 downloads included in Free this month\. Upgrade to Pro/).waitFor();
      await page.getByRole('link', { name: 'Upgrade' }).first().click();
      await page.waitForURL(/\/pricing$/);
      await page.getByRole('button', { name: 'Choose Pro' }).click();
      await page.waitForURL(/\/c\/pay\//);
      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByLabel('Expiration').fill('12 / 34');
      await page.getByLabel('CVC').fill('123');
      await page.getByLabel('Cardholder name').fill('Ada Library');
      await page.getByRole('button', { name: 'Start trial' }).click();
      await page.waitForURL(/\/app\/billing\/success\?session_id=cs_/);
      await page.getByRole('heading', { name: "You're on Pro" }).waitFor();

      await page.goto('/app/library/content-calendar-template');
      expect(await downloadOnce(page)).toBe('content-calendar.csv');
      await page.getByText('99 downloads left this period').waitFor();
      // Pro items open now.
      await page.goto('/app/library/reducing-churn-with-dunning-emails');
      await page.getByRole('heading', { name: 'Keep access during retries' }).waitFor();
    });

    await session('api-key', user.cookie, async (page) => {
      await page.goto('/app/settings');
      const section = page.getByRole('region', { name: 'API keys' });
      await section.getByLabel('Key name').fill('Reporting script');
      await section.getByRole('button', { name: 'Create key' }).click();
      const key = await section.getByLabel('New API key').inputValue();
      expect(key).toMatch(/^dropin_test_/);
      await section.getByRole('listitem', { name: 'Reporting script' }).waitFor();

      const base = world.server.env.PUBLIC_URL;
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${base}/api/v1/content?q=pricing`, { headers: { authorization: `Bearer ${key}` } });
        expect(res.status).toBe(200);
      }
      await page.goto('/app/usage');
      const calls = page.getByRole('progressbar', { name: 'API calls' });
      await calls.waitFor();
      expect(await calls.getAttribute('aria-valuenow')).toBe('3');
      expect(await calls.getAttribute('aria-valuemax')).toBe('10000');
      expect(await page.getByRole('progressbar', { name: 'Downloads' }).getAttribute('aria-valuenow')).toBe('1');

      // Revoked: the API refuses the key.
      await page.goto('/app/settings');
      await section.getByRole('button', { name: 'Revoke Reporting script' }).click();
      await section.getByText('API key revoked').waitFor();
      expect((await fetch(`${base}/api/v1/usage`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    });
  });
});
