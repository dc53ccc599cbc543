// A subscription on a Stripe test clock (test mode's time travel): a plan change is prorated at the
// clock's time, not the real one, so the preview credits the days actually left and the invoice
// equals the preview.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingWorld, trpc, verifiedUser, type BillingWorld } from '../setup/billing';
import { syncCustomer } from '../../src/billing/sync';
import type { ChangePreview } from '../../src/billing/changes';

const DAY = 86_400;
let world: BillingWorld;
beforeAll(async () => {
  world = await startBillingWorld();
});
afterAll(() => world?.close());

async function price(lookupKey: string) {
  return (await world.stripe.prices.list({ lookup_keys: [lookupKey] })).data[0]!;
}

describe('plan changes on a test clock', () => {
  it('prorate at the clock’s time: 20 of 30 days left are credited, and the invoice equals the preview', async () => {
    const user = await verifiedUser(world);
    const start = Math.floor(Date.now() / 1000);
    const clock = await world.stripe.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await world.stripe.customers.create({
      email: user.email,
      test_clock: clock.id,
      metadata: { dropin_user_id: user.id },
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    await world.server.deps.db.c.users.updateOne({ _id: user.id }, { $set: { stripeCustomerId: customer.id } });
    const pro = await price('dropin_pro_monthly');
    const sub = await world.stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
    const periodDays = (sub.items.data[0]!.current_period_end - sub.items.data[0]!.current_period_start) / DAY;

    await world.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: start + 10 * DAY });
    await syncCustomer(world.server.deps, customer.id, { source: 'user.action' });

    const preview = await trpc<ChangePreview>(world, user.cookie, 'query', 'billing.previewChange', {
      planId: 'business',
      interval: 'month',
    });
    expect(preview.status, preview.error?.message).toBe(200);
    expect(preview.data.prorationDate).toBe(start + 10 * DAY);
    const credit = preview.data.lines.filter((l) => l.proration && l.amount < 0).reduce((n, l) => n + l.amount, 0);
    // The unused Pro time is the days after the clock's now, not the whole period.
    expect(credit).toBe(-Math.round((pro.unit_amount! * (periodDays - 10)) / periodDays));

    const changed = await trpc(world, user.cookie, 'mutation', 'billing.changePlan', {
      planId: 'business',
      interval: 'month',
      prorationDate: preview.data.prorationDate,
      actionId: randomUUID().replaceAll('-', ''),
    });
    expect(changed.status, changed.error?.message).toBe(200);
    const after = await world.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(after.items.data.find((i) => i.price.recurring?.usage_type !== 'metered')?.price.lookup_key).toBe(
      'dropin_business_monthly',
    );
    expect((after.latest_invoice as { amount_due: number }).amount_due).toBe(preview.data.amountDue);
  });
});
