// Two-factor sign-in in Chromium, as a person does it: turn it on in Settings with a code from an
// authenticator app (computed here with the same TOTP library), keep the recovery codes, log out,
// and log in again with the password and a code. The server runs with ADMIN_REQUIRE_2FA, so an
// admin is sent to enrol first, then asked to sign in again with the code before the admin area opens.
import { mkdirSync } from 'node:fs';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { generateHOTP } from '@oslojs/otp';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/auth/users';
import type { BillingWorld } from '../setup/billing';
import { launchBrowser } from '../setup/browser';
import { startE2E } from '../setup/e2e';

let server: BillingWorld['server'];
let browser: Browser;

beforeAll(async () => {
  server = (await startE2E({ ADMIN_REQUIRE_2FA: 'true' })).server;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** What an authenticator app shows for `key` (as displayed, with spaces) at `stepOffset` steps from now. */
function appCode(key: string, stepOffset = 0): string {
  const step = Math.floor(Date.now() / 30_000) + stepOffset;
  return generateHOTP(decodeBase32IgnorePadding(key.replace(/\s/g, '')), BigInt(step), 6);
}

/** Screenshots of `target` (the page, or one section of it) at desktop and phone widths. */
async function shots(page: Page, name: string, target: Page | Locator = page) {
  mkdirSync('test-results', { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await target.screenshot({ path: `test-results/two-factor-${name}-${width}.png` });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('two-factor sign-in in the browser', () => {
  it('turn on in Settings → log out → log in with password and code', { timeout: 120_000 }, async () => {
    const email = `e2e-2fa-${Date.now()}@example.test`;
    const password = 'correct horse battery staple';
    await createUser(server.deps, { email, password, name: 'Tess Factor', emailVerified: true });
    const context = await browser.newContext({ baseURL: server.env.PUBLIC_URL, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    try {
      await page.goto('/login');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL((url) => url.pathname.startsWith('/app'));

      await page.goto('/app/settings');
      const section = page.getByRole('region', { name: 'Two-factor authentication' });
      await section.getByLabel('Current password').waitFor();
      await shots(page, 'off', section);
      await section.getByLabel('Current password').fill(password);
      await section.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
      await section.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
      const key = (await section.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).textContent()) ?? '';
      expect(key.replace(/\s/g, '')).toMatch(/^[A-Z2-7]{32}$/);
      await shots(page, 'enrol', section);

      await section.getByLabel('Code from the app').fill(appCode(key));
      await section.getByRole('button', { name: 'Confirm and turn on' }).click();
      const codes = section.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
      await codes.first().waitFor();
      expect(await codes.count()).toBe(10);
      await section.getByRole('button', { name: "I've saved them" }).click();
      await section.getByText('Two-factor authentication is on.').waitFor();

      await page.getByRole('button', { name: 'Log out', exact: true }).click();
      await page.waitForURL((u) => !u.pathname.startsWith('/app'));

      await page.goto('/login');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      const codeField = page.getByLabel('Authentication code');
      await codeField.waitFor();
      expect(await codeField.getAttribute('autocomplete')).toBe('one-time-code');
      await page.getByRole('button', { name: 'Use a recovery code' }).waitFor();
      await shots(page, 'login-code');

      await codeField.fill('000000');
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByText(/That code is not right/).waitFor();
      expect(page.url()).toContain('/login');

      // The enrolment used the current step; the next one is also accepted (one step either side).
      await codeField.fill(appCode(key, 1));
      await page.getByLabel('Remember this device for 30 days').check();
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.waitForURL((url) => url.pathname.startsWith('/app'));
      await page.getByRole('heading', { level: 1 }).first().waitFor();
    } catch (err) {
      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: 'test-results/two-factor-failure.png', fullPage: true }).catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  });

  it('an admin enrols when sent to, then signs in again with the code to open the admin area', { timeout: 120_000 }, async () => {
    const email = `e2e-2fa-admin-${Date.now()}@example.test`;
    const password = 'correct horse battery staple';
    await createUser(server.deps, { email, password, name: 'Ada Admin', emailVerified: true, role: 'admin' });
    const context = await browser.newContext({ baseURL: server.env.PUBLIC_URL, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const logIn = async () => {
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
    };
    try {
      await page.goto('/login');
      await logIn();
      await page.waitForURL((url) => url.pathname.startsWith('/app'));

      await page.goto('/app/admin');
      await page.waitForURL((url) => url.pathname === '/app/settings');
      const section = page.getByRole('region', { name: 'Two-factor authentication' });
      await section.getByLabel('Current password').fill(password);
      await section.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
      const key = (await section.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).textContent()) ?? '';
      await section.getByLabel('Code from the app').fill(appCode(key));
      await section.getByRole('button', { name: 'Confirm and turn on' }).click();
      await section.getByRole('button', { name: "I've saved them" }).click();

      // This session signed in with the password alone: the admin area asks for a sign-in with the code.
      await page.goto('/app/admin');
      await page.getByRole('heading', { name: 'Sign in again with your code' }).waitFor();
      await shots(page, 'admin-sign-in-again');
      await page.getByRole('button', { name: 'Sign in again' }).click();
      await page.waitForURL((url) => url.pathname === '/login');
      await logIn();
      await page.getByLabel('Authentication code').fill(appCode(key, 1));
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.waitForURL((url) => url.pathname.startsWith('/app/admin'));
      await page.getByRole('navigation', { name: 'Admin sections' }).waitFor();
    } catch (err) {
      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: 'test-results/two-factor-admin-failure.png', fullPage: true }).catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  });
});
