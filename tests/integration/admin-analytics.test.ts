// Admin analytics against a hand-computed fixture: mirror rows inserted directly (the overview
// reads only the mirror), figures worked out by hand below, then the daily snapshot and history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubscriptionDoc } from '../../src/db/collections';
import { computeOverview, history, overview, takeSnapshot } from '../../src/admin/analytics';
import { createServerDeps } from '../../src/server';
import { createUser } from '../../src/auth/users';
import { appRouter } from '../../src/trpc/root';
import { createInnerContext } from '../../src/trpc/context';
import { createCallerFactory } from '../../src/trpc/trpc';
import { createHarness, type Harness } from '../setup/harness';

const DAY = 86_400_000;
const NOW = new Date('2026-11-26T12:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

let n = 0;
function sub(over: Partial<SubscriptionDoc>): SubscriptionDoc {
  n += 1;
  return {
    _id: `sub_fixture${n}`,
    userId: null,
    customerId: `cus_fixture${n}`,
    status: 'active',
    planId: 'pro',
    priceId: 'price_x',
    lookupKey: null,
    interval: 'month',
    unitAmount: 1200,
    currency: 'usd',
    quantity: 1,
    itemId: `si_${n}`,
    currentPeriodStart: ago(5),
    currentPeriodEnd: ago(-25),
    trialStart: null,
    trialEnd: null,
    cancelAtPeriodEnd: false,
    cancelAt: null,
    canceledAt: null,
    endedAt: null,
    cancellationFeedback: null,
    defaultPaymentMethod: null,
    latestInvoice: null,
    created: ago(60),
    fetchedAt: NOW,
    syncedAt: NOW,
    ...over,
  };
}

const openInvoice = (amountDue: number, currency = 'usd') => ({
  id: `in_fixture${n}`,
  status: 'open',
  amountDue,
  amountPaid: 0,
  currency,
  hostedInvoiceUrl: null,
  attemptCount: 2,
  nextPaymentAttempt: ago(-3),
});

/**
 * The fixture, and what each row contributes:
 *  1 active  pro monthly 1200 usd, created 60 d ago              MRR 1200
 *  2 active  pro yearly 12000 usd, created 10 d ago (new)        MRR 1000
 *  3 active  business monthly 4900 × 2, created 100 d ago        MRR 9800
 *  4 past_due business yearly 49000, open invoice 49000          MRR 4083.33, at risk 49000
 *  5 trialing pro monthly, created 5 d ago (new), trial ends in 9 d
 *  6 canceled pro monthly, ended 3 d ago                          churned
 *  7 canceled business monthly, ended 45 d ago                    (outside the window)
 *  8 unpaid  pro monthly, open invoice 1200                       at risk 1200, no MRR
 *  9 active  pro monthly 1000 eur, created 20 d ago (new), trial ended 6 d ago   MRR €1000, converted
 * 10 canceled pro monthly, trial ended 26 d ago and never paid    churned, trial not converted
 * 11 active  pro monthly 1200, created 28 d ago (new), trial ended 14 d ago      MRR 1200, converted
 * 12 incomplete business monthly, created 1 d ago (new), open invoice 4900       at risk 4900
 *
 * MRR usd = 1200 + 1000 + 9800 + 49000/12 + 1200 = 17283.33 → 17283; ARR usd = 207400; MRR eur 1000
 * active (active + past_due) = rows 1 2 3 4 9 11 = 6: pro 4, business 2; trialing 1; past_due 1
 * new in 30 d = rows 2 5 9 11 12 = 5; churned = rows 6 10 = 2; churn rate = 2 / (6 + 2 − 5) = 2/3
 * trials ended in 30 d = rows 9 10 11, converted (active) = 9 11 → 2/3
 * at risk usd = 49000 + 1200 + 4900 = 55100 over 3 subscriptions
 */
async function insertFixture() {
  const rows: SubscriptionDoc[] = [];
  rows.push(sub({}));
  rows.push(sub({ interval: 'year', unitAmount: 12_000, created: ago(10) }));
  rows.push(sub({ planId: 'business', unitAmount: 4_900, quantity: 2, created: ago(100) }));
  rows.push(sub({ planId: 'business', interval: 'year', unitAmount: 49_000, status: 'past_due', created: ago(200) }));
  (rows[3] as SubscriptionDoc).latestInvoice = openInvoice(49_000);
  rows.push(sub({ status: 'trialing', created: ago(5), trialStart: ago(5), trialEnd: ago(-9) }));
  rows.push(sub({ status: 'canceled', created: ago(90), canceledAt: ago(3), endedAt: ago(3) }));
  rows.push(sub({ planId: 'business', unitAmount: 4_900, status: 'canceled', created: ago(120), endedAt: ago(45) }));
  rows.push(sub({ status: 'unpaid', created: ago(70) }));
  (rows[7] as SubscriptionDoc).latestInvoice = openInvoice(1_200);
  rows.push(sub({ unitAmount: 1_000, currency: 'eur', created: ago(20), trialStart: ago(20), trialEnd: ago(6) }));
  rows.push(sub({ status: 'canceled', created: ago(40), trialStart: ago(40), trialEnd: ago(26), endedAt: ago(26) }));
  rows.push(sub({ created: ago(28), trialStart: ago(28), trialEnd: ago(14) }));
  rows.push(sub({ planId: 'business', unitAmount: 4_900, status: 'incomplete', created: ago(1) }));
  (rows[11] as SubscriptionDoc).latestInvoice = openInvoice(4_900);
  await h.deps.db.c.subscriptions.insertMany(rows);
}

describe('admin overview', () => {
  it('matches the hand-computed figures (monthly and yearly prices, churn, conversion, at risk)', async () => {
    await insertFixture();
    const o = await computeOverview(h.deps, NOW);
    expect(o.mrr).toEqual([
      { currency: 'eur', amount: 1_000 },
      { currency: 'usd', amount: 17_283 },
    ]);
    expect(o.arr).toEqual([
      { currency: 'eur', amount: 12_000 },
      { currency: 'usd', amount: 207_400 },
    ]);
    expect(o.activeSubscribers).toBe(6);
    expect(o.byPlan).toEqual([
      { planId: 'business', active: 2 },
      { planId: 'pro', active: 4 },
    ]);
    expect(o.trialing).toBe(1);
    expect(o.pastDue).toBe(1);
    expect(o.newSubscriptions30d).toBe(5);
    expect(o.churned30d).toBe(2);
    expect(o.churnRate30d).toBeCloseTo(2 / 3, 10);
    expect(o.trialsEnded30d).toBe(3);
    expect(o.trialsConverted30d).toBe(2);
    expect(o.trialConversionRate).toBeCloseTo(2 / 3, 10);
    expect(o.atRisk).toEqual([{ currency: 'usd', amount: 55_100 }]);
    expect(o.atRiskSubscriptions).toBe(3);
  });

  it('is served by admin.overview to an admin', async () => {
    const admin = await createUser(h.deps, {
      email: `analytics-admin-${Date.now()}@example.test`,
      password: null,
      name: 'A',
      emailVerified: true,
      role: 'admin',
    });
    const caller = createCallerFactory(appRouter)(
      createInnerContext({
        deps: h.deps,
        user: {
          id: admin._id,
          email: admin.email,
          name: admin.name,
          role: 'admin',
          emailVerified: true,
          hasPassword: false,
          twoFactorEnabled: false,
          twoFactorEnabledAt: null,
          createdAt: admin.createdAt,
        },
        session: {
          publicId: 'p',
          expiresAt: new Date(Date.now() + DAY),
          absoluteExpiresAt: new Date(Date.now() + DAY),
          secondFactorAt: null,
        },
      }),
    );
    const o = await caller.admin.overview();
    // Against the real clock the 30-day windows move, but MRR and counts by status do not.
    expect(o.mrr.find((m) => m.currency === 'usd')?.amount).toBe(17_283);
    expect(o.activeSubscribers).toBe(6);
  });

  it('a process that starts later serves the stored overview at once, then its own', async () => {
    const first = await overview(h.deps);
    // A new server process on the same database (a deploy or a restart).
    const later = await createServerDeps(h.env);
    try {
      await h.deps.db.c.subscriptions.insertOne(sub({ planId: 'business', unitAmount: 4_900 }));
      const served = await overview(later);
      expect(served.computedAt).toBe(first.computedAt);
      expect(served.activeSubscribers).toBe(first.activeSubscribers);
      // Refresh computes from the mirror and stores the result for the next process.
      const fresh = await overview(later, { fresh: true });
      expect(fresh.activeSubscribers).toBe(first.activeSubscribers + 1);
      const stored = await h.deps.db.c.adminOverview.findOne({ _id: 'latest' });
      expect(JSON.parse(stored!.json).computedAt).toBe(fresh.computedAt);
    } finally {
      await h.deps.db.c.subscriptions.deleteOne({ _id: `sub_fixture${n}` });
      later.mailer.close();
      await later.db.close();
    }
  });

  it('takes one snapshot a day (idempotent by its YYYY-MM-DD id) and serves it as history', async () => {
    expect(await takeSnapshot(h.deps, NOW)).toBe('written');
    expect(await takeSnapshot(h.deps, new Date(NOW.getTime() + 3_600_000))).toBe('exists');
    // Racing processes: every insert but one is refused by the unique id.
    const day2 = new Date(NOW.getTime() + DAY);
    const results = await Promise.all([1, 2, 3, 4].map(() => takeSnapshot(h.deps, day2)));
    expect(results.filter((r) => r === 'written')).toHaveLength(1);
    const rows = await h.deps.db.c.adminSnapshots.find({}).sort({ _id: 1 }).toArray();
    expect(rows.map((r) => r._id)).toEqual(['2026-11-26', '2026-11-27']);
    expect(rows[0]?.mrr).toEqual([
      { currency: 'eur', amount: 1_000 },
      { currency: 'usd', amount: 17_283 },
    ]);
    const points = await history(h.deps, { days: 3650 });
    expect(points.map((p) => p.day)).toEqual(['2026-11-26', '2026-11-27']);
    expect(points[0]?.churned30d).toBe(2);
  });
});
