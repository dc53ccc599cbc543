// Screenshots of the pricing and billing pages at desktop and phone widths, against a real DropIn
// wired to its Stripe emulator (catalog pushed, webhooks signed and delivered), FerretDB and
// Mailpit. Walks a subscriber through Checkout, a plan change, cancel/resume, a renewal and a
// failed card. For looking at the pages, not for asserting.
//   npm run build:web && npx tsx scripts/screenshots-billing.ts [outDir=screenshots/billing] [webDist=dist/web]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { freePort, startFerretDB, startMailpit } from './services';

const outDir = path.resolve(process.argv[2] ?? 'screenshots/billing');
const webDist = path.resolve(process.argv[3] ?? path.join(import.meta.dirname, '..', 'dist', 'web'));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const DAY = 86_400;

async function main() {
  mkdirSync(outDir, { recursive: true });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dropin-billing-shots-'));
  const ferret = await startFerretDB({ dataDir });
  const mailpit = await startMailpit();
  const { emulatorControl } = await import('../src/dev/stripe-emulator/index');
  const { startLocalStripe } = await import('../src/dev/local-stripe');
  const port = await freePort();
  const {
    emulator,
    env: stripeEnv,
    stripe,
  } = await startLocalStripe({
    serverPort: port,
    tickIntervalMs: 0,
    webhookRetrySchedule: [50, 100, 200, 400],
  });
  const { parseEnv } = await import('../src/env');
  const { createServerDeps, startServer } = await import('../src/server');
  const env = parseEnv({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'warn',
    MONGODB_URI: ferret.url,
    MONGODB_DB: 'billing_screenshots',
    SMTP_URL: mailpit.smtpUrl,
    MAILPIT_URL: mailpit.apiUrl,
    ...stripeEnv,
  });
  const server = await startServer(await createServerDeps(env), { webDist });
  const control = emulatorControl(emulator.url);
  const settle = async () => {
    await control.waitForDeliveries(10_000);
    await server.worker.drain();
  };
  const { createUser } = await import('../src/auth/users');
  const user = async (email: string, name: string, emailVerified = true) => {
    const u = await createUser(server.deps, { email, password: 'screenshots passphrase', name, emailVerified });
    const { cookie } = await server.deps.sessions.create(u._id, { ip: '127.0.0.1', userAgent: 'screenshots' });
    return { id: u._id, cookie: cookie.split(';')[0] as string };
  };
  const customerOf = async (id: string) => (await server.deps.db.c.users.findOne({ _id: id }))?.stripeCustomerId as string;

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-sync', '--no-first-run'],
  });
  try {
    const ctx = async (viewport: typeof DESKTOP, cookie?: string, colorScheme: 'light' | 'dark' = 'light') => {
      const c = await browser.newContext({ viewport, colorScheme, baseURL: server.url });
      c.setDefaultTimeout(10_000);
      if (cookie) {
        const [name, ...rest] = cookie.split('=');
        await c.addCookies([{ name: name as string, value: rest.join('='), url: server.url }]);
      }
      c.on('page', (page) => {
        page.on('pageerror', (err) => console.warn(`[page error] ${page.url()}: ${err.message}`));
        page.on('console', (msg) => {
          if (msg.type() === 'error') console.warn(`[console] ${page.url()}: ${msg.text()}`);
        });
      });
      return c;
    };

    // Logged out.
    for (const [vp, suffix] of [
      [DESKTOP, ''],
      [PHONE, '-phone'],
    ] as const) {
      const anon = await ctx(vp);
      const a = await anon.newPage();
      await visit(a, '/pricing', `pricing-logged-out${suffix}`);
      await a.getByRole('button', { name: /Yearly/ }).click();
      await shot(a, `pricing-yearly${suffix}`);
      await anon.close();
    }

    // Unverified, with the canceled-checkout notice.
    const unverified = await user('unverified@example.com', 'Una Verified', false);
    const u = await (await ctx(DESKTOP, unverified.cookie)).newPage();
    await visit(u, '/pricing?checkout=canceled', 'pricing-unverified-canceled');

    // A verified Free user: billing with the upgrade call to action, pricing with Choose buttons.
    const ada = await user('ada@example.com', 'Ada Lovelace');
    const desk = await ctx(DESKTOP, ada.cookie);
    const p = await desk.newPage();
    await visit(p, '/app/billing', 'billing-free');
    await visit(p, '/pricing', 'pricing-free');
    const phone = await ctx(PHONE, ada.cookie);
    const m = await phone.newPage();
    await visit(m, '/app/billing', 'billing-free-phone');

    // Checkout on the emulator's page, then the success page.
    await p.getByRole('button', { name: 'Choose Pro' }).click();
    await p.waitForURL(/\/c\/pay\//);
    await fillCard(p, '4242 4242 4242 4242', 'Ada Lovelace');
    await shot(p, 'emulator-checkout');
    await p.getByRole('button', { name: 'Start trial' }).click();
    await p.getByRole('heading', { name: "You're on Pro" }).waitFor();
    await shot(p, 'checkout-success');
    await settle();
    await visit(p, '/app/billing', 'billing-pro-trial');
    await visit(m, '/app/billing', 'billing-pro-trial-phone');
    await m.setViewportSize({ width: 360, height: 740 });
    await shot(m, 'billing-pro-trial-360');
    await visit(p, '/app', 'dashboard-with-plan');
    await visit(p, '/pricing', 'pricing-subscribed');

    // Upgrade during the trial.
    await p.goto('/app/billing');
    await p.getByRole('button', { name: 'Upgrade to Business monthly' }).click();
    await p.getByTestId('preview-amount').waitFor();
    await shot(p, 'change-dialog-trial', false);
    await p.getByRole('dialog').getByRole('button', { name: 'Confirm change' }).click();
    await p.getByText("You're now on Business").waitFor();
    await shot(p, 'billing-after-upgrade');

    // Cancel, then the scheduled-cancellation banner.
    await p.getByRole('button', { name: 'Cancel subscription' }).click();
    await p
      .getByRole('dialog')
      .getByLabel(/Why are you canceling/)
      .selectOption('too_expensive');
    await shot(p, 'cancel-dialog', false);
    await m.goto('/app/billing');
    await m.getByRole('button', { name: 'Cancel subscription' }).click();
    await m.getByRole('dialog').waitFor();
    await shot(m, 'cancel-dialog-360', false);
    await m.keyboard.press('Escape');
    await p.getByRole('dialog').getByRole('button', { name: 'Confirm cancellation' }).click();
    await p.getByText(/plan ends on/).waitFor();
    await shot(p, 'billing-cancel-scheduled');
    await m.goto('/app/billing');
    await m.getByText(/plan ends on/).waitFor();
    await shot(m, 'billing-cancel-scheduled-360');
    await p.getByRole('button', { name: 'Resume subscription' }).click();
    await p.getByText('will renew as usual').waitFor();
    await shot(p, 'billing-resumed');

    // Past the trial and a renewal: active, invoices listed; a downgrade preview with a credit.
    const customer = await customerOf(ada.id);
    await control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle();
    await control.advanceCustomer(customer, { seconds: 31 * DAY });
    await settle();
    await control.advanceCustomer(customer, { seconds: 10 * DAY });
    await visit(p, '/app/billing', 'billing-active');
    await m.setViewportSize(PHONE);
    await visit(m, '/app/billing', 'billing-active-phone');
    await p.getByRole('button', { name: 'Downgrade to Pro monthly' }).click();
    await p.getByTestId('preview-amount').waitFor();
    await shot(p, 'change-dialog-downgrade', false);
    await p.keyboard.press('Escape');

    // A promotion code with the scheduled downgrade: it starts with Pro at the renewal.
    const spring = await stripe.coupons.create({ percent_off: 20, duration: 'forever', name: 'Spring sale' });
    await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: spring.id }, code: 'SPRING20' });
    const withCode = async (page: Page, name: string) => {
      await page.getByRole('button', { name: 'Downgrade to Pro monthly' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Promotion code').fill('spring20');
      await dialog.getByRole('button', { name: 'Apply' }).click();
      await dialog.getByText(/SPRING20 applied: it starts with Pro/).waitFor();
      await shot(page, name, false);
    };
    await withCode(p, 'change-dialog-downgrade-code');
    await m.goto('/app/billing');
    await withCode(m, 'change-dialog-downgrade-code-phone');
    await m.keyboard.press('Escape');
    await p.getByRole('dialog').getByRole('button', { name: 'Schedule the change' }).click();
    await p
      .getByText(/with code SPRING20/)
      .first()
      .waitFor();
    await settle();
    await visit(p, '/app/billing', 'billing-downgrade-code-scheduled');
    await visit(m, '/app/billing', 'billing-downgrade-code-scheduled-phone');
    await p.getByRole('button', { name: 'Undo' }).click();
    await p
      .getByRole('dialog')
      .getByText(/the code SPRING20 with it/)
      .waitFor();
    await shot(p, 'undo-dialog-code', false);
    await p.keyboard.press('Escape');
    await p.getByRole('button', { name: 'Switch to Business yearly' }).click();
    await p.getByTestId('preview-amount').waitFor();
    await shot(p, 'change-dialog-yearly', false);
    await p.keyboard.press('Escape');

    // A card that fails after the trial: past_due.
    const grace = await user('grace@example.com', 'Grace Hopper');
    const g = await (await ctx(DESKTOP, grace.cookie)).newPage();
    await g.goto('/pricing');
    await g.getByRole('button', { name: 'Choose Pro' }).click();
    await g.waitForURL(/\/c\/pay\//);
    await fillCard(g, '4000 0000 0000 0341', 'Grace Hopper');
    await g.getByRole('button', { name: 'Start trial' }).click();
    await g.getByRole('heading', { name: "You're on Pro" }).waitFor();
    await control.advanceCustomer(await customerOf(grace.id), { seconds: 15 * DAY });
    await settle();
    await visit(g, '/app/billing', 'billing-past-due');
    const gm = await (await ctx(PHONE, grace.cookie)).newPage();
    await visit(gm, '/app/billing', 'billing-past-due-phone');

    // Dark mode.
    const dark = await (await ctx(DESKTOP, ada.cookie, 'dark')).newPage();
    await visit(dark, '/app/billing', 'billing-active-dark');
    await visit(dark, '/pricing', 'pricing-dark');
    console.log(`Screenshots in ${path.relative(process.cwd(), outDir) || '.'}`);
  } finally {
    await browser.close();
    await server.deps.db.db.dropDatabase().catch(() => {});
    await server.close();
    await emulator.stop();
    await mailpit.stop();
    await ferret.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function fillCard(page: Page, number: string, name: string) {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiration').fill('12 / 34');
  await page.getByLabel('CVC').fill('123');
  await page.getByLabel('Cardholder name').fill(name);
}

async function visit(page: Page, url: string, name: string) {
  await page.goto(url);
  await page.waitForLoadState('networkidle');
  console.log(`${name.padEnd(32)} ${url.padEnd(36)} "${await page.title()}"`);
  await shot(page, name);
}

async function shot(page: Page, name: string, fullPage = true) {
  if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
