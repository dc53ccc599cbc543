// Billing details and promotion codes in a real browser, on the build `npm start` serves: a
// subscriber enters a company name, address and VAT number (a wrong number is refused next to its
// field), and the next invoice prints them; another applies a promotion code to an upgrade and sees
// the discount in the preview and then on the dashboard's next charge; a third types a code with a
// downgrade scheduled for the renewal and sees it start with the new plan.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import { inBrowserSession, launchBrowser } from '../setup/browser';
import { settle, subscribeThroughCheckout, verifiedUser, type BillingWorld } from '../setup/billing';
import { startE2E } from '../setup/e2e';
import { pdfText } from '../setup/pdf-text';

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

function session(name: string, user: User, run: (page: Page) => Promise<void>) {
  return inBrowserSession(browser, { baseURL: world.server.env.PUBLIC_URL, name: `details-${name}`, cookie: user.cookie }, run);
}

async function screenshots(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `test-results/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('billing details and promotion codes', () => {
  it('company, address and VAT number entered on the billing page appear on the next invoice', { timeout: 120_000 }, async () => {
    const user = await verifiedUser(world, 'Ada Lovelace');
    await subscribeThroughCheckout(world, user, 'pro');
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;

    await session('vat', user, async (page) => {
      await page.goto('/app/billing');
      const form = page.getByRole('form', { name: 'Billing details' });
      await form.getByLabel('Name on invoices').fill('Acme GmbH');
      await form.getByLabel('Street address').fill('Hauptstr. 1');
      await form.getByLabel('City').fill('Berlin');
      await form.getByLabel('Postal code').fill('10115');
      await form.getByLabel('Country').selectOption('DE');
      await form.getByLabel('Tax ID type').selectOption('eu_vat');
      const taxId = form.getByLabel(/^Tax ID(?! type)/);
      await taxId.fill('DE12');
      await form.getByRole('button', { name: 'Save billing details' }).click();
      // Stripe refuses the number; the message sits under the field and is tied to it.
      await form.getByText("This isn't a valid EU VAT number. It should look like DE123456789.").waitFor();
      expect(await taxId.getAttribute('aria-invalid')).toBe('true');
      expect(await taxId.getAttribute('aria-describedby')).toBeTruthy();
      await screenshots(page, 'billing-details-error');

      // Corrected from the keyboard: Enter in the field submits the form.
      await taxId.focus();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.type('DE123456789');
      await page.keyboard.press('Enter');
      await form.getByText('Saved. Your next invoices will show these details.').waitFor();
      expect(await taxId.getAttribute('aria-invalid')).toBeNull();

      // The details are read back from Stripe on a fresh load.
      await page.reload();
      expect(await form.getByLabel('Name on invoices').inputValue()).toBe('Acme GmbH');
      expect(await form.getByLabel(/^Tax ID(?! type)/).inputValue()).toBe('DE123456789');
      await screenshots(page, 'billing-details-saved');

      // The trial ends: the first paid invoice prints them.
      await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
      await settle(world);
      await page.reload();
      const firstPayment = page
        .getByRole('region', { name: 'Invoices' })
        .getByRole('row')
        .filter({ hasText: 'First payment after the trial' });
      const href = await firstPayment.getByRole('link', { name: /View invoice/ }).getAttribute('href');
      await page.goto(href as string);
      await page.getByText('Acme GmbH').waitFor();
      await page.getByText('Hauptstr. 1').waitFor();
      await page.getByText('EU VAT DE123456789').waitFor();
      // And so does its PDF, under "Bill to".
      const pdf = await fetch(`${href}/pdf`);
      expect(pdf.headers.get('content-type')).toContain('application/pdf');
      const lines = pdfText(new Uint8Array(await pdf.arrayBuffer())).split('\n');
      const billTo = lines.indexOf('Bill to');
      expect(billTo, lines.join('\n')).toBeGreaterThanOrEqual(0);
      expect(lines.slice(billTo + 1, billTo + 7)).toEqual([
        'Acme GmbH',
        'Hauptstr. 1',
        '10115 Berlin',
        'DE',
        user.email,
        'EU VAT DE123456789',
      ]);
    });
    const [invoice] = (await world.stripe.invoices.list({ customer, limit: 1 })).data;
    expect(invoice?.customer_tax_ids).toEqual([{ type: 'eu_vat', value: 'DE123456789' }]);
  });

  it('a promotion code on an upgrade: refused when unknown, then the discount in the preview and on the next charge', {
    timeout: 120_000,
  }, async () => {
    const coupon = await world.stripe.coupons.create({ percent_off: 20, duration: 'forever', name: 'Spring sale' });
    const code = `SPRING${randomUUID().slice(0, 4).toUpperCase()}`;
    await world.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code });
    const user = await verifiedUser(world, 'Grace Hopper');
    await subscribeThroughCheckout(world, user, 'pro');

    await session('promo', user, async (page) => {
      await page.goto('/app/billing');
      await page.getByRole('button', { name: 'Upgrade to Business monthly' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByTestId('preview-next-amount').waitFor();
      const field = dialog.getByLabel('Promotion code');
      await field.fill('NOPE');
      await dialog.getByRole('button', { name: 'Apply' }).click();
      await dialog.getByText(`"NOPE" isn't a valid promotion code, or it has expired.`).waitFor();
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      // The preview without a code is still there to confirm.
      expect(await dialog.getByTestId('preview-next-amount').textContent()).toBe('$49.00');

      await field.fill(code.toLowerCase());
      await field.press('Enter');
      await dialog.getByText(`Discount (${code})`).waitFor();
      await dialog.getByTestId('preview-next-amount').filter({ hasText: '$39.20' }).waitFor();
      await dialog.getByText(`${code} applied.`).waitFor();
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.screenshot({ path: `test-results/change-plan-promo-${width}.png` });
      }
      await page.setViewportSize({ width: 1280, height: 900 });
      await dialog.getByRole('button', { name: 'Confirm change' }).click();
      await dialog.waitFor({ state: 'hidden' });

      await page.goto('/app');
      const plan = page.getByRole('region', { name: 'Plan', exact: true });
      await plan.getByText('Business', { exact: true }).waitFor();
      await plan.getByText(`${code}: Spring sale (20% off)`).waitFor();
      await plan.getByText(/^\$39\.20 on /).waitFor();
      await plan.getByText('$49.00 plan − $9.80 Spring sale (20% off)').waitFor();
      await screenshots(page, 'dashboard-discount');
    });
  });

  it('a promotion code on a downgrade scheduled for the renewal: previewed, shown with the change, then on the new plan', {
    timeout: 120_000,
  }, async () => {
    const coupon = await world.stripe.coupons.create({ percent_off: 20, duration: 'forever', name: 'Spring sale' });
    const code = `SPRING${randomUUID().slice(0, 4).toUpperCase()}`;
    await world.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code });
    const user = await verifiedUser(world, 'Katherine Johnson');
    await subscribeThroughCheckout(world, user, 'business');
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle(world);

    await session('promo-scheduled', user, async (page) => {
      await page.goto('/app/billing');
      await page.getByRole('button', { name: 'Downgrade to Pro monthly' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByTestId('preview-next-amount').filter({ hasText: '$12.00' }).waitFor();
      const field = dialog.getByLabel('Promotion code');
      await field.fill(code.toLowerCase());
      await field.press('Enter');
      await dialog.getByText(`Discount (${code})`).waitFor();
      await dialog.getByTestId('preview-next-amount').filter({ hasText: '$9.60' }).waitFor();
      await dialog.getByText(new RegExp(`^${code} applied: it starts with Pro on `)).waitFor();
      expect(await dialog.getByTestId('preview-amount').textContent()).toBe('$0.00');
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.screenshot({ path: `test-results/change-plan-promo-scheduled-${width}.png` });
      }
      await page.setViewportSize({ width: 1280, height: 900 });
      await dialog.getByRole('button', { name: 'Schedule the change' }).click();
      await dialog.waitFor({ state: 'hidden' });

      // Still Business: the change and its code are shown together, the discount as the new plan's.
      await page.getByText(new RegExp(`^Changes to Pro on .+ with code ${code}$`)).waitFor();
      await page.getByText('Discount on the new plan').waitFor();
      await page
        .getByText(/^\$9\.60 on /)
        .first()
        .waitFor();
      await screenshots(page, 'billing-promo-scheduled');
    });

    const row = (await world.server.deps.db.c.subscriptions.findOne({ userId: user.id }))!;
    await world.control.advanceCustomer(customer, { to: row.currentPeriodEnd!.getTime() / 1000 + 2 * 3600 });
    await settle(world);
    await session('promo-switched', user, async (page) => {
      await page.goto('/app/billing');
      await page.getByText(/with code/).waitFor({ state: 'detached' });
      await page.getByText(`${code}: Spring sale (20% off)`).first().waitFor();
      await page
        .getByText(/^\$9\.60 on /)
        .first()
        .waitFor();
    });
    const [first] = (await world.stripe.invoices.list({ customer, limit: 1 })).data;
    expect(first).toMatchObject({ subtotal: 1200, total: 960 });
  });
});
