// A subscriber's billing story in a real browser, against the Stripe emulator's hosted pages:
// pricing → sign up → verify → Checkout with 4242… → Pro trialing → upgrade to Business with the
// previewed amount → cancel → resume → time passes → the renewal invoice and its PDF. And a card
// that fails after the trial: past_due banner, the email, a new card in the portal, active again.
// And a downgrade scheduled for the renewal, shown on the plan card, then undone from the keyboard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import { inBrowserSession, launchBrowser, payOnCheckout, signUpAndVerify } from '../setup/browser';
import { subscribeThroughCheckout, verifiedUser, type BillingWorld } from '../setup/billing';
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

/** Runs a person's session; on failure keeps a screenshot in test-results/ to see what they saw. */
function session(name: string, run: (page: Page, context: BrowserContext) => Promise<void>, cookie?: string) {
  return inBrowserSession(browser, { baseURL: world.server.env.PUBLIC_URL, name: `billing-${name}`, cookie }, run);
}

/** Webhooks delivered and processed, as they would be a moment later in production. */
async function settle() {
  await world.control.waitForDeliveries(10_000);
  await world.server.worker.drain();
}

async function customerOf(email: string): Promise<string> {
  const user = await world.server.deps.db.c.users.findOne({ email });
  expect(user?.stripeCustomerId, `no Stripe customer for ${email}`).toBeTruthy();
  return user?.stripeCustomerId as string;
}

function planRegion(page: Page) {
  return page.getByRole('region', { name: 'Your plan' });
}

/** "$1,234.56" → 123456 */
function cents(text: string): number {
  return Math.round(Number(text.replace(/[^0-9.]/g, '')) * 100);
}

describe('billing in the browser', () => {
  it('pricing → sign up → checkout → Pro trial → upgrade → cancel → resume → renewal invoice with a PDF', {
    timeout: 180_000,
  }, async () => {
    const email = `e2e-billing-${Date.now()}@example.test`;
    await session('subscribe', async (page) => {
      await page.goto('/pricing');
      await page.getByRole('heading', { name: 'Business' }).waitFor();
      await page.getByRole('button', { name: /Yearly/ }).click();
      expect(await page.getByRole('button', { name: /Yearly/ }).getAttribute('aria-pressed')).toBe('true');
      await page.getByText('$120').waitFor();
      await page.getByRole('button', { name: 'Monthly' }).click();
      await page.getByRole('link', { name: 'Start free trial' }).first().click();

      await page.waitForURL(/\/signup\?next=/);
      await signUpAndVerify(page, { name: 'Ada Example', email, password: 'correct horse battery staple' });
      await page.waitForURL(/\/app$/);

      await page.goto('/pricing');
      expect(await page.getByRole('button', { name: 'Monthly' }).getAttribute('aria-pressed')).toBe('true');
      await page.getByRole('button', { name: 'Choose Pro' }).click();
      await payOnCheckout(page, { number: '4242 4242 4242 4242', name: 'Ada Example' });

      await page.getByRole('heading', { name: "You're on Pro" }).waitFor();
      await page.getByRole('link', { name: 'Go to billing' }).click();
      await page.waitForURL(/\/app\/billing$/);
      await planRegion(page).getByText('Pro', { exact: true }).waitFor();
      await planRegion(page).getByText('Trial', { exact: true }).waitFor();
      await planRegion(page).getByText('14 days left').waitFor();
      await page.getByRole('region', { name: 'Payment method' }).getByText('4242').waitFor();

      // A Business guide is locked on Pro.
      const nav = page.getByRole('navigation', { name: 'Main' });
      const guide = 'Usage-based pricing: a field guide';
      await nav.getByRole('link', { name: 'Library' }).click();
      await page.getByRole('link', { name: `Upgrade to open ${guide}`, exact: true }).waitFor();
      await nav.getByRole('link', { name: 'Billing' }).click();

      // Upgrade during the trial: nothing is due today, and the dialog shows the next invoice,
      // which is exactly what Stripe bills when the trial ends.
      await page.getByRole('button', { name: 'Upgrade to Business monthly' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByTestId('preview-amount').waitFor();
      expect(cents((await dialog.getByTestId('preview-amount').textContent()) ?? '')).toBe(0);
      const previewedNext = cents((await dialog.getByTestId('preview-next-amount').textContent()) ?? '');
      expect(previewedNext).toBe(4900);
      // Overage is stated once as a rate, not as a "0 × DropIn Business $0.00" line.
      await dialog
        .getByText(
          'API calls past the 100,000 included in Business are billed by use: $0.01 each, on the invoice at the end of each billing period.',
        )
        .waitFor();
      expect(await dialog.getByRole('row').allTextContents()).toEqual(['1 × DropIn Business$49.00']);
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.screenshot({ path: `test-results/billing-change-plan-${width}.png` });
      }
      await page.setViewportSize({ width: 1280, height: 900 });
      await dialog.getByRole('button', { name: 'Confirm change' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByText("You're now on Business (monthly).").waitFor();
      await planRegion(page).getByText('Business', { exact: true }).waitFor();
      // The library the page read on Pro a moment ago opens the guide now, without a reload.
      await nav.getByRole('link', { name: 'Library' }).click();
      await page.getByRole('link', { name: `Open ${guide}`, exact: true }).waitFor();
      await nav.getByRole('link', { name: 'Billing' }).click();
      const customer = await customerOf(email);

      // Cancel at period end with a reason, then change our mind.
      await page.getByRole('button', { name: 'Cancel subscription' }).click();
      await dialog.getByLabel(/Why are you canceling/).selectOption('too_expensive');
      await dialog.getByLabel(/do better/).fill('Just testing the way out.');
      await dialog.getByRole('button', { name: 'Confirm cancellation' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByText(/Your Business plan ends on/).waitFor();
      await planRegion(page).getByText('Ends on').waitFor();
      // One message about the end, and a badge that says it rather than "Active".
      expect(await page.getByText(/plan ends on/).count()).toBe(1);
      await planRegion(page)
        .getByText(/^Ends \w{3} \d{1,2}, \d{4}$/)
        .waitFor();
      expect(await planRegion(page).getByText('Active', { exact: true }).count()).toBe(0);
      await page.screenshot({ path: 'test-results/billing-cancel-scheduled-1280.png', fullPage: true });
      await page.getByRole('button', { name: 'Resume subscription' }).click();
      await page.getByText('Your Business plan will renew as usual.').waitFor();
      expect(await page.getByText(/plan ends on/).count()).toBe(0);

      // Past the trial, then past one renewal.
      await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
      await settle();
      const firstCharge = (await world.stripe.invoices.list({ customer, limit: 10 })).data.find(
        (i) => i.billing_reason === 'subscription_cycle',
      );
      expect(firstCharge?.amount_due, 'the first invoice after the trial equals the preview').toBe(previewedNext);
      await world.control.advanceCustomer(customer, { seconds: 31 * DAY });
      await settle();
      await page.reload();
      await planRegion(page).getByText('Active', { exact: true }).waitFor();
      const invoices = page.getByRole('region', { name: 'Invoices' });
      const paidBusiness = invoices.getByRole('row').filter({ hasText: '$49.00' }).filter({ hasText: 'Paid' });
      await paidBusiness.first().waitFor();
      expect(await paidBusiness.count(), 'first charge after the trial and one renewal').toBeGreaterThanOrEqual(2);
      const pdfHref = await paidBusiness
        .first()
        .getByRole('link', { name: /Download PDF/ })
        .getAttribute('href');
      expect(pdfHref).toBeTruthy();
      const pdf = await fetch(pdfHref as string);
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toContain('application/pdf');
      expect(
        await paidBusiness
          .first()
          .getByRole('link', { name: /View invoice/ })
          .getAttribute('href'),
      ).toMatch(/\/i\//);
    });
  });

  it('a card that fails after the trial: past_due banner and email → new card in the portal → active again', {
    timeout: 180_000,
  }, async () => {
    const user = await verifiedUser(world, 'Grace Example');
    await session(
      'past-due',
      async (page) => {
        await page.goto('/pricing');
        await page.getByRole('button', { name: 'Choose Pro' }).click();
        await payOnCheckout(page, { number: '4000 0000 0000 0341', name: 'Ada Example' });
        await page.getByRole('heading', { name: "You're on Pro" }).waitFor();

        const customer = await customerOf(user.email);
        await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
        await settle();
        await page.goto('/app/billing');
        await page.getByText('Your last payment failed').waitFor();
        await planRegion(page).getByText('Past due', { exact: true }).waitFor();
        await page.getByRole('link', { name: /Pay invoice/ }).waitFor();
        await waitForEmail(user.email, /payment failed/i);

        // The person updates the card in Stripe's portal; the new card pays what is owed.
        await page.getByRole('button', { name: 'Update payment method' }).first().click();
        await page.waitForURL(/\/p\/session\//);
        await page.getByRole('button', { name: 'Update payment method' }).click();
        await page.getByLabel('Card number').fill('4242 4242 4242 4242');
        await page.getByLabel('Expiration').fill('12 / 34');
        await page.getByLabel('CVC').fill('123');
        await page.getByLabel('Cardholder name').fill('Grace Example');
        await page.getByRole('button', { name: 'Save card' }).click();
        await page.getByText(/outstanding invoice was paid/).waitFor();
        await page.getByRole('link', { name: /Return to DropIn/ }).click();
        await page.waitForURL(/\/app\/billing$/);

        await settle();
        await page.reload();
        await planRegion(page).getByText('Active', { exact: true }).waitFor();
        expect(await page.getByText('Your last payment failed').count()).toBe(0);
        await page.getByRole('region', { name: 'Payment method' }).getByText('4242').waitFor();
      },
      user.cookie,
    );
  });

  it('a downgrade is scheduled for the renewal, shown on the plan card, and undone from the keyboard', {
    timeout: 180_000,
  }, async () => {
    const user = await verifiedUser(world, 'Hedy Example');
    await subscribeThroughCheckout(world, user, 'business');
    const customer = await customerOf(user.email);
    await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle();
    await session(
      'schedule-downgrade',
      async (page) => {
        await page.goto('/app/billing');
        await planRegion(page).getByText('Active', { exact: true }).waitFor();
        await page.getByRole('button', { name: 'Downgrade to Pro monthly' }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByTestId('preview-amount').waitFor();
        expect(cents((await dialog.getByTestId('preview-amount').textContent()) ?? '')).toBe(0);
        expect(cents((await dialog.getByTestId('preview-next-amount').textContent()) ?? '')).toBe(1200);
        await dialog.getByText(/^Your plan changes to Pro on .+\. Nothing is charged now\./).waitFor();
        const invoicesBefore = (await world.stripe.invoices.list({ customer })).data.length;
        await dialog.getByRole('button', { name: 'Schedule the change' }).click();
        await dialog.waitFor({ state: 'hidden' });
        await page.getByText(/^Your plan changes to Pro on .+\. Nothing is charged now\.$/).waitFor();
        const plan = planRegion(page);
        await plan.getByText(/^Changes to Pro on /).waitFor();
        await plan.getByText('Business', { exact: true }).waitFor();
        expect((await world.stripe.invoices.list({ customer })).data.length, 'nothing invoiced now').toBe(invoicesBefore);

        for (const width of [1280, 390]) {
          await page.setViewportSize({ width, height: 900 });
          await page.screenshot({ path: `test-results/billing-scheduled-change-${width}.png`, fullPage: true });
        }
        await page.setViewportSize({ width: 1280, height: 900 });

        // Undo from the keyboard: Escape backs out with focus back on Undo; Enter on "Keep Business" confirms.
        const undo = plan.getByRole('button', { name: 'Undo' });
        await undo.focus();
        await page.keyboard.press('Enter');
        await dialog.getByRole('heading', { name: 'Keep Business?' }).waitFor();
        await page.keyboard.press('Escape');
        // Gone from the page, not only closed: the browser closes the <dialog> at once and tells
        // the app a task later; an Enter in between would land before the app knows it closed.
        await page.locator('dialog').waitFor({ state: 'detached' });
        expect(await undo.evaluate((el) => el === document.activeElement)).toBe(true);
        await page.keyboard.press('Enter');
        await dialog.getByRole('button', { name: 'Keep Business' }).focus();
        await page.keyboard.press('Enter');
        await dialog.waitFor({ state: 'hidden' });
        await page.getByText('Your Business plan stays as it is and renews as usual.').waitFor();
        expect(await plan.getByText(/Changes to Pro/).count()).toBe(0);
        const sub = (await world.stripe.subscriptions.list({ customer })).data[0]!;
        expect(sub.schedule).toBeNull();
      },
      user.cookie,
    );
  });
});
