// Debian's Chromium driven by playwright-core (never a downloaded browser). The flags keep
// Chromium from reaching for the network, which this machine does not have.
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
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
 * Runs `run` in a fresh browser context on `baseURL`, signed in with the session `cookie` when one
 * is given, and closes it afterwards. On a failure it saves a full-page screenshot to
 * test-results/<name>.png first.
 */
export async function inBrowserSession(
  browser: Browser,
  opts: { baseURL: string; name: string; cookie?: string; acceptDownloads?: boolean },
  run: (page: Page, context: BrowserContext) => Promise<void>,
): Promise<void> {
  const context = await browser.newContext({
    baseURL: opts.baseURL,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: opts.acceptDownloads ?? false,
  });
  context.setDefaultTimeout(10_000);
  if (opts.cookie) {
    const [cookieName, ...rest] = opts.cookie.split('=');
    await context.addCookies([{ name: cookieName as string, value: rest.join('='), url: opts.baseURL }]);
  }
  const page = await context.newPage();
  try {
    await run(page, context);
  } catch (err) {
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: `test-results/${opts.name}.png`, fullPage: true }).catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}

/**
 * Fills in the sign-up form already on screen, then the code emailed to verify the address;
 * resolves once the app has taken the user to the dashboard.
 */
export async function signUpAndVerify(
  page: Page,
  who: { name: string; email: string; password: string },
  opts: { mailpitUrl?: string } = {},
): Promise<void> {
  await page.getByLabel('Name').fill(who.name);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/verify-email/);
  await page.getByLabel(/code/i).fill(codeFrom(await waitForEmail(who.email, /verif|code/i, opts)));
  await page.getByRole('button', { name: 'Verify email' }).click();
  // The verify page's own address can name /app (where it goes next): wait for the path itself.
  await page.waitForURL((url) => url.pathname.startsWith('/app'));
}

/**
 * Pays on the emulator's hosted Checkout page the browser has just been sent to, with a trial
 * (the plans start with one); resolves once Checkout has returned to the app's success page.
 */
export async function payOnCheckout(page: Page, card: { number: string; name: string }): Promise<void> {
  await page.waitForURL(/\/c\/pay\//);
  await page.getByLabel('Card number').fill(card.number);
  await page.getByLabel('Expiration').fill('12 / 34');
  await page.getByLabel('CVC').fill('123');
  await page.getByLabel('Cardholder name').fill(card.name);
  await page.getByRole('button', { name: 'Start trial' }).click();
  await page.waitForURL(/\/app\/billing\/success\?session_id=cs_/);
}
