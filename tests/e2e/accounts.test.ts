// A person's whole account session in a real browser: sign up, read the code from the inbox,
// verify, log out, forget the password, reset it from the emailed link, log in with the new
// password, and revoke the session left open on another device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { BillingWorld } from '../setup/billing';
import { startE2E } from '../setup/e2e';
import { launchBrowser, signUpAndVerify } from '../setup/browser';
import { linkFrom, waitForEmail } from '../setup/mailpit';

let server: BillingWorld['server'];
let browser: Browser;

beforeAll(async () => {
  // The session cache on, as in production: revocations must still take effect at once.
  server = (await startE2E({ SESSION_CACHE_MS: '5000' })).server;
  // Links in emails must point at the server the browser can reach.
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('accounts in the browser', () => {
  it('sign up → verify → log out → reset password → log in → revoke the other session', { timeout: 120_000 }, async () => {
    const email = `e2e-${Date.now()}@example.test`;
    const firstPassword = 'correct horse battery staple';
    const newPassword = 'a brand new passphrase 2026';
    const base = server.env.PUBLIC_URL;

    // Another device that stays logged in; revoked at the end.
    const otherDevice = await browser.newContext({ baseURL: base, userAgent: 'Other device (X11; Linux)' });
    const desk = await browser.newContext({ baseURL: base });
    // Fail a step with its own message well before the test's overall timeout.
    otherDevice.setDefaultTimeout(10_000);
    desk.setDefaultTimeout(10_000);
    const page = await desk.newPage();

    await page.goto('/');
    await page
      .getByRole('link', { name: /sign up/i })
      .first()
      .click();
    await signUpAndVerify(page, { name: 'Ada Example', email, password: firstPassword });
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    expect(await page.getByText(/verify your email/i).count()).toBe(0);

    // Log in on the other device with the first password.
    const other = await otherDevice.newPage();
    await other.goto('/login');
    await other.getByLabel('Email').fill(email);
    await other.getByLabel('Password').fill(firstPassword);
    await other.getByRole('button', { name: 'Log in' }).click();
    await other.waitForURL(/\/app/);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/app'));

    await page.goto('/login');
    await page.getByRole('link', { name: /forgot/i }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page
      .getByText(/if an account exists/i)
      .first()
      .waitFor();

    const resetEmail = await waitForEmail(email, /reset/i);
    const link = linkFrom(resetEmail, `${base}/reset-password`);
    await page.goto(link);
    await page.getByLabel(/new password/i).fill(newPassword);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.waitForURL(/\/login/);

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(firstPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Incorrect email or password.').waitFor();
    expect(page.url()).toContain('/login');

    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/app/);

    // The reset revoked the other device's session; log it in again to have one to revoke here.
    await other.goto('/login');
    await other.getByLabel('Email').fill(email);
    await other.getByLabel('Password').fill(newPassword);
    await other.getByRole('button', { name: 'Log in' }).click();
    await other.waitForURL(/\/app/);

    await page.goto('/app/settings');
    const sessionRows = page.getByRole('region', { name: /sessions/i }).getByRole('listitem');
    await sessionRows.filter({ hasText: 'This device' }).waitFor();
    expect(await sessionRows.count()).toBe(2);
    const otherRow = sessionRows.filter({ hasNotText: 'This device' });
    await otherRow.getByRole('button', { name: 'Revoke' }).click();
    await otherRow.waitFor({ state: 'detached' });

    await other.goto('/app/settings');
    await other.waitForURL(/\/login/);

    await desk.close();
    await otherDevice.close();
  });
});
