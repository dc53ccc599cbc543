// The REST API's interactive docs at /api/docs in Chromium, the way a developer uses them: the
// reference lists every route; they authorize with their API key and try a call, which answers.
// The page loads nothing from anywhere but this server and breaks no rule of the app's CSP.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/api/keys';
import { seedContent } from '../../src/content/seed';
import { inBrowserSession, launchBrowser } from '../setup/browser';
import { startTestServer, type TestServer } from '../setup/harness';
import { userWithSession } from '../integration/usage.fixtures';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer();
  await seedContent(server.deps);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the API docs page', () => {
  it('lists every route, and a call tried with an API key answers', { timeout: 60_000 }, async () => {
    const base = server.env.PUBLIC_URL;
    const user = await userWithSession(server.deps);
    const { key } = await createApiKey(server.deps, { userId: user.id, name: 'docs' });

    await inBrowserSession(browser, { baseURL: base, name: 'api-docs' }, async (page) => {
      const elsewhere: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(base) && !r.url().startsWith('data:')) elsewhere.push(r.url());
      });
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));

      const res = await page.goto('/api/docs');
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
      await expect.poll(() => page.getByText('DropIn REST API').first().isVisible()).toBe(true);
      for (const path of ['/content', '/content/{slug}', '/tools/{slug}/run', '/usage']) {
        expect(await page.locator(`[data-path="${path}"]`).count(), path).toBeGreaterThan(0);
      }

      // Authorize with the key, then try GET /usage.
      await page
        .getByRole('button', { name: /Authorize/ })
        .first()
        .click();
      await page.locator('.modal-ux input').first().fill(key);
      await page.locator('.modal-ux button.authorize').click();
      await page.locator('.modal-ux button.btn-done').click();
      const usage = page.locator('#operations-Usage-get_usage');
      await usage.locator('.opblock-summary').click();
      await usage.getByRole('button', { name: 'Try it out' }).click();
      await usage.getByRole('button', { name: 'Execute' }).click();
      await expect
        .poll(() => usage.locator('.live-responses-table tbody .response-col_status').first().textContent())
        .toContain('200');

      expect(elsewhere).toEqual([]);
      expect(problems).toEqual([]);
    });
  });
});
