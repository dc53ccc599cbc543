// Admin analytics against a hand-computed fixture. The mirror rows are inserted directly and the
// figures built from them (as on an existing database), then changes go through the billing
// effects (applyBillingEffects, as every sync does) and are folded; each figure is checked against
// the values worked out by hand below. Then: the closing snapshot and history, the drift check, and
// freshness across two server processes on one database.
import { afterAll, describe, expect, it } from 'vitest';
import type { SubscriptionDoc } from '../../src/db/collections';
import { computeOverview, history } from '../../src/admin/analytics';
import { movementList, movementSummary, movementsCsv } from '../../src/admin/movements';
import { applyBillingEffects } from '../../src/billing/effects';
import type { SyncCause } from '../../src/billing/sync-result';
import { foldChanges } from '../../src/billing/figures/fold';
import { checkFigures, rebuildFigures } from '../../src/billing/figures/rebuild';
import { dayKey, figureCollections } from '../../src/billing/figures/model';
import { startFiguresJob } from '../../src/billing/figures/job';
import { createUser } from '../../src/auth/users';
import { appRouter } from '../../src/trpc/root';
import { createInnerContext } from '../../src/trpc/context';
import { createCallerFactory } from '../../src/trpc/trpc';
import type { AppDeps, ServerDeps } from '../../src/deps';
import { freePort } from '../../scripts/services';
import { createHarness, type Harness, serveEnv, startTestServer } from '../setup/harness';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = new Date('2026-11-26T12:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const later = (ms: number) => new Date(NOW.getTime() + ms);

// Each test builds its own world: a database of its own with the fixture and its figures.
let h: Harness;
const harnesses: Harness[] = [];
afterAll(async () => {
  for (const one of harnesses) await one.close();
});

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

const invoice = (amountDue: number, status: 'open' | 'paid' = 'open') => ({
  id: `in_fixture${n}`,
  status,
  amountDue,
  amountPaid: status === 'paid' ? amountDue : 0,
  currency: 'usd',
  hostedInvoiceUrl: null,
  attemptCount: 2,
  nextPaymentAttempt: status === 'open' ? ago(-3) : null,
});

const card = (id: string) => ({ id, brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 });

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
 * at risk usd = 49000 + 1200 + 4900 = 55100 over 3 subscriptions; at-risk MRR = 49000/12 → 4083
 * failures: rows 4, 8, 12 (still open; counted on their period's start, 5 days ago)
 */
const rows: SubscriptionDoc[] = [];
/** A new database with the fixture's mirror rows and the figures built from them at NOW. */
async function fixture() {
  h = await createHarness();
  harnesses.push(h);
  n = 0;
  rows.length = 0;
  rows.push(sub({}));
  rows.push(sub({ interval: 'year', unitAmount: 12_000, created: ago(10) }));
  rows.push(sub({ planId: 'business', unitAmount: 4_900, quantity: 2, created: ago(100) }));
  rows.push(sub({ planId: 'business', interval: 'year', unitAmount: 49_000, status: 'past_due', created: ago(200) }));
  (rows[3] as SubscriptionDoc).latestInvoice = invoice(49_000);
  rows.push(sub({ status: 'trialing', created: ago(5), trialStart: ago(5), trialEnd: ago(-9) }));
  rows.push(sub({ status: 'canceled', created: ago(90), canceledAt: ago(3), endedAt: ago(3) }));
  rows.push(sub({ planId: 'business', unitAmount: 4_900, status: 'canceled', created: ago(120), endedAt: ago(45) }));
  rows.push(sub({ status: 'unpaid', created: ago(70) }));
  (rows[7] as SubscriptionDoc).latestInvoice = invoice(1_200);
  rows.push(sub({ unitAmount: 1_000, currency: 'eur', created: ago(20), trialStart: ago(20), trialEnd: ago(6) }));
  rows.push(sub({ status: 'canceled', created: ago(40), trialStart: ago(40), trialEnd: ago(26), endedAt: ago(26) }));
  rows.push(sub({ created: ago(28), trialStart: ago(28), trialEnd: ago(14) }));
  rows.push(sub({ planId: 'business', unitAmount: 4_900, status: 'incomplete', created: ago(1) }));
  (rows[11] as SubscriptionDoc).latestInvoice = invoice(4_900);
  await h.deps.db.c.subscriptions.insertMany(rows);
  await rebuildFigures(h.deps, NOW);
}

/** One subscription changed as a sync would report it: the mirror row written, then the effects. */
async function change(
  deps: AppDeps,
  row: number,
  at: Date,
  over: Partial<SubscriptionDoc>,
  cause: SyncCause = { source: 'webhook', events: [] },
) {
  const before = rows[row - 1] as SubscriptionDoc;
  const after = { ...before, ...over, fetchedAt: at, syncedAt: at };
  rows[row - 1] = after;
  await deps.db.c.subscriptions.replaceOne({ _id: after._id }, after, { upsert: true });
  await applyBillingEffects(
    deps,
    {
      customerId: after.customerId,
      userId: after.userId,
      changes: [{ subscriptionId: after._id, userId: after.userId, before, after }],
      superseded: false,
    },
    cause,
  );
}

async function foldAll(deps: AppDeps) {
  for (;;) if (!(await foldChanges(deps)).more) break;
}

/** The changes of the second fixture test, one hour after NOW, through the billing effects, folded. */
async function changesOfTheHour() {
  await recordChangesOfTheHour();
  await foldAll(h.deps);
}

/**
 * `deps` whose `collection`'s `method` fails as a process that died there would: the writes before
 * it are made, none after.
 */
function crashingAt(deps: AppDeps, collection: string, method: string): AppDeps {
  const bound = <T extends object>(target: T, prop: string | symbol) => {
    const v = Reflect.get(target, prop);
    return typeof v === 'function' ? v.bind(target) : v;
  };
  const db = new Proxy(deps.db.db, {
    get(target, prop) {
      if (prop !== 'collection') return bound(target, prop);
      return (name: string) => {
        const coll = target.collection(name);
        if (name !== collection) return coll;
        return new Proxy(coll, {
          get: (c, p) =>
            p === method
              ? async () => {
                  throw new Error(`crashed at ${collection}.${method}`);
                }
              : bound(c, p),
        });
      };
    },
  });
  return { ...deps, db: { ...deps.db, db } } as AppDeps;
}

/** The changes of the second fixture test, one hour after NOW, through the billing effects. */
async function recordChangesOfTheHour() {
  await change(h.deps, 1, later(HOUR), { planId: 'business', unitAmount: 4_900 });
  await change(h.deps, 3, later(HOUR), { quantity: 1 });
  await change(h.deps, 2, later(HOUR), { status: 'canceled', canceledAt: later(HOUR), endedAt: later(HOUR) });
  await change(h.deps, 4, later(HOUR / 2), { defaultPaymentMethod: card('pm_new') });
  await change(h.deps, 4, later(HOUR), { status: 'active', latestInvoice: invoice(49_000, 'paid') });
  await change(h.deps, 5, later(HOUR), { status: 'active', trialEnd: later(HOUR) });
  rows.push(sub({ created: later(HOUR) }));
  await change(h.deps, 13, later(HOUR), {});
  await change(h.deps, 8, later(HOUR), { status: 'active', latestInvoice: invoice(1_200, 'paid') }, { source: 'payment.retry' });
  await change(h.deps, 12, later(HOUR), { status: 'incomplete_expired' });
  // Effects that run twice (a sync that failed midway) are queued once.
  await change(h.deps, 13, later(HOUR), {});
}

describe('admin figures', () => {
  it('built from the mirror, match the hand-computed figures', async () => {
    await fixture();
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
    expect(o.churnBase30d).toBe(3);
    expect(o.churnBaseEstimated).toBe(true);
    expect(o.churnRate30d).toBeCloseTo(2 / 3, 10);
    expect(o.trialsEnded30d).toBe(3);
    expect(o.trialsConverted30d).toBe(2);
    expect(o.trialConversionRate).toBeCloseTo(2 / 3, 10);
    expect(o.atRisk).toEqual([{ currency: 'usd', amount: 55_100 }]);
    expect(o.atRiskSubscriptions).toBe(3);
    expect(o.atRiskMrr).toEqual([{ currency: 'usd', amount: 4_083 }]);
    expect(o.recovery[0]).toMatchObject({ windowDays: 30, failures: 3, recoveredCount: 0, rate: 0 });
  });

  /**
   * Then, through the billing effects, one hour after NOW:
   *  a row 1 pro 1200 → business 4900             expansion 3700
   *  b row 3 quantity 2 → 1                        contraction 4900
   *  c row 2 canceled                              churn 1000 (12000/12); churned +1
   *  d row 4 card changed while past_due, then paid (active)   recovered 49000 by card update
   *  e row 5 trial → active                        trial converted; new MRR 1200 (customer never paid)
   *  f row 13, a new active pro monthly 1200       new subscription; new MRR 1200
   *  g row 8 unpaid → active, after an admin's retry   reactivation 1200; recovered 1200, manual
   *  h row 12 incomplete → incomplete_expired      no longer at risk, not recovered
   *
   * MRR usd × 12 = 207400 + 44400 − 58800 − 12000 + 3 × 14400 = 224200 → 18683
   * active = 6 − 1 (2) + 1 (5) + 1 (13) + 1 (8) = 8: pro 9 11 5 13 8 = 5, business 1 3 4 = 3
   * new 30 d = 6, churned 30 d = 3, churn rate 3 / (8 + 3 − 6) = 3/5; trials ended 4, converted 3
   * NRR usd: start = 18683.33 − (2400 + 1200 + 3700) + 4900 + 1000 = 17283.33,
   *   kept = 17283.33 + 3700 − 4900 − 1000 = 15083.33 → 0.8727
   * recovered 30 d: 49000 + 1200 = 50200 of 3 failures → 2/3; each took 5 days and 1 hour
   */
  it('follow each change through the billing effects: movements, trials, recoveries', async () => {
    await fixture();
    await changesOfTheHour();
    await foldAll(h.deps);

    const o = await computeOverview(h.deps, later(2 * HOUR));
    expect(o.mrr).toEqual([
      { currency: 'eur', amount: 1_000 },
      { currency: 'usd', amount: 18_683 },
    ]);
    expect(o.activeSubscribers).toBe(8);
    expect(o.byPlan).toEqual([
      { planId: 'business', active: 3 },
      { planId: 'pro', active: 5 },
    ]);
    expect(o.trialing).toBe(0);
    expect(o.pastDue).toBe(0);
    expect(o.newSubscriptions30d).toBe(6);
    expect(o.churned30d).toBe(3);
    expect(o.churnRate30d).toBeCloseTo(3 / 5, 10);
    expect(o.trialsEnded30d).toBe(4);
    expect(o.trialsConverted30d).toBe(3);
    expect(o.atRisk).toEqual([]);
    expect(o.atRiskSubscriptions).toBe(0);
    expect(o.atRiskMrr).toEqual([]);
    const mv = Object.fromEntries(o.movements30d.map((m) => [m.kind, m]));
    expect(mv.new).toEqual({ kind: 'new', count: 2, mrr: [{ currency: 'usd', amount: 2_400 }] });
    expect(mv.expansion).toEqual({ kind: 'expansion', count: 1, mrr: [{ currency: 'usd', amount: 3_700 }] });
    expect(mv.contraction).toEqual({ kind: 'contraction', count: 1, mrr: [{ currency: 'usd', amount: 4_900 }] });
    expect(mv.churn).toEqual({ kind: 'churn', count: 1, mrr: [{ currency: 'usd', amount: 1_000 }] });
    expect(mv.reactivation).toEqual({ kind: 'reactivation', count: 1, mrr: [{ currency: 'usd', amount: 1_200 }] });
    const nrr = o.nrr30d.find((x) => x.currency === 'usd');
    expect(nrr?.startMrr).toBe(17_283);
    expect(nrr?.rate).toBeCloseTo(15_083.333 / 17_283.333, 4);
    const r30 = o.recovery[0];
    expect(r30?.recovered).toEqual([{ currency: 'usd', amount: 50_200 }]);
    expect(r30?.recoveredCount).toBe(2);
    expect(r30?.failures).toBe(3);
    expect(r30?.rate).toBeCloseTo(2 / 3, 10);
    expect(r30?.avgDaysToRecover).toBeCloseTo(5 + 1 / 24, 6);
    expect(r30?.byStep).toEqual({ retry: 0, card_update: 1, manual: 1 });

    // The subscribers behind each number.
    const movements = await h.deps.db.c.adminMovements.find({ day: dayKey(NOW) }).toArray();
    expect(movements.map((m) => `${m.kind}:${m.subscriptionId}`).sort()).toEqual([
      'churn:sub_fixture2',
      'contraction:sub_fixture3',
      'expansion:sub_fixture1',
      'new:sub_fixture13',
      'new:sub_fixture5',
      'reactivation:sub_fixture8',
    ]);
    // Per day and per month, one click away, and as CSV with cells a spreadsheet will not run.
    const summary = await movementSummary(h.deps, { by: 'month', count: 1, now: NOW });
    expect(summary[0]?.kinds.find((k) => k.kind === 'new')).toEqual({
      kind: 'new',
      count: 2,
      mrr: [{ currency: 'usd', amount: 2_400 }],
    });
    expect(summary[0]?.net).toEqual([{ currency: 'usd', amount: 2_400 + 3_700 + 1_200 - 4_900 - 1_000 }]);
    const list = await movementList(h.deps, { kind: 'new', period: dayKey(NOW).slice(0, 7), page: 1, pageSize: 10 });
    // Newest first; these two share their time, so by id.
    expect(list.rows.map((r) => [r.subscriptionId, r.fromMrr, r.toMrr])).toEqual([
      ['sub_fixture5', 0, 1_200],
      ['sub_fixture13', 0, 1_200],
    ]);
    const sneaky = await createUser(h.deps, {
      email: `sneaky-${Date.now()}@example.test`,
      password: null,
      name: '=HYPERLINK("x")',
      emailVerified: true,
      role: 'user',
    });
    await h.deps.db.c.adminMovements.updateOne(
      { kind: 'new', subscriptionId: 'sub_fixture13' },
      { $set: { userId: sneaky._id } },
    );
    const csv = await movementsCsv(h.deps, { kind: 'new', period: dayKey(NOW) });
    expect(csv.rows).toBe(2);
    expect(csv.csv.split('\r\n')[0]).toMatch(/^at,kind,subscription_id,/);
    expect(csv.csv).toContain(`"'=HYPERLINK(""x"")"`);

    const recoveries = await h.deps.db.c.adminRecoveries.find({}).toArray();
    expect(recoveries.map((r) => `${r.step}:${r.subscriptionId}:${r.amount}`).sort()).toEqual([
      'card_update:sub_fixture4:49000',
      'manual:sub_fixture8:1200',
    ]);
  });

  it('an older change arriving after a newer one does not undo it', async () => {
    await fixture();
    await changesOfTheHour();
    const before = await computeOverview(h.deps, later(2 * HOUR));
    // Row 1 as it was at NOW (before its upgrade), recorded late.
    await change(h.deps, 1, later(HOUR / 4), { planId: 'pro', unitAmount: 1_200 });
    await foldAll(h.deps);
    const after = await computeOverview(h.deps, later(2 * HOUR));
    expect(after.mrr).toEqual(before.mrr);
    // The mirror back to the newer row, as the next sync would leave it.
    await change(h.deps, 1, later(HOUR), { planId: 'business', unitAmount: 4_900 });
    await foldAll(h.deps);
  });

  it("keep each day's closing figures, and today's point of the history is the live figure", async () => {
    await fixture();
    await changesOfTheHour();
    const today = dayKey(new Date());
    const closing = await h.deps.db.c.adminSnapshots.findOne({ _id: today });
    const live = await computeOverview(h.deps);
    expect(closing?.mrr).toEqual(live.mrr);
    expect(closing?.activeSubscribers).toBe(live.activeSubscribers);
    // An earlier day's closing figures, and a day in between with no change: carried forward.
    const d2 = dayKey(new Date(Date.now() - 2 * DAY));
    await h.deps.db.c.adminSnapshots.replaceOne(
      { _id: d2 },
      {
        at: new Date(),
        mrr: [{ currency: 'usd', amount: 500 }],
        activeSubscribers: 2,
        trialing: 1,
        pastDue: 0,
      },
      { upsert: true },
    );
    const points = await history(h.deps, { days: 3 });
    expect(points.map((p) => p.day)).toEqual([d2, dayKey(new Date(Date.now() - DAY)), today]);
    expect(points[1]?.activeSubscribers).toBe(2);
    expect(points[2]?.mrr).toEqual(live.mrr);
    expect(points[2]?.activeSubscribers).toBe(live.activeSubscribers);
  });

  it('a fold cut short after writing its day rows is finished from its journal, counting nothing twice', async () => {
    await fixture();
    await recordChangesOfTheHour();
    // The process dies after the day rows and the totals are written, before what each subscription
    // last counted: the totals already show the fold, and applying it again changes nothing.
    await expect(foldChanges(crashingAt(h.deps, 'admin_figure_subjects', 'bulkWrite'))).rejects.toThrow(/crashed/);
    const col = figureCollections(h.deps);
    expect(await col.journal.countDocuments({})).toBe(1);
    expect((await computeOverview(h.deps, later(2 * HOUR))).activeSubscribers).toBe(8);
    await foldAll(h.deps);
    expect(await col.journal.countDocuments({})).toBe(0);
    const o = await computeOverview(h.deps, later(2 * HOUR));
    expect(o.newSubscriptions30d).toBe(6);
    expect(o.churned30d).toBe(3);
    expect(o.trialsEnded30d).toBe(4);
    expect(o.trialsConverted30d).toBe(3);
    expect(o.activeSubscribers).toBe(8);
    expect(o.mrr).toEqual([
      { currency: 'eur', amount: 1_000 },
      { currency: 'usd', amount: 18_683 },
    ]);
    expect(await checkFigures(h.deps)).toEqual({ result: 'ok', fields: [] });
    // The check compares the day rows too.
    await col.days.updateOne({ _id: dayKey(NOW) }, { $inc: { newSubscriptions: 1 } });
    expect(await checkFigures(h.deps)).toEqual({ result: 'drift', fields: [`days.${dayKey(NOW)}.newSubscriptions`] });
  });

  it('a check finds figures that drifted from the mirror, and the figures job rebuilds them', async () => {
    await fixture();
    await changesOfTheHour();
    expect((await checkFigures(h.deps)).result).toBe('ok');
    const col = figureCollections(h.deps);
    await col.figures.updateOne({ _id: 'totals' }, { $set: { active: 99 } });
    expect(await checkFigures(h.deps)).toEqual({ result: 'drift', fields: ['active'] });
    const job = startFiguresJob(h.deps, { everyMs: 60_000 });
    try {
      await job.tick();
      expect((await computeOverview(h.deps)).activeSubscribers).toBe(8);
      expect((await checkFigures(h.deps)).result).toBe('ok');
    } finally {
      await job.stop();
    }
  });
});

function adminCaller(deps: ServerDeps, admin: { _id: string; email: string; name: string; createdAt: Date }) {
  return createCallerFactory(appRouter)(
    createInnerContext({
      deps,
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
}

async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('freshness across server processes', () => {
  it('a change made through one process reaches the overview, list and search of another', async () => {
    const one = await startTestServer();
    const two = await serveEnv({ ...one.env, PORT: await freePort() });
    try {
      const admin = await createUser(two.deps, {
        email: `fresh-admin-${Date.now()}@example.test`,
        password: null,
        name: 'A',
        emailVerified: true,
        role: 'admin',
      });
      const caller = adminCaller(two.deps, admin);
      // Both processes have started their figures job; one of them holds the lease.
      const before = await waitFor(
        () => caller.admin.overview(),
        (o) => o.computedAt !== undefined,
      );
      const person = await createUser(one.deps, {
        email: `grace.fresh.${Date.now()}@example.test`,
        password: null,
        name: 'Grace Freshwater',
        emailVerified: true,
        role: 'user',
      });
      const row = { ...sub({ userId: person._id, unitAmount: 2_500, created: new Date(), fetchedAt: new Date() }) };
      await one.deps.db.c.subscriptions.insertOne(row);
      const changedAt = Date.now();
      await applyBillingEffects(
        one.deps,
        {
          customerId: row.customerId,
          userId: person._id,
          changes: [{ subscriptionId: row._id, userId: person._id, before: null, after: row }],
          superseded: false,
        },
        { source: 'checkout' },
      );

      const o = await waitFor(
        () => caller.admin.overview(),
        (x) => x.activeSubscribers === before.activeSubscribers + 1,
      );
      const overviewMs = Date.now() - changedAt;
      expect(o.activeSubscribers).toBe(before.activeSubscribers + 1);
      expect(o.mrr).toContainEqual({
        currency: 'usd',
        amount: (before.mrr.find((m) => m.currency === 'usd')?.amount ?? 0) + 2_500,
      });
      const found = await waitFor(
        () => caller.admin.subscribers({ search: 'freshwater' }),
        (r) => r.total === 1,
      );
      expect(found.rows[0]?.email).toBe(person.email);
      const byEmail = await caller.admin.subscribers({ search: person.email });
      expect(byEmail.rows.map((r) => r.subscriptionId)).toEqual([row._id]);
      const newest = await caller.admin.subscribers({});
      expect(newest.rows[0]?.subscriptionId).toBe(row._id);
      console.log(`overview on the other process showed the change after ${overviewMs} ms`);
    } finally {
      await two.close();
      await one.close();
    }
  });
});
