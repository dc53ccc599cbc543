// An admin's session in a real browser: the overview, finding a subscriber by email, their failed
// payment, replaying a parked Stripe event, running the reconciler, retrying the payment, and the
// overview's numbers moving. Screenshots of each page land in test-results/ (desktop and phone).
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { DAY, payCheckout } from '../../src/dev/stripe-emulator/testing';
import { launchBrowser } from '../setup/browser';
import { trpc, verifiedUser, type BillingWorld } from '../setup/billing';
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

async function settle() {
  await world.control.waitForDeliveries(10_000);
  await world.server.worker.drain();
}

async function subscribe(user: { cookie: string }, planId: 'pro' | 'business') {
  const start = await trpc<{ url: string }>(world, user.cookie, 'mutation', 'billing.startCheckout', {
    planId,
    interval: 'month',
    actionId: randomUUID().replaceAll('-', ''),
  });
  const paid = await payCheckout(start.data.url, { number: '4242424242424242' });
  const sessionId = new URL(paid.location as string).searchParams.get('session_id');
  await trpc(world, user.cookie, 'mutation', 'billing.completeCheckout', { sessionId });
}

async function adminPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const base = world.server.env.PUBLIC_URL;
  const context = await browser.newContext({ baseURL: base, viewport });
  context.setDefaultTimeout(10_000);
  const [name, ...rest] = adminCookie.split('=');
  await context.addCookies([{ name: name as string, value: rest.join('='), url: base }]);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.warn(`[page error] ${err.message}`));
  return page;
}

async function shot(page: Page, name: string) {
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: `test-results/admin-${name}.png`, fullPage: true });
}

const kpi = (page: Page, label: string) =>
  page
    .locator('.admin-kpi', { has: page.locator('.admin-kpi-name', { hasText: new RegExp(`^${label}$`) }) })
    .locator('.admin-kpi-value');

describe('the admin panel', () => {
  it('finds a subscriber, sees the failed payment, replays a parked event, runs the reconciler, retries the payment', {
    timeout: 120_000,
  }, async () => {
    // A subscriber whose renewal fails, and a happy one.
    const user = await verifiedUser(world, 'Paula Pastdue');
    await subscribe(user, 'pro');
    const happy = await verifiedUser(world, 'Hal Happy');
    await subscribe(happy, 'business');
    const customer = (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle();
    const pmId = (await world.server.deps.db.c.subscriptions.findOne({ customerId: customer }))!.defaultPaymentMethod!.id;
    await world.control.setCardBehavior(pmId, 'decline_insufficient_funds');
    await world.control.advanceCustomer(customer, { seconds: 31 * DAY });
    await settle();
    // A parked event, as the worker leaves one after repeated failures.
    const parked = (await world.server.deps.db.c.webhookEvents.findOne({
      customerId: customer,
      type: 'invoice.payment_failed',
    }))!;
    await world.server.deps.db.c.webhookEvents.updateOne(
      { _id: parked._id },
      { $set: { status: 'parked', lastError: 'Simulated: database timeout' } },
    );
    // Some history for the charts.
    for (let i = 14; i >= 1; i--) {
      const at = new Date(Date.now() - i * 86_400_000);
      await world.server.deps.db.c.adminSnapshots.insertOne({
        _id: at.toISOString().slice(0, 10),
        at,
        mrr: [{ currency: 'usd', amount: 4_900 + (14 - i) * 300 }],
        activeSubscribers: 1 + Math.floor((14 - i) / 5),
        trialing: 2 - Math.floor((14 - i) / 8),
        pastDue: i < 3 ? 1 : 0,
        newSubscriptions30d: 2 + Math.floor((14 - i) / 4),
        churned30d: i < 6 ? 1 : 0,
      });
    }

    const page = await adminPage();
    await page.goto('/app/admin');
    await expect.poll(() => kpi(page, 'Past due').textContent()).toBe('1');
    await page.locator('.admin-chart-canvas canvas').first().waitFor();
    await shot(page, 'overview');

    // Find the subscriber by email.
    await page.getByRole('link', { name: 'Subscribers' }).click();
    await page.getByLabel('Search subscribers').fill(user.email);
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.getByRole('row', { name: new RegExp(user.email) });
    await expect.poll(() => row.count()).toBe(1);
    await expect.poll(() => page.getByRole('table').getByRole('row').count()).toBe(2);
    await shot(page, 'subscribers');
    await row.getByRole('link', { name: user.email }).click();
    await page.getByRole('heading', { level: 1, name: user.email }).waitFor();
    await page.getByText('Past due', { exact: true }).first().waitFor();
    await shot(page, 'subscriber');

    // The failed payment, with its reason.
    await page.getByRole('link', { name: 'Failed payments' }).click();
    const failed = page.getByRole('listitem', { name: `Failed payment of ${user.email}` });
    await failed.getByText(/insufficient/i).waitFor();
    await failed.getByText('$12.00 due').waitFor();
    await shot(page, 'failed-payments');

    // Replay the parked event.
    await page.getByRole('link', { name: 'Stripe events' }).click();
    await page.getByLabel('Processing').selectOption('parked');
    const eventRow = page.getByRole('row', { name: new RegExp(parked._id) });
    await eventRow.getByRole('button', { name: `View payload of ${parked._id}` }).click();
    await page.getByRole('region', { name: 'Payload JSON' }).getByText(`"id": "${parked._id}"`).waitFor();
    await shot(page, 'event-payload');
    await page.getByRole('button', { name: 'Close dialog' }).click();
    await eventRow.getByRole('button', { name: 'Replay' }).click();
    await page.getByRole('button', { name: 'Replay event' }).click();
    await page.getByText(`Event ${parked._id} queued again.`).waitFor();
    await world.server.worker.drain();
    await expect
      .poll(async () => (await world.server.deps.db.c.webhookEvents.findOne({ _id: parked._id }))?.status, { timeout: 10_000 })
      .toBe('processed');
    await shot(page, 'events');

    // Run the reconciler.
    await page.getByRole('link', { name: 'Reconciler' }).click();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.getByText('Run started; it appears below.').waitFor();
    await page.getByText('succeeded').first().waitFor({ timeout: 20_000 });
    await shot(page, 'reconciler');

    // The card is fixed; the admin retries the payment and the overview moves.
    await world.control.setCardBehavior(pmId, 'succeed');
    await page.getByRole('link', { name: 'Failed payments' }).click();
    await failed.getByRole('button', { name: 'Retry payment' }).click();
    await page.getByRole('button', { name: 'Charge now' }).click();
    await page.getByText('Payment succeeded.').waitFor();
    await page.getByText('No failed payments. Everyone is paid up.').waitFor();
    await page.getByRole('link', { name: 'Overview' }).click();
    // The page may first show the overview it read before the retry was folded; it reads again every 3 s.
    const moved = { timeout: 10_000 };
    await expect.poll(() => kpi(page, 'Past due').textContent(), moved).toBe('0');
    await expect.poll(() => kpi(page, 'Active subscribers').textContent(), moved).toBe('1');
    // The admin's retry recovered the invoice: counted, with its step.
    await expect.poll(() => kpi(page, 'Recovered \\(30 days\\)').textContent(), moved).toMatch(/^\$12(\.00)?$/);
    await page
      .getByText(/admin retry 1/)
      .first()
      .waitFor();
    // A definition on focus, then the subscribers behind today's new MRR.
    await page.getByRole('button', { name: 'How Churn rate (30 days) is counted' }).focus();
    await page
      .getByRole('tooltip')
      .filter({ hasText: /ended \(canceled\) in the last 30 days/ })
      .waitFor();
    await shot(page, 'overview-after');
    await page
      .getByRole('button', { name: /^New on \d{4}-\d{2}-\d{2}: / })
      .first()
      .click();
    const dialog = page.getByRole('dialog', { name: /New MRR/ });
    await dialog.getByRole('link', { name: user.email }).waitFor();
    await shot(page, 'movements-dialog');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await page.getByRole('link', { name: 'Failed payments' }).click();
    await page.getByRole('row', { name: new RegExp(`${user.email}.*Admin retry`) }).waitFor();
    await shot(page, 'failed-payments-recovered');

    // The same pages on a phone.
    const phone = await adminPage({ width: 390, height: 844 });
    await phone.goto(`/app/admin/subscribers?q=${encodeURIComponent(user.email)}`);
    await phone.getByRole('link', { name: user.email }).waitFor();
    await shot(phone, 'subscribers-phone');
    await phone.goto('/app/admin');
    await phone.locator('.admin-kpi').first().waitFor();
    await phone.getByRole('table', { name: /MRR movements/ }).waitFor();
    await shot(phone, 'overview-phone');
    await phone.goto('/app/admin/failed-payments');
    await phone.getByRole('heading', { name: 'Recovered payments' }).waitFor();
    await shot(phone, 'failed-payments-phone');
  });
});
