// A failed payment won back, in a real browser on the build `npm start` serves: a subscriber
// subscribes through Checkout, their card starts to decline, the renewal fails, the dunning email's
// "Update card and pay" button opens the card form, a new card pays the invoice, and an admin sees
// the revenue recovered — by a card update — on the overview and the failed-payments page.
// Screenshots of the pay page and the recovery figures at 1280 and 390 px go to test-results/.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import { inBrowserSession, launchBrowser, payOnCheckout } from '../setup/browser';
import { settle, verifiedUser, type BillingWorld } from '../setup/billing';
import { startE2E } from '../setup/e2e';
import { waitForEmail } from '../setup/mailpit';

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

type User = Awaited<ReturnType<typeof verifiedUser>>;

function session(name: string, user: User, run: (page: Page, context: BrowserContext) => Promise<void>) {
  return inBrowserSession(browser, { baseURL: world.server.env.PUBLIC_URL, name: `recovery-${name}`, cookie: user.cookie }, run);
}

async function shots(page: Page, name: string, target?: { screenshot(opts: { path: string }): Promise<unknown> }) {
  mkdirSync('test-results', { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await (target ?? page).screenshot({ path: `test-results/recovery-${name}-${width}.png` });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** A figure of the admin pages, read by its label. */
const kpi = (page: Page, label: string) =>
  page.locator('.admin-kpi', { has: page.locator('.admin-kpi-name', { hasText: new RegExp(`^${label}$`) }) });

describe('failed-payment recovery', () => {
  it('a renewal declines → dunning email → "Update card and pay" → a new card pays → the admin sees it recovered by a card update', {
    timeout: 240_000,
  }, async () => {
    const user = await verifiedUser(world, 'Rosa Recover');
    const admin = await verifiedUser(world, 'Ada Admin', { role: 'admin' });

    // The subscriber starts a Pro trial through Checkout with a card that works.
    await session('subscribe', user, async (page) => {
      await page.goto('/pricing');
      await page.getByRole('button', { name: 'Choose Pro' }).click();
      await payOnCheckout(page, { number: '4242 4242 4242 4242', name: 'Rosa Recover' });
      await page.getByRole('heading', { name: "You're on Pro" }).waitFor();
    });
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))?.stripeCustomerId;
    expect(customer, 'Checkout made a Stripe customer').toBeTruthy();

    // The trial ends and the first month is paid; then the card starts to decline and the renewal fails.
    await world.control.advanceCustomer(customer!, { seconds: 15 * DAY });
    await settle(world);
    const sub = await world.server.deps.db.c.subscriptions.findOne({ customerId: customer! });
    expect(sub?.status).toBe('active');
    await world.control.setCardBehavior(sub!.defaultPaymentMethod!.id, 'decline_insufficient_funds');
    await world.control.advanceCustomer(customer!, { seconds: 31 * DAY });
    await settle(world);

    // Nothing recovered yet: the admin sees the payment failing and $0 won back.
    await session('admin-before', admin, async (page) => {
      await page.goto('/app/admin/failed-payments');
      const failed = page.getByRole('listitem', { name: `Failed payment of ${user.email}` });
      await failed.getByText('$12.00 due').waitFor();
      const recovered = kpi(page, 'Recovered \\(30 days\\)');
      await expect.poll(() => recovered.locator('.admin-kpi-value').textContent()).toBe('$0');
      await expect.poll(() => recovered.locator('.admin-kpi-hint').textContent()).toMatch(/card updated 0/);
    });

    const email = await waitForEmail(user.email, /payment failed/i);
    expect(email.text).toContain('$12.00');

    await session('pay', user, async (page, context) => {
      // The email as the subscriber reads it; its button opens a new tab (target=_blank).
      await page.setContent(email.html);
      const [pay] = await Promise.all([
        context.waitForEvent('page'),
        page.getByRole('link', { name: 'Update card and pay' }).click(),
      ]);
      // One click lands on the card form itself, not on the portal's home.
      await pay.getByRole('heading', { name: 'Update payment method' }).waitFor();
      expect(new URL(pay.url()).pathname).toMatch(/^\/p\/session\/[^/]+$/);
      await shots(pay, 'pay-page');

      await pay.getByLabel('Card number').fill('4242 4242 4242 4242');
      await pay.getByLabel('Expiration').fill('12 / 34');
      await pay.getByLabel('CVC').fill('123');
      await pay.getByLabel('Cardholder name').fill('Rosa Recover');
      await pay.getByRole('button', { name: 'Save card' }).click();
      // The new card paid what was owed, and the portal returned to the billing page.
      await pay.waitForURL((url) => url.pathname === '/app/billing');
      // The page reads the account again every few seconds while a payment is failing: it turns
      // active once Stripe's webhooks are in, without a reload.
      const plan = pay.getByRole('region', { name: 'Your plan' });
      await plan.getByText('Active', { exact: true }).waitFor({ timeout: 20_000 });
      await pay.getByText('Your last payment failed').waitFor({ state: 'detached' });
      await pay.getByRole('region', { name: 'Payment method' }).getByText('4242').waitFor();
    });
    await settle(world);
    const invoices = await world.stripe.invoices.list({ customer: customer!, limit: 10 });
    expect(
      invoices.data.filter((i) => i.status === 'open'),
      'no invoice left to pay',
    ).toEqual([]);

    // The admin's overview and failed-payments page count it, with its step.
    await session('admin-after', admin, async (page) => {
      await page.goto('/app/admin');
      const recovered = kpi(page, 'Recovered \\(30 days\\)');
      // The overview reads its figures again every few seconds; the recovery is folded in by then.
      await expect.poll(() => recovered.locator('.admin-kpi-value').textContent(), { timeout: 15_000 }).toBe('$12');
      await expect
        .poll(() => recovered.locator('.admin-kpi-hint').textContent())
        .toMatch(/^1 of 1 failed payment \(100%\).* card updated 1/);
      const figures = page.getByRole('region', { name: 'Failed-payment recovery' });
      await figures.scrollIntoViewIfNeeded();
      await shots(page, 'overview-figures', figures);

      await page.getByRole('link', { name: 'Failed payments' }).click();
      await page.getByText('No failed payments. Everyone is paid up.').waitFor();
      await expect.poll(() => kpi(page, 'Recovered \\(30 days\\)').locator('.admin-kpi-value').textContent()).toBe('$12');
      const row = page.getByRole('region', { name: 'Recovered payments' }).getByRole('row', { name: new RegExp(user.email) });
      await row.getByText('$12.00').waitFor();
      await row.getByText('Card updated').waitFor();
      await shots(page, 'failed-payments', page.getByRole('region', { name: 'Recovered payments' }));
    });
  });
});
