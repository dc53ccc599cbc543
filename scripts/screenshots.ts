// Screenshots of the web app's pages at desktop and phone widths (light and dark), against a real
// DropIn: FerretDB and Mailpit started here, the server serving the built app from dist/web, a
// person's session driven in Debian's Chromium. For looking at the pages, not for asserting.
//   npm run build:web && npx tsx scripts/screenshots.ts [outDir=screenshots]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort, startFerretDB, startMailpit } from './services';

const outDir = path.resolve(process.argv[2] ?? 'screenshots');
const webDist = path.resolve(import.meta.dirname, '..', 'dist', 'web');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';
const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_PASSWORD = 'admin passphrase for screenshots';

async function main() {
  mkdirSync(outDir, { recursive: true });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dropin-shots-'));
  const ferret = await startFerretDB({ dataDir });
  const mailpit = await startMailpit();
  const port = await freePort();
  const { parseEnv } = await import('../src/env');
  const { createServerDeps, startServer } = await import('../src/server');
  const env = parseEnv({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'warn',
    MONGODB_URI: ferret.url,
    MONGODB_DB: 'screenshots',
    SMTP_URL: mailpit.smtpUrl,
    MAILPIT_URL: mailpit.apiUrl,
    // Only so the OAuth buttons render; nobody follows them here.
    GITHUB_CLIENT_ID: 'screenshots',
    GITHUB_CLIENT_SECRET: 'screenshots',
    GOOGLE_CLIENT_ID: 'screenshots',
    GOOGLE_CLIENT_SECRET: 'screenshots',
  });
  const server = await startServer(await createServerDeps(env), { webDist });
  const { seedAdmin } = await import('../src/auth/admin-seed');
  await seedAdmin(server.deps, ADMIN_EMAIL, ADMIN_PASSWORD);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    await run(browser, server.url, mailpit.apiUrl);
    console.log(`Screenshots in ${path.relative(process.cwd(), outDir) || '.'}`);
  } finally {
    await browser.close();
    await server.deps.db.db.dropDatabase().catch(() => {});
    await server.close();
    await mailpit.stop();
    await ferret.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function run(browser: Browser, base: string, mailpitUrl: string) {
  const context = async (viewport: typeof DESKTOP, colorScheme: 'light' | 'dark' = 'light', userAgent?: string) => {
    const ctx = await browser.newContext({ viewport, colorScheme, baseURL: base, ...(userAgent ? { userAgent } : {}) });
    // Anything the page complains about is worth seeing next to the pictures.
    ctx.on('page', (page) => {
      page.on('pageerror', (err) => console.warn(`[page error] ${page.url()}: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') console.warn(`[console] ${page.url()}: ${msg.text()}`);
      });
    });
    return ctx;
  };

  // Logged out, desktop.
  const anon = await context(DESKTOP);
  const a = await anon.newPage();
  await visit(a, '/', 'home');
  await visit(a, '/signup', 'signup');
  await a.getByRole('button', { name: 'Create account' }).click();
  await a.locator('[aria-invalid="true"]').first().waitFor();
  await shot(a, 'signup-errors');
  await visit(a, '/login?error=oauth_email_unverified', 'login-oauth-error');
  await visit(a, '/login?notice=password-reset', 'login-notice');
  await visit(a, '/forgot-password', 'forgot-password');
  await a.getByLabel('Email').fill('nobody@example.com');
  await a.getByRole('button', { name: 'Send reset link' }).click();
  await a.getByText('If an account exists').waitFor();
  await shot(a, 'forgot-password-sent');
  await visit(a, '/reset-password?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'reset-password');
  await a.getByLabel('New password', { exact: true }).fill('another long passphrase');
  await a.getByRole('button', { name: 'Set new password' }).click();
  await a.getByRole('alert').first().waitFor();
  await shot(a, 'reset-password-bad-token');
  await visit(a, '/no-such-page', 'not-found');
  await anon.close();

  // Sign up and verify, desktop.
  const me = await context(DESKTOP);
  const p = await me.newPage();
  await p.goto('/signup');
  await p.getByLabel('Name').fill('Ada Lovelace');
  await p.getByLabel('Email').fill(EMAIL);
  await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await p.getByRole('button', { name: 'Create account' }).click();
  await p.waitForURL('**/verify-email');
  await shot(p, 'verify-email');
  await p.getByRole('button', { name: /Resend code/ }).click();
  await p.getByText(/Resend code in \d+ s/).waitFor();
  await shot(p, 'verify-email-resent');
  await visit(p, '/app', 'dashboard-unverified');
  await p.goto('/verify-email');
  await p.getByLabel('Verification code').fill('000000');
  await p.getByRole('button', { name: 'Verify email' }).click();
  await p.locator('[aria-invalid="true"]').waitFor();
  await shot(p, 'verify-email-wrong-code');
  await p.getByLabel('Verification code').fill(await latestCode(mailpitUrl, EMAIL));
  await p.getByRole('button', { name: 'Verify email' }).click();
  await p.waitForURL(/\/app$/);
  await p.getByText('Welcome, Ada').waitFor();
  await shot(p, 'dashboard');

  // A second session from a phone, so the sessions list has something to revoke.
  const phone = await context(
    PHONE,
    'light',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1',
  );
  const m = await phone.newPage();
  await visit(m, '/', 'home-phone');
  await visit(m, '/signup', 'signup-phone');
  await visit(m, '/login', 'login-phone');
  await m.getByLabel('Email').fill(EMAIL);
  await m.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await m.getByRole('button', { name: 'Log in' }).click();
  await m.waitForURL(/\/app$/);
  await m.getByText('Welcome, Ada').waitFor();
  await shot(m, 'dashboard-phone');
  await m.getByRole('button', { name: 'Menu' }).click();
  await shot(m, 'nav-open-phone', false);
  await m.keyboard.press('Escape');
  console.log(`Escape closes the phone menu: ${!(await m.locator('#app-nav').isVisible())}`);
  await m.getByRole('button', { name: 'Menu' }).click();
  await m.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await m.getByText('This device', { exact: true }).waitFor();
  await shot(m, 'settings-phone');
  await m.setViewportSize({ width: 360, height: 740 });
  await shot(m, 'settings-360');
  await visit(m, '/app', 'dashboard-360');

  await visit(p, '/app/settings', 'settings');
  await p.getByText('This device', { exact: true }).waitFor();
  await shot(p, 'settings');
  await p.getByRole('region', { name: 'Password' }).getByLabel('Current password').fill('wrong password');
  await p.getByRole('region', { name: 'Password' }).getByLabel('New password').fill('short');
  await p.getByRole('button', { name: 'Change password' }).click();
  await p.getByRole('region', { name: 'Password' }).locator('[aria-invalid="true"]').first().waitFor();
  await shot(p, 'settings-password-error');
  await p.getByRole('button', { name: 'Delete account' }).click();
  await p.getByRole('dialog').waitFor();
  await p.getByLabel('Type DELETE to confirm').fill('DELETE');
  await shot(p, 'settings-delete-dialog', false);
  await p.keyboard.press('Escape');
  await p.getByRole('dialog').waitFor({ state: 'hidden' });
  console.log(
    `after Escape the dialog is closed and focus is on "${await p.evaluate(() => document.activeElement?.textContent)}"`,
  );
  // Keyboard: the skip link is the first stop, then focus rings.
  await p.goto('/app/settings');
  await p.keyboard.press('Tab');
  await shot(p, 'skip-link-focused', false);
  await p.keyboard.press('Tab');
  await p.keyboard.press('Tab');
  await shot(p, 'focus-ring', false);
  await visit(p, '/app/library', 'library-empty');
  await visit(p, '/app/admin', 'admin-forbidden');

  // Dark mode.
  const dark = await context(DESKTOP, 'dark');
  const d = await dark.newPage();
  await visit(d, '/', 'home-dark');
  await visit(d, '/login', 'login-dark');
  await d.getByLabel('Email').fill(EMAIL);
  await d.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await d.getByRole('button', { name: 'Log in' }).click();
  await d.waitForURL(/\/app$/);
  await d.getByText('Welcome, Ada').waitFor();
  await shot(d, 'dashboard-dark');
  await visit(d, '/app/settings', 'settings-dark');
  await d.getByText('This device', { exact: true }).waitFor();
  await shot(d, 'settings-dark');

  // The account story of the end-to-end test: log out, reset the password by email, log in with
  // the new one (next= honoured), revoke the other session.
  await p.goto('/app');
  await p.getByRole('button', { name: 'Log out', exact: true }).click();
  await p.waitForURL('**/login?notice=logged-out');
  await shot(p, 'logged-out');
  await p.getByRole('link', { name: 'Forgot password?' }).click();
  await p.getByLabel('Email').fill(EMAIL);
  await p.getByRole('button', { name: 'Send reset link' }).click();
  await p.getByText('If an account exists').waitFor();
  await p.goto(await latestLink(mailpitUrl, EMAIL, '/reset-password?token='));
  await p.getByLabel('New password').fill(`${PASSWORD} renewed`);
  await p.getByRole('button', { name: 'Set new password' }).click();
  await p.waitForURL('**/login?notice=password-reset');
  await shot(p, 'after-reset');
  await p.goto('/login?next=%2Fapp%2Fsettings');
  await p.getByLabel('Email').fill(EMAIL);
  await p.getByLabel('Password', { exact: true }).fill(`${PASSWORD} renewed`);
  await p.getByRole('button', { name: 'Log in' }).click();
  await p.waitForURL('**/app/settings');
  await m.goto('/app/settings'); // the reset ended the phone's session: it is sent to log in
  await m.waitForURL('**/login?next=*');
  await shot(m, 'phone-session-ended');
  await m.getByLabel('Email').fill(EMAIL);
  await m.getByLabel('Password', { exact: true }).fill(`${PASSWORD} renewed`);
  await m.getByRole('button', { name: 'Log in' }).click();
  await m.waitForURL('**/app/settings');
  await p.reload();
  const sessions = p.getByRole('region', { name: 'Sessions' });
  await sessions.getByRole('button', { name: 'Revoke' }).first().waitFor();
  const before = await sessions.getByRole('listitem').count();
  await sessions.getByRole('button', { name: 'Revoke' }).first().click();
  await sessions
    .getByRole('listitem')
    .nth(before - 1)
    .waitFor({ state: 'detached' });
  await shot(p, 'after-revoke');
  console.log(`sessions before revoke: ${before}, after: ${await sessions.getByRole('listitem').count()}`);

  // ?next= pointing elsewhere lands on our own dashboard.
  await p.getByRole('button', { name: 'Log out', exact: true }).click();
  await p.waitForURL('**/login?notice=logged-out');
  await p.goto('/login?next=%2F%2Fevil.example');
  await p.getByLabel('Email').fill(EMAIL);
  await p.getByLabel('Password', { exact: true }).fill(`${PASSWORD} renewed`);
  await p.getByRole('button', { name: 'Log in' }).click();
  await p.waitForURL(/\/app$/);
  console.log(`?next=//evil.example landed on ${new URL(p.url()).pathname}`);

  // Profile and email change (code sent to the new address), then delete the account.
  await p.goto('/app/settings');
  await p.getByLabel('Display name').fill('Ada King');
  await p.getByRole('button', { name: 'Save', exact: true }).click();
  await p.getByText('Saved.').waitFor();
  const emailRegion = p.getByRole('region', { name: 'Email' });
  await emailRegion.getByLabel('New email').fill('ada.king@example.com');
  await emailRegion.getByLabel('Current password').fill(`${PASSWORD} renewed`);
  await emailRegion.getByRole('button', { name: 'Change email' }).click();
  await emailRegion.getByLabel('Confirmation code').waitFor();
  await shot(p, 'settings-email-code');
  await emailRegion.getByLabel('Confirmation code').fill(await latestCode(mailpitUrl, 'ada.king@example.com'));
  await emailRegion.getByRole('button', { name: 'Confirm new email' }).click();
  await emailRegion.getByText('Your email is now').waitFor();
  await shot(p, 'settings-email-changed');
  await p.getByRole('button', { name: 'Delete account' }).click();
  const dialog = p.getByRole('dialog');
  await dialog.getByLabel('Type DELETE to confirm').fill('DELETE');
  await dialog.getByLabel('Password').fill('not my password');
  await dialog.getByRole('button', { name: 'Delete account' }).click();
  await dialog.locator('[aria-invalid="true"]').waitFor();
  await shot(p, 'delete-wrong-password', false);
  await dialog.getByLabel('Password').fill(`${PASSWORD} renewed`);
  await dialog.getByRole('button', { name: 'Delete account' }).click();
  await p.waitForURL('**/?notice=account-deleted');
  await shot(p, 'account-deleted');

  // Signing up with a registered address looks like any signup: "check your email".
  const again = await context(DESKTOP);
  const g = await again.newPage();
  await g.goto('/signup');
  await g.getByLabel('Email').fill(ADMIN_EMAIL);
  await g.getByLabel('Password', { exact: true }).fill('some other passphrase');
  await g.getByRole('button', { name: 'Create account' }).click();
  await g.getByRole('heading', { name: 'Check your email' }).waitFor();
  await shot(g, 'signup-existing-email');

  // An admin sees the Admin section.
  await g.goto('/login');
  await g.getByLabel('Email').fill(ADMIN_EMAIL);
  await g.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await g.getByRole('button', { name: 'Log in' }).click();
  await g.waitForURL(/\/app$/);
  await g.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
  await g.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  await shot(g, 'admin');
  await again.close();

  // Too many wrong passwords: the form says how long to wait.
  const anon2 = await context(DESKTOP);
  const r = await anon2.newPage();
  await r.goto('/login');
  for (let i = 0; i < 30; i++) {
    await r.getByLabel('Email').fill('someone@example.com');
    await r.getByLabel('Password', { exact: true }).fill(`wrong ${i}`);
    await r.getByRole('button', { name: 'Log in' }).click();
    await r.getByRole('button', { name: 'Log in' }).and(r.locator(':not([aria-busy])')).waitFor();
    if (await r.getByText('Too many attempts').count()) break;
  }
  await shot(r, 'login-rate-limited');
  await closeAll(anon2, dark, phone, me);
}

async function visit(page: Page, url: string, name: string) {
  await page.goto(url);
  await page.waitForLoadState('networkidle');
  console.log(`${name.padEnd(28)} ${url.padEnd(40)} "${await page.title()}"`);
  await shot(page, name);
}

async function shot(page: Page, name: string, fullPage = true) {
  // Fixed elements (top bar, skip link) are drawn where the viewport is: start from the top.
  if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(150); // let transitions settle
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage });
}

/** The newest email to `to` whose text matches `pattern` (first group), waiting up to 10 s for it. */
async function fromInbox(mailpitUrl: string, to: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${mailpitUrl}/api/v1/search?query=${encodeURIComponent(`to:"${to}"`)}&limit=10`);
    const body = (await res.json()) as { messages: { ID: string }[] };
    for (const { ID } of body.messages) {
      const msg = (await (await fetch(`${mailpitUrl}/api/v1/message/${ID}`)).json()) as { Text: string };
      const found = msg.Text.match(pattern)?.[1];
      if (found) return found;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`No email to ${to} matching ${pattern}`);
}

const latestCode = (mailpitUrl: string, to: string) => fromInbox(mailpitUrl, to, /\b(\d{6,8})\b/);

const latestLink = (mailpitUrl: string, to: string, containing: string) =>
  fromInbox(mailpitUrl, to, new RegExp(`(https?://\\S*${containing.replace(/[?.*+^$()[\]{}|\\]/g, '\\$&')}\\S*)`));

async function closeAll(...contexts: BrowserContext[]) {
  for (const c of contexts) await c.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
