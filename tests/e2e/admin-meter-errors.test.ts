// An admin sees, on the subscriber's page in a real browser, the overage Stripe reported it could
// not bill (a v1.billing.meter.error_report_triggered report) and that the units were sent again.
// Screenshots at 1280 and 390 px land in test-results/.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { plans } from '../../src/billing/plans';
import { planState } from '../../src/usage/entitlements';
import { fillOverage, flushMeter } from '../../src/usage/meter';
import { launchBrowser } from '../setup/browser';
import { type BillingWorld, subscribeThroughCheckout, verifiedUser, waitFor } from '../setup/billing';
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

describe('meter errors on the subscriber page', () => {
  it('shows the error Stripe reported and that the units were sent again, at desktop and phone widths', {
    timeout: 120_000,
  }, async () => {
    const deps = world.server.deps;
    const user = await verifiedUser(world, 'Metered Max');
    await subscribeThroughCheckout(world, user, 'pro');
    const customer = (await deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
    const sub = (await deps.db.c.subscriptions.findOne({ userId: user.id }))!;
    await world.stripe.subscriptions.update(sub._id, { trial_end: 'now' });
    // Two calls past the quota, queued while the account named a customer Stripe does not have.
    const state = await planState(deps, user.id);
    await deps.db.c.usageEvents.insertOne({
      _id: `api:e2e:${user.id}`,
      userId: user.id,
      metric: 'api_call',
      periodStart: state.period.start,
      periodEnd: state.period.end,
      planId: state.plan,
      at: new Date(),
      ref: null,
      units: plans.pro.limits.apiCallsIncluded + 2,
    });
    await deps.db.c.users.updateOne({ _id: user.id }, { $set: { stripeCustomerId: 'cus_replaced' } });
    await fillOverage(deps, { userId: user.id, periodStart: state.period.start });
    await deps.db.c.users.updateOne({ _id: user.id }, { $set: { stripeCustomerId: customer } });
    await flushMeter(deps);
    await waitFor('the meter error report', async () => (await deps.db.c.meterErrors.countDocuments({ userId: user.id })) > 0);

    for (const [name, viewport] of [
      ['1280', { width: 1280, height: 900 }],
      ['390', { width: 390, height: 844 }],
    ] as const) {
      const base = world.server.env.PUBLIC_URL;
      const context = await browser.newContext({ baseURL: base, viewport });
      context.setDefaultTimeout(10_000);
      const [cookieName, ...rest] = adminCookie.split('=');
      await context.addCookies([{ name: cookieName as string, value: rest.join('='), url: base }]);
      const page = await context.newPage();
      await page.goto(`/app/admin/subscribers/${user.id}`);
      const card = page.getByRole('region', { name: 'Meter errors' });
      await card.waitFor();
      const text = await card.textContent();
      expect(text).toContain('meter_event_customer_not_found');
      expect(text).toContain('cus_replaced');
      expect(text).toContain('sent again');
      await card.scrollIntoViewIfNeeded();
      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: `test-results/admin-meter-errors-${name}.png` });
      await context.close();
    }
  });
});
