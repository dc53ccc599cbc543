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
    await other.waitForURL((url) => url.pathname.startsWith('/app'));

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
    await page.waitForURL((url) => url.pathname.startsWith('/app'));

    // The reset revoked the other device's session; log it in again to have one to revoke here.
    await other.goto('/login');
    await other.getByLabel('Email').fill(email);
    await other.getByLabel('Password').fill(newPassword);
    await other.getByRole('button', { name: 'Log in' }).click();
    await other.waitForURL((url) => url.pathname.startsWith('/app'));

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

  it('sign up → open the emailed link → verified; the link then works no more, anywhere', { timeout: 120_000 }, async () => {
    const email = `e2e-link-${Date.now()}@example.test`;
    const base = server.env.PUBLIC_URL;
    const desk = await browser.newContext({ baseURL: base });
    const phone = await browser.newContext({ baseURL: base });
    desk.setDefaultTimeout(10_000);
    phone.setDefaultTimeout(10_000);
    const page = await desk.newPage();

    await page.goto('/signup');
    await page.getByLabel('Name').fill('Link Example');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/verify-email/);

    const link = linkFrom(await waitForEmail(email, /verification code/), `${base}/confirm-email?token=`);
    await page.goto(link);
    await page.getByRole('button', { name: 'Confirm my email' }).click();
    await page.waitForURL(/\/app$/);
    await page.getByText('Your email is verified. Welcome to DropIn!').waitFor();
    await page.goto('/verify-email');
    await page.getByRole('heading', { name: 'Your email is verified' }).waitFor();

    // The same link opened on another device, signed out: refused, and nothing else is said.
    const other = await phone.newPage();
    await other.goto(link);
    await other.getByRole('button', { name: 'Confirm my email' }).click();
    await other.getByText(/invalid, has expired or was already used/).waitFor();
    expect(other.url()).toContain('/confirm-email');

    // A fresh link opened signed out verifies too, then asks to log in.
    const second = `e2e-link2-${Date.now()}@example.test`;
    const signup = await (await browser.newContext({ baseURL: base })).newPage();
    signup.setDefaultTimeout(10_000);
    await signup.goto('/signup');
    await signup.getByLabel('Name').fill('Second Example');
    await signup.getByLabel('Email').fill(second);
    await signup.getByLabel('Password').fill('correct horse battery staple');
    await signup.getByRole('button', { name: 'Create account' }).click();
    await signup.waitForURL(/\/verify-email/);
    await other.goto(linkFrom(await waitForEmail(second, /verification code/), `${base}/confirm-email?token=`));
    await other.getByRole('button', { name: 'Confirm my email' }).click();
    await other.waitForURL(/\/login\?notice=email-verified/);
    await other.getByText('Your email is verified. Log in to continue.').waitFor();
    await signup.reload();
    await signup.getByRole('heading', { name: 'Your email is verified' }).waitFor();
    await signup.context().close();

    await desk.close();
    await phone.close();
  });
});
