// Library tools in a real browser: a Free user runs the Headline analyzer (an empty headline first),
// finds the MRR forecaster locked, then, once on Pro, forecasts MRR; a Business subscriber uploads a
// customers CSV of a few thousand lines to the Cohort retention analyzer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { inBrowserSession, launchBrowser } from '../setup/browser';
import { verifiedUser, type BillingWorld } from '../setup/billing';
import { startE2E } from '../setup/e2e';
import { mirrorSubscription } from '../integration/usage.fixtures';

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
  return inBrowserSession(browser, { baseURL: world.server.env.PUBLIC_URL, name: `tools-${name}`, cookie }, run);
}

/**
 * A customers CSV of 4,000 customers (about 130 KB: over the 64 KB of other tRPC calls), 500 signing
 * up in each month from January to August 2026. Of June's 500, every other one cancels in June,
 * so June's cohort keeps exactly 50% into its month 1; nobody else cancels.
 */
function customersCsv(): string {
  const lines = ['customer_id,signed_up_at,canceled_at'];
  for (let i = 0; i < 4_000; i++) {
    const month = String(1 + (i % 8)).padStart(2, '0');
    const day = String(1 + (i % 28)).padStart(2, '0');
    const canceled = month === '06' && Math.floor(i / 8) % 2 === 0 ? '2026-06-28' : '';
    lines.push(`cus_${String(i).padStart(6, '0')},2026-${month}-${day},${canceled}`);
  }
  return `${lines.join('\n')}\n`;
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

  it('Business subscriber uploads a customers CSV to the Cohort retention analyzer', { timeout: 60_000 }, async () => {
    const user = await verifiedUser(world, 'Carla Cohorts');
    await mirrorSubscription(world.server.deps, user.id, { planId: 'business', status: 'active' });
    const csv = customersCsv();
    expect(csv.length, 'the upload is larger than the 64 KB other calls may send').toBeGreaterThan(64 * 1024);

    await session('business', user.cookie, async (page) => {
      await page.goto('/app/library');
      await page.getByRole('link', { name: 'Cohort retention analyzer', exact: true }).click();
      await page.waitForURL(/\/app\/library\/cohort-retention-analyzer$/);
      const runner = page.getByRole('region', { name: 'Run the tool' });
      const upload = runner.getByLabel('Or upload a CSV file');
      const csvField = runner.getByLabel('Customers (CSV)');

      await upload.setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await runner.getByRole('status').filter({ hasText: 'Loaded customers.csv: 4,001 lines.' }).waitFor();
      expect(await csvField.inputValue()).toBe(csv);
      expect(await upload.inputValue(), 'the file input is cleared, so the same file can be picked again').toBe('');

      await runner.getByLabel('As of').fill('2026-10-31');
      await runner.getByRole('button', { name: 'Analyze retention' }).click();
      const table = runner.getByRole('region', { name: 'Retention by signup month' }).getByRole('table');
      await table.waitFor({ timeout: 20_000 });
      expect(await runner.getByText(/customers in 8 monthly cohorts/).textContent()).toMatch(/^4,000 customers/);
      const june = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^Jun 2026/ }) });
      // Month 0, then month 1: the visible share, with its count for screen readers.
      const cells = june.getByRole('cell');
      expect(await cells.nth(0).getAttribute('title')).toBe('500 of 500 still subscribed');
      expect(await cells.nth(1).textContent()).toBe('50%, 250 of 500 still subscribed');
      expect(await cells.nth(1).locator('.visually-hidden').textContent()).toBe(', 250 of 500 still subscribed');

      // A day that does not exist on line 3,000 (customer 2,998, after the header), past the first 64 KB;
      // in a file of the same name.
      const bad = csv.replace('\ncus_002998,2026-07-03,\n', '\ncus_002998,2026-02-30,\n');
      expect(bad, 'the line to break is in the CSV').not.toBe(csv);
      await upload.setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
      await expect.poll(() => csvField.inputValue()).toBe(bad);
      await runner.getByRole('button', { name: 'Analyze retention' }).click();
      expect(await fieldError(csvField)).toBe('Line 3000: signed_up_at "2026-02-30" is not a date like 2026-01-31.');

      // One character over the server's limit is refused in the browser; focus moves from the CSV
      // (where the error above put it) to the file input, which names its error.
      await upload.setInputFiles({ name: 'huge.csv', mimeType: 'text/csv', buffer: Buffer.alloc(2_000_001, 'a') });
      await expect.poll(() => upload.getAttribute('aria-invalid')).toBe('true');
      const described = page.locator(`[id="${await upload.getAttribute('aria-describedby')}"]`);
      expect(((await described.textContent()) ?? '').trim()).toBe(
        'The file is too big: a CSV can be at most 2 MB (2,000,000 characters). Split it, or keep the three columns only.',
      );
      expect(await upload.evaluate((input) => input === document.activeElement), 'the file input has focus').toBe(true);
      expect(await csvField.inputValue(), 'the CSV already loaded stays').toBe(bad);
    });
  });
});
