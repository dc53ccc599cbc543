// An admin refunds half of a subscriber's invoice in a real browser: the dialog's amount check,
// the confirmation, the invoice marked "Partially refunded" for the admin and the subscriber, and
// the email. Then the refund's event payload, which must wrap and scroll inside its dialog. A credit
// note issued in Stripe shows under its invoice on both lists, with its PDF, and lowers the next charge.
// Screenshots at 1280 and 390 px land in test-results/.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import { launchBrowser } from '../setup/browser';
import { type BillingWorld, settle, subscribeThroughCheckout, verifiedUser } from '../setup/billing';
import { startE2E } from '../setup/e2e';

let world: BillingWorld;
let browser: Browser;
let adminCookie: string;

beforeAll(async () => {
  world = await startE2E();
  browser = await launchBrowser();
  adminCookie = (await verifiedUser(world, 'Ada Admin', { role: 'admin' })).cookie;
});
afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function signedIn(cookie: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const base = world.server.env.PUBLIC_URL;
  const context = await browser.newContext({ baseURL: base, viewport });
  context.setDefaultTimeout(10_000);
  const [name, ...rest] = cookie.split('=');
  await context.addCookies([{ name: name as string, value: rest.join('='), url: base }]);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.warn(`[page error] ${err.message}`));
  return page;
}

async function shot(page: Page, name: string) {
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: `test-results/admin-${name}.png` });
}

/** Where the open dialog, its panel, its close button and a content element sit, in CSS pixels. */
async function dialogBoxes(page: Page, content: string) {
  return page.evaluate((selector) => {
    const box = (el: Element | null) => {
      const r = el?.getBoundingClientRect();
      return r ? { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height } : null;
    };
    const inner = document.querySelector(selector);
    return {
      viewport: window.innerWidth,
      dialog: box(document.querySelector('dialog[open]')),
      panel: box(document.querySelector('dialog[open] .dialog-panel')),
      close: box(document.querySelector('dialog[open] [aria-label="Close dialog"]')),
      content: box(inner),
      scrollWidth: inner?.scrollWidth ?? 0,
      clientWidth: inner?.clientWidth ?? 0,
      scrollHeight: inner?.scrollHeight ?? 0,
      clientHeight: inner?.clientHeight ?? 0,
    };
  }, content);
}

type Boxes = Awaited<ReturnType<typeof dialogBoxes>>;

/** The dialog fits the viewport and everything in it fits the dialog. */
function expectInside(b: Boxes) {
  const { dialog, panel, close, content } = b;
  expect(dialog && panel && close && content, 'dialog parts').toBeTruthy();
  expect(dialog!.left).toBeGreaterThanOrEqual(0);
  expect(dialog!.right).toBeLessThanOrEqual(b.viewport);
  for (const part of [panel!, close!, content!]) {
    expect(part.left).toBeGreaterThanOrEqual(dialog!.left);
    expect(part.right).toBeLessThanOrEqual(dialog!.right + 0.5);
  }
}

describe('refunds in the admin panel', () => {
  it('an admin refunds half an invoice; both invoice lists show it; the payload dialog keeps its JSON inside', {
    timeout: 120_000,
  }, async () => {
    const user = await verifiedUser(world, 'Rhea Refund');
    await subscribeThroughCheckout(world, user, 'pro');
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle(world);

    const page = await signedIn(adminCookie);
    await page.goto(`/app/admin/subscribers/${user.id}`);
    await page.getByRole('heading', { level: 1, name: user.email }).waitFor();
    const invoicesCard = page.getByRole('region', { name: 'Invoices' });
    await invoicesCard.getByRole('button', { name: 'Refund a payment' }).click();

    const dialog = page.getByRole('dialog', { name: 'Refund a payment' });
    const amount = dialog.getByLabel('Amount (USD)');
    await expect.poll(() => amount.inputValue()).toBe('12.00');
    await shot(page, 'refund-dialog');
    expectInside(await dialogBoxes(page, 'dialog[open] form'));

    // More than was paid is caught next to the field, before anything is sent.
    await amount.fill('13');
    await dialog.getByRole('button', { name: 'Review refund' }).click();
    await dialog.getByText('At most $12.00 is still refundable on this invoice.').waitFor();
    await expect.poll(() => amount.getAttribute('aria-invalid')).toBe('true');

    await amount.fill('6');
    await dialog.getByLabel('Reason').selectOption('requested_by_customer');
    await dialog.getByLabel('Note').fill('Asked on chat; half the month unused.');
    await dialog.getByRole('button', { name: 'Review refund' }).click();
    const confirm = page.getByRole('dialog', { name: 'Refund $6.00?' });
    await confirm.getByText('This is a partial refund: $6.00 stays refundable.').waitFor();
    await confirm.getByText(`${user.email} gets an email saying so.`, { exact: false }).waitFor();
    await shot(page, 'refund-confirm');
    await confirm.getByRole('button', { name: 'Refund $6.00' }).click();
    await page.getByText(/^Refunded \$6\.00 of invoice /).waitFor();
    await invoicesCard.getByText('Partially refunded: $6.00').waitFor();

    const refunds = await world.stripe.refunds.list({ limit: 10 });
    const made = refunds.data.find((r) => r.customer === customer);
    expect(made).toMatchObject({
      amount: 600,
      reason: 'requested_by_customer',
      metadata: { note: 'Asked on chat; half the month unused.' },
    });
    const email = await world.server.deps.db.c.emailOutbox.findOne({ _id: `refund:${made!.id}` });
    expect(email).toMatchObject({ to: user.email, subject: 'Refund of $6.00 for DropIn Pro' });

    // The subscriber's billing page.
    const own = await signedIn(user.cookie);
    await own.goto('/app/billing');
    const row = own.getByRole('row', { name: /Partially refunded/ });
    await row.getByText('Refunded $6.00').waitFor();
    await shot(own, 'refund-billing');

    // The refund's event payload: the JSON wraps and scrolls inside its dialog, at 1280 and 390 px.
    await settle(world);
    const eventId = (await world.server.deps.db.c.webhookEvents.findOne({ customerId: customer, type: 'charge.refunded' }))!._id;
    for (const [viewport, name] of [
      [{ width: 1280, height: 900 }, 'event-payload-dialog'],
      [{ width: 390, height: 844 }, 'event-payload-dialog-phone'],
    ] as const) {
      const events = await signedIn(adminCookie, viewport);
      await events.goto(`/app/admin/events?q=${eventId}`);
      await events.getByRole('button', { name: `View payload of ${eventId}` }).click();
      const json = events.getByRole('region', { name: 'Payload JSON' });
      await json.getByText(`"id": "${eventId}"`).waitFor();
      const boxes = await dialogBoxes(events, 'dialog[open] .admin-payload');
      expectInside(boxes);
      // Lines wrap (nothing to scroll sideways); the rest scrolls down inside the dialog.
      expect(boxes.scrollWidth).toBeLessThanOrEqual(boxes.clientWidth);
      expect(boxes.scrollHeight).toBeGreaterThan(boxes.clientHeight);
      expect(boxes.dialog!.bottom).toBeLessThanOrEqual(viewport.height);
      await shot(events, name);
      await events.context().close();
    }

    // The refund dialog on a phone.
    const phone = await signedIn(adminCookie, { width: 390, height: 844 });
    await phone.goto(`/app/admin/subscribers/${user.id}`);
    await phone.getByRole('region', { name: 'Invoices' }).getByText('Partially refunded: $6.00').waitFor();
    await phone.getByRole('button', { name: 'Refund a payment' }).click();
    await expect.poll(() => phone.getByLabel('Amount (USD)').inputValue()).toBe('6.00');
    expectInside(await dialogBoxes(phone, 'dialog[open] form'));
    await shot(phone, 'refund-dialog-phone');
  });

  it('a credit note issued in Stripe shows under its invoice for the subscriber and the admin, with its PDF', {
    timeout: 120_000,
  }, async () => {
    const user = await verifiedUser(world, 'Cleo Credit');
    await subscribeThroughCheckout(world, user, 'pro');
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle(world);
    const paid = (await world.stripe.invoices.list({ customer, status: 'paid' })).data.find((i) => i.amount_paid > 0)!;
    // As an admin would in Stripe's Dashboard: $5.00 of the month credited to the customer balance.
    const note = await world.stripe.creditNotes.create({ invoice: paid.id, amount: 500, credit_amount: 500 });
    await settle(world);
    const words = `Credit note ${note.number} −$5.00 (credited to your balance)`;
    const adminWords = `Credit note ${note.number} −$5.00 (credited to the customer's balance)`;

    for (const [viewport, suffix] of [
      [{ width: 1280, height: 900 }, ''],
      [{ width: 390, height: 844 }, '-phone'],
    ] as const) {
      const own = await signedIn(user.cookie, viewport);
      await own.goto('/app/billing');
      const card = own.getByRole('region', { name: 'Invoices' });
      const notes = card.getByRole('list', { name: 'Credit notes' });
      await notes.getByText(words).waitFor();
      const pdf = notes.getByRole('link', { name: `PDF of credit note ${note.number} (opens in a new tab)` });
      expect(await pdf.getAttribute('href')).toBe(note.pdf);
      // The next charge uses the credit: $12.00 less $5.00.
      await own.getByText('$7.00').first().waitFor();
      await card.scrollIntoViewIfNeeded();
      mkdirSync('test-results', { recursive: true });
      await card.screenshot({ path: `test-results/credit-note-invoices${suffix}.png` });
      await own.context().close();

      const adminPage = await signedIn(adminCookie, viewport);
      await adminPage.goto(`/app/admin/subscribers/${user.id}`);
      const adminCard = adminPage.getByRole('region', { name: 'Invoices' });
      await adminCard.getByRole('list', { name: 'Credit notes' }).getByText(adminWords).waitFor();
      await adminCard.scrollIntoViewIfNeeded();
      await adminCard.screenshot({ path: `test-results/admin-credit-note-invoices${suffix}.png` });
      await adminPage.context().close();
    }
  });
});
