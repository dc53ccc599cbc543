// The subscriber's dashboard in a real browser, on the build `npm start` serves, with time moved by
// the Stripe emulator: a first month (trial → paid → upgrade → credit → downgrade scheduled →
// period end → on Pro), each figure checked where the subscriber reads it (plan card, next charge,
// invoices); and a failed payment whose banner follows the subscriber to every page until the card
// is fixed. Screenshots of each state at 1280 and 390 px go to test-results/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import { consume } from '../../src/usage/counter';
import { inBrowserSession, launchBrowser } from '../setup/browser';
import { settle, subscribeThroughCheckout, trpc, verifiedUser, type BillingWorld } from '../setup/billing';
import { startE2E } from '../setup/e2e';

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
  return inBrowserSession(browser, { baseURL: world.server.env.PUBLIC_URL, name: `dashboard-${name}`, cookie: user.cookie }, run);
}

async function customerOf(user: User): Promise<string> {
  const row = await world.server.deps.db.c.users.findOne({ _id: user.id });
  expect(row?.stripeCustomerId, `no Stripe customer for ${user.email}`).toBeTruthy();
  return row?.stripeCustomerId as string;
}

async function currentPeriodEnd(customer: string): Promise<number> {
  const sub = (await world.stripe.subscriptions.list({ customer })).data[0]!;
  return sub.items.data[0]!.current_period_end;
}

/** Both widths, full page, for a person to look at. */
async function screenshots(page: Page, name: string) {
  // From the top, with no focus ring left over from the test's clicks.
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    (document.activeElement as HTMLElement | null)?.blur();
  });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `test-results/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const plan = (page: Page) => page.getByRole('region', { name: 'Plan', exact: true });
const invoices = (page: Page) => page.getByRole('region', { name: 'Latest invoices' });
const nextCharge = (page: Page) => plan(page).getByRole('definition').filter({ hasText: / on / }).first();

describe('the dashboard home', () => {
  it("a subscriber's first month: trial → paid → upgrade → credit → downgrade scheduled → period end → on Pro", {
    timeout: 240_000,
  }, async () => {
    const user = await verifiedUser(world, 'Ada Lovelace');
    await subscribeThroughCheckout(world, user, 'pro');
    const customer = await customerOf(user);
    // Seven API calls today, counted the way the REST API counts them.
    for (let i = 0; i < 7; i++)
      await consume(world.server.deps, { userId: user.id, metric: 'api_call', unitId: `api:dashboard-test:${user.id}:${i}` });

    await session('first-month', user, async (page) => {
      // Trial: the plan, the first payment with its date, the card, the trial's next step, the $0
      // trial invoice labelled as such, usage and the library.
      await page.goto('/app');
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      await page.getByText(/^Welcome, Ada\./).waitFor();
      await plan(page).getByText('Trial', { exact: true }).waitFor();
      await plan(page).getByText('First payment', { exact: true }).waitFor();
      await nextCharge(page)
        .getByText(/^\$12\.00 on /)
        .waitFor();
      await plan(page)
        .getByText(/Expires \d\d\/\d{4}/)
        .waitFor();
      await page.getByRole('region', { name: /days left in your free trial/ }).waitFor();
      await invoices(page).getByText('Trial start').first().waitFor();
      await invoices(page).getByText('No charge').waitFor();
      const usage = page.getByRole('region', { name: 'Usage this period' });
      await usage.getByRole('progressbar', { name: 'API calls' }).waitFor();
      await usage.getByText('Downloads: none yet this period.').waitFor();
      await usage.getByRole('img', { name: /^API calls per day: 7 over 1 day/ }).waitFor();
      // The chart's figures as a table, opened from the keyboard.
      await usage.getByText(/Show by day/).focus();
      await page.keyboard.press('Enter');
      const byDay = usage.getByRole('table', { name: 'API calls per day this period' });
      expect(await byDay.getByRole('row').nth(1).getByRole('cell').allTextContents()).toEqual([expect.any(String), '7']);
      await page.getByRole('region', { name: 'New in the library' }).getByRole('link').first().waitFor();
      await screenshots(page, 'dashboard-trial');

      // The trial ends: the first payment is an invoice on the dashboard, paid.
      await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
      await settle(world);
      await page.reload();
      await plan(page).getByText('Active', { exact: true }).waitFor();
      await plan(page).getByText('Next charge', { exact: true }).waitFor();
      await nextCharge(page)
        .getByText(/^\$12\.00 on /)
        .waitFor();
      await invoices(page)
        .getByRole('listitem')
        .filter({ hasText: 'First payment after the trial' })
        .filter({ hasText: '$12.00' })
        .filter({ hasText: 'Paid' })
        .waitFor();
      expect(await page.getByRole('region', { name: /free trial/ }).count(), 'no trial step once paid').toBe(0);

      // Upgrade to Business at once, prorated; the dashboard shows the plan change and the new price.
      await page.goto('/app/billing');
      await page.getByRole('button', { name: 'Upgrade to Business monthly' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByTestId('preview-amount').waitFor();
      await dialog.getByRole('button', { name: 'Confirm change' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByRole('link', { name: 'Dashboard' }).click();
      await plan(page).getByText('Business', { exact: true }).waitFor();
      await nextCharge(page)
        .getByText(/^\$49\.00 on /)
        .waitFor();
      await invoices(page).getByText('Plan change').waitFor();

      // Support gives $5 of credit: the balance shows, and the next charge uses it first.
      await world.stripe.customers.update(customer, { balance: -500 });
      await settle(world);
      await page.reload();
      await plan(page).getByText('Credit balance').waitFor();
      await plan(page).getByText('$5.00', { exact: true }).waitFor();
      await nextCharge(page)
        .getByText(/^\$44\.00 on /)
        .waitFor();
      await nextCharge(page).getByText('$49.00 plan − $5.00 credit').waitFor();

      // Downgrade to Pro: scheduled for the period end; the next charge is Pro's price less the credit.
      await page.goto('/app/billing');
      await page.getByRole('button', { name: 'Downgrade to Pro monthly' }).click();
      await dialog.getByRole('button', { name: 'Schedule the change' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByRole('region', { name: 'Your plan' }).getByText('Credit balance').waitFor();
      await page.getByRole('link', { name: 'Dashboard' }).click();
      await plan(page)
        .getByText(/^Changes to Pro on /)
        .waitFor();
      await nextCharge(page)
        .getByText(/^\$7\.00 on /)
        .waitFor();
      await nextCharge(page).getByText('$12.00 new plan − $5.00 credit').waitFor();
      await screenshots(page, 'dashboard-scheduled-change');

      // The period ends: on Pro, the renewal used the credit, and the balance is spent.
      await world.control.advanceCustomer(customer, { to: (await currentPeriodEnd(customer)) + 2 * 3600 });
      await settle(world);
      await page.reload();
      await plan(page).getByText('Pro', { exact: true }).waitFor();
      await plan(page).getByText('Active', { exact: true }).waitFor();
      await nextCharge(page)
        .getByText(/^\$12\.00 on /)
        .waitFor();
      expect(await plan(page).getByText('Credit balance').count(), 'the credit is used up').toBe(0);
      const renewal = invoices(page).getByRole('listitem').first();
      await renewal.getByText('Renewal').waitFor();
      await renewal.getByText('$12.00').waitFor();
      await renewal
        .getByText('Paid with credit')
        .or(renewal.getByText('Paid', { exact: true }))
        .waitFor();

      // The billing page tells the same story per invoice: what, which period, the credit applied.
      await page.goto('/app/billing');
      const rows = page.getByRole('region', { name: 'Invoices' }).getByRole('row');
      const renewalRow = rows.filter({ hasText: 'Renewal' }).filter({ hasText: '$5.00 credit applied' });
      await renewalRow.waitFor();
      expect(await rows.filter({ hasText: 'Plan change' }).count()).toBe(1);
      const trialRow = rows.filter({ hasText: 'Trial start' });
      await trialRow.getByText('No charge').waitFor();
      await renewalRow.getByText(/^\d+ lines?/).click();
      await renewalRow
        .getByText(/DropIn Pro/)
        .first()
        .waitFor();
      await screenshots(page, 'billing-after-first-month');
    });
    const invoicesNow = await trpc<{ invoices: { words: { kind: string; creditUsed: number } }[] }>(
      world,
      user.cookie,
      'query',
      'billing.invoices',
    );
    expect(invoicesNow.data.invoices.map((i) => i.words.kind)).toEqual([
      'renewal',
      'plan_change',
      'first_payment',
      'trial_start',
    ]);
    expect(invoicesNow.data.invoices[0]?.words.creditUsed).toBe(500);
  });

  it('past due → a banner on every page → the card fixed in the portal → the banner is gone', { timeout: 180_000 }, async () => {
    const user = await verifiedUser(world, 'Grace Hopper');
    await subscribeThroughCheckout(world, user, 'pro');
    const customer = await customerOf(user);
    const pm = (await world.server.deps.db.c.subscriptions.findOne({ customerId: customer }))!.defaultPaymentMethod!.id;
    await world.control.setCardBehavior(pm, 'decline_insufficient_funds');
    await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle(world);

    await session('past-due', user, async (page) => {
      for (const path of ['/app', '/app/library', '/app/usage', '/app/settings', '/app/billing']) {
        await page.goto(path);
        const banner = page.getByRole('alert').filter({ hasText: 'Your last payment failed' });
        await banner.waitFor();
        await banner.getByText(/We couldn't charge \$12\.00/).waitFor();
        expect(await banner.getByRole('link', { name: /Pay invoice/ }).getAttribute('href')).toMatch(/\/i\/in_/);
        expect(await page.getByText('Your last payment failed').count(), `one banner on ${path}`).toBe(1);
        if (path === '/app/library') await screenshots(page, 'library-past-due');
      }
      await page.goto('/app');
      await plan(page).getByText('Past due', { exact: true }).waitFor();
      await plan(page).getByText('Due now').waitFor();
      await screenshots(page, 'dashboard-past-due');

      // From the keyboard: Tab reaches the banner's "Update payment method" and Enter opens the portal.
      const update = page.getByRole('alert').getByRole('button', { name: 'Update payment method' });
      for (let i = 0; i < 30 && !(await update.evaluate((el) => el === document.activeElement)); i++)
        await page.keyboard.press('Tab');
      expect(await update.evaluate((el) => el === document.activeElement)).toBe(true);
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/p\/session\//);
      await page.getByRole('button', { name: 'Update payment method' }).click();
      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByLabel('Expiration').fill('12 / 34');
      await page.getByLabel('CVC').fill('123');
      await page.getByLabel('Cardholder name').fill('Grace Hopper');
      await page.getByRole('button', { name: 'Save card' }).click();
      await page.getByText(/outstanding invoice was paid/).waitFor();
      await settle(world);

      for (const path of ['/app/library', '/app']) {
        await page.goto(path);
        await page.getByRole('heading', { level: 1 }).waitFor();
        // The app polls while a payment is owed; the answer is already in, so it shows at once.
        await page.getByRole('navigation', { name: 'Main' }).waitFor();
        expect(await page.getByText('Your last payment failed').count(), `no banner on ${path}`).toBe(0);
      }
      await plan(page).getByText('Active', { exact: true }).waitFor();
    });
  });

  it('a new account on Free: plan, usage and library, with "See plans" as the next step', { timeout: 60_000 }, async () => {
    const user = await verifiedUser(world, 'Alan Turing');
    await session('free', user, async (page) => {
      await page.goto('/app');
      await plan(page).getByText('No subscription').waitFor();
      await page
        .getByRole('region', { name: 'Get the whole library and more API calls' })
        .getByRole('link', { name: 'See plans' })
        .waitFor();
      await invoices(page)
        .getByText(/No invoices yet/)
        .waitFor();
      expect(await page.getByRole('alert').count()).toBe(0);
      await screenshots(page, 'dashboard-free');

      // Keyboard only: Tab from the top reaches every control of the page, each with a name and a
      // visible focus ring.
      await page.getByRole('region', { name: 'New in the library' }).getByRole('link').first().waitFor();
      const reached: string[] = [];
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press('Tab');
        const f = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          if (!el || el === document.body || !el.closest('main')) return null;
          const style = getComputedStyle(el);
          return {
            name: (el.getAttribute('aria-label') ?? el.textContent ?? '').replace(/\s+/g, ' ').trim(),
            ring: style.outlineStyle !== 'none' || style.boxShadow !== 'none',
          };
        });
        if (!f) continue;
        expect(f.name, 'every control has a name').not.toBe('');
        expect(f.ring, `focus ring on "${f.name}"`).toBe(true);
        reached.push(f.name);
      }
      expect(reached).toEqual(
        expect.arrayContaining(['See plans', 'Billing details', 'Compare plans', 'Usage details', 'All invoices', 'Library']),
      );
    });
  });
});
