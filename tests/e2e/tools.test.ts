// Library tools in a real browser: a Free user runs the Headline analyzer (an empty headline first),
// finds the MRR forecaster locked, then, once on Pro, forecasts MRR.
// Build the web app first (`npx vite build`); E2E_WEB_DIST points at another build folder.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { inBrowserSession, launchBrowser } from '../setup/browser';
import { startBillingWorld, verifiedUser, type BillingWorld } from '../setup/billing';
import { mirrorSubscription } from '../integration/usage.fixtures';
import { seedContent } from '../../src/content/seed';

let world: BillingWorld;
let browser: Browser;

beforeAll(async () => {
  world = await startBillingWorld({}, { webDist: path.resolve(process.env.E2E_WEB_DIST ?? 'dist/web') });
  await seedContent(world.server.deps);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await world?.close();
});

function session(name: string, cookie: string, run: (page: Page) => Promise<void>) {
  return inBrowserSession(browser, { baseURL: world.server.env.PUBLIC_URL, name: `tools-${name}`, cookie }, run);
}

/** The error message the field points to with aria-describedby. */
async function fieldError(field: Locator): Promise<string> {
  await expect.poll(() => field.getAttribute('aria-invalid')).toBe('true');
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(' ').filter((id) => id.endsWith('-error'));
  expect(ids, 'the field names its error').toHaveLength(1);
  return ((await field.page().locator(`[id="${ids[0]}"]`).textContent()) ?? '').trim();
}

describe('library tools in the browser', () => {
  it('Free user analyzes a headline and finds the MRR forecaster locked; on Pro, forecasts MRR', {
    timeout: 60_000,
  }, async () => {
    const user = await verifiedUser(world, 'Tess Tools');

    await session('free', user.cookie, async (page) => {
      await page.goto('/app/library');
      await page.getByRole('link', { name: 'Headline analyzer', exact: true }).click();
      await page.waitForURL(/\/app\/library\/headline-analyzer$/);
      const runner = page.getByRole('region', { name: 'Run the tool' });
      const headline = runner.getByLabel('Headline', { exact: true });

      await runner.getByRole('button', { name: 'Analyze' }).click();
      expect(await fieldError(headline)).toBe('Enter a headline.');

      await headline.fill('How to double your newsletter signups in 30 days');
      await runner.getByRole('button', { name: 'Analyze' }).click();
      const score = runner.getByRole('meter', { name: 'Headline score' });
      await score.waitFor();
      expect(await score.getAttribute('value')).toBe('100');
      expect(await headline.getAttribute('aria-invalid')).toBeNull();
      const length = runner.getByRole('listitem').filter({ hasText: 'Length' });
      expect(await length.textContent()).toMatch(/Passed[\s\S]*9 words[\s\S]*30\/30/);

      await page.goto('/app/library/mrr-forecaster');
      await page.getByRole('heading', { name: 'Unlocks with Pro' }).waitFor();
      expect(await page.getByRole('link', { name: 'Upgrade' }).getAttribute('href')).toBe('/pricing');
      expect(await page.getByRole('region', { name: 'Run the tool' }).count()).toBe(0);
    });

    await mirrorSubscription(world.server.deps, user.id, { planId: 'pro', status: 'active' });

    await session('pro', user.cookie, async (page) => {
      await page.goto('/app/library/mrr-forecaster');
      const runner = page.getByRole('region', { name: 'Run the tool' });
      await runner.getByLabel('Starting MRR ($)').fill('10000');
      await runner.getByLabel('New MRR per month ($)').fill('1000');
      await runner.getByLabel('Monthly churn (%)').fill('150');
      await runner.getByLabel('Monthly expansion (%)').fill('2');
      expect(await runner.getByLabel('Months').inputValue()).toBe('12');
      await runner.getByRole('button', { name: 'Forecast' }).click();
      expect(await fieldError(runner.getByLabel('Monthly churn (%)'))).toBe('Monthly churn is a percentage: at most 100.');

      await runner.getByLabel('Monthly churn (%)').fill('5');
      await runner.getByRole('button', { name: 'Forecast' }).click();
      const table = runner.getByRole('region', { name: 'Month-by-month forecast' }).getByRole('table');
      await table.waitFor();
      // Header, then twelve months.
      expect(await table.getByRole('row').count()).toBe(13);
      // Month 1: 10,000 − 5% churn + 2% expansion + 1,000 new.
      const first = table.getByRole('row').nth(1);
      expect((await first.getByRole('cell').allInnerTexts()).map((t) => t.trim())).toEqual([
        '$10,000',
        '$1,000',
        '−$500',
        '$200',
        '$10,700',
      ]);
    });
  });
});
