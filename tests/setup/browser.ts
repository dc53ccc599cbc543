// Debian's Chromium driven by playwright-core (never a downloaded browser). The flags keep
// Chromium from reaching for the network, which this machine does not have.
import { chromium, type Browser, type Page } from 'playwright-core';
import { codeFrom, waitForEmail } from './mailpit';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * Fills in the sign-up form already on screen, then the code emailed to verify the address;
 * resolves once the app has taken the user to the dashboard.
 */
export async function signUpAndVerify(page: Page, who: { name: string; email: string; password: string }): Promise<void> {
  await page.getByLabel('Name').fill(who.name);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/verify-email/);
  await page.getByLabel(/code/i).fill(codeFrom(await waitForEmail(who.email, /verif|code/i)));
  await page.getByRole('button', { name: 'Verify email' }).click();
  await page.waitForURL(/\/app/);
}
