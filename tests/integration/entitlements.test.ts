// The entitlement matrix: every plan × subscription status → the plan in force, its limits, its
// period and whether API overage is billed. past_due keeps access (grace while Stripe retries);
// unpaid, incomplete and ended subscriptions fall back to Free and its calendar month.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../setup/harness';
import { entitlement } from '../../src/usage/entitlements';
import { calendarMonth } from '../../src/usage/plan-state';
import { consume } from '../../src/usage/counter';
import { sumUnits } from '../../src/usage/units';
import { plans, type PlanId } from '../../src/billing/plans';
import { userWithSession, mirrorSubscription } from './usage.fixtures';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const statuses = ['trialing', 'active', 'past_due', 'unpaid', 'incomplete', 'canceled'] as const;
const grants = (s: string) => ['trialing', 'active', 'past_due'].includes(s);

describe('entitlement matrix', () => {
  it('no subscription: Free, per UTC calendar month', async () => {
    const u = await userWithSession(h.deps);
    const now = new Date();
    const e = await entitlement(h.deps, { userId: u.id, feature: 'download', now });
    expect(e).toMatchObject({ allowed: true, plan: 'free', limit: 5, used: 0, remaining: 5, overage: false });
    expect(e.period).toEqual(calendarMonth(now));
    expect(e.period.start.getUTCDate()).toBe(1);
    const api = await entitlement(h.deps, { userId: u.id, feature: 'api_call' });
    expect(api).toMatchObject({ plan: 'free', limit: 100 });
  });

  for (const planId of ['pro', 'business'] as PlanId[]) {
    for (const status of statuses) {
      it(`${planId} × ${status}`, async () => {
        const u = await userWithSession(h.deps);
        const sub = await mirrorSubscription(h.deps, u.id, { planId, status });
        const inForce: PlanId = grants(status) ? planId : 'free';
        const limits = plans[inForce].limits;
        const dl = await entitlement(h.deps, { userId: u.id, feature: 'download' });
        expect(dl.plan).toBe(inForce);
        expect(dl.limit).toBe(limits.downloadsPerPeriod);
        // Subscribers count per the subscription item's period; Free per calendar month.
        if (grants(status)) expect(dl.period).toEqual({ start: sub.periodStart, end: sub.periodEnd });
        else expect(dl.period).toEqual(calendarMonth(new Date()));

        const content = await entitlement(h.deps, { userId: u.id, feature: 'content', minPlan: planId });
        expect(content.allowed).toBe(grants(status));
        if (!content.allowed) expect(content.reason).toBe(`This item unlocks with ${plans[planId].name}.`);
        expect((await entitlement(h.deps, { userId: u.id, feature: 'content', minPlan: 'free' })).allowed).toBe(true);

        // At the included API quota: billed overage on paid plans (not during a trial), refusal on Free.
        const atLimit = await entitlement(h.deps, { userId: u.id, feature: 'api_call', used: limits.apiCallsIncluded });
        const billed = grants(status) && status !== 'trialing';
        expect(atLimit.allowed).toBe(billed);
        expect(atLimit.overage).toBe(billed);
        if (!billed) expect(atLimit.reason).toMatch(/Upgrade to|renew on/);
      });
    }
  }

  it('the newest live subscription wins, and an ended one is ignored', async () => {
    const u = await userWithSession(h.deps);
    await mirrorSubscription(h.deps, u.id, { planId: 'business', status: 'canceled' });
    await mirrorSubscription(h.deps, u.id, { planId: 'pro', status: 'active' });
    expect((await entitlement(h.deps, { userId: u.id, feature: 'download' })).plan).toBe('pro');
  });
});

describe('quotas', () => {
  it('a Free user past 100 API calls is refused with an upgrade offer; nothing more is counted', async () => {
    const u = await userWithSession(h.deps);
    for (let i = 0; i < 100; i++) await consume(h.deps, { userId: u.id, metric: 'api_call', unitId: `api:test:${u.id}:${i}` });
    await expect(consume(h.deps, { userId: u.id, metric: 'api_call', unitId: `api:test:${u.id}:x` })).rejects.toMatchObject({
      code: 'PAYMENT_REQUIRED',
      message: expect.stringMatching(/all 100 API calls included in Free this month\. Upgrade to Pro for 10,000 API calls/),
    });
    expect(await sumUnits(h.deps, { userId: u.id })).toBe(100);
    const e = await entitlement(h.deps, { userId: u.id, feature: 'api_call' });
    expect(e).toMatchObject({ allowed: false, used: 100, remaining: 0, upgradeTo: 'pro' });
  });

  it('the same unit id is counted once', async () => {
    const u = await userWithSession(h.deps);
    await Promise.all(
      Array.from({ length: 10 }, () => consume(h.deps, { userId: u.id, metric: 'api_call', unitId: `api:same-request${u.id}` })),
    );
    expect(await sumUnits(h.deps, { userId: u.id })).toBe(1);
    // Again on its own (a write of one row): still counted once, and not an error.
    const again = consume(h.deps, { userId: u.id, metric: 'api_call', unitId: `api:same-request${u.id}` });
    await expect(again).resolves.toMatchObject({ used: 1 });
    expect(await sumUnits(h.deps, { userId: u.id })).toBe(1);
  });

  it('a Business user at the download limit is told when it renews (no bigger plan)', async () => {
    const u = await userWithSession(h.deps);
    const sub = await mirrorSubscription(h.deps, u.id, { planId: 'business', status: 'active' });
    const e = await entitlement(h.deps, { userId: u.id, feature: 'download', used: 1000 });
    expect(e.allowed).toBe(false);
    expect(e.reason).toContain(`renew on ${sub.periodEnd.toISOString().slice(0, 10)}`);
  });
});
