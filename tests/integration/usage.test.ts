// Exact usage counting on FerretDB (whose concurrent $inc's lose updates): 200 parallel API calls
// count exactly 200; quota emails go out once at 80% and once at 100%; the dashboard's summary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../setup/harness';
import { seedContent } from '../../src/content/seed';
import { consume } from '../../src/usage/counter';
import { sumUnits } from '../../src/usage/units';
import type { UsageSummary } from '../../src/usage/summary';
import { inbox, waitForEmail } from '../setup/mailpit';
import { loggedIn, mirrorSubscription } from './usage.fixtures';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await seedContent(h.deps);
});
afterAll(() => h?.close());

function api(path: string, key: string) {
  return h.app.request(`${h.env.PUBLIC_URL}/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } });
}

describe('counting', () => {
  it('200 parallel API calls through the REST API count exactly 200', async () => {
    const u = await loggedIn(h);
    await mirrorSubscription(h.deps, u.id, { planId: 'pro', status: 'active' });
    const created = await u.b.mutation<{ key: string }>('apiKeys.create', { name: 'load' });
    const key = created.body.result!.data.key;
    const results = await Promise.all(Array.from({ length: 200 }, () => api('/content?tag=pricing', key)));
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(await sumUnits(h.deps, { userId: u.id, metric: 'api_call' })).toBe(200);
    // Billed calls arriving together share rows: fewer writes, the same count.
    expect(await h.deps.db.c.usageEvents.countDocuments({ userId: u.id, metric: 'api_call' })).toBeLessThan(200);
    const summary = (await u.b.query<UsageSummary>('usage.summary')).body.result!.data;
    expect(summary.metrics.find((m) => m.metric === 'api_call')).toMatchObject({
      used: 200,
      limit: 10_000,
      remaining: 9_800,
      overage: 0,
    });
  });

  it('a Free user racing for the last API calls: never more than 100 counted, and refusals leave nothing', async () => {
    const u = await loggedIn(h);
    const results = await Promise.allSettled(
      Array.from({ length: 130 }, (_, i) =>
        consume(h.deps, { userId: u.id, metric: 'api_call', unitId: `api:race:${u.id}:${i}` }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const counted = await sumUnits(h.deps, { userId: u.id, metric: 'api_call' });
    expect(counted).toBe(ok);
    expect(counted).toBeLessThanOrEqual(100);
    // Insert-then-count errs on the strict side in a burst; the refused units left nothing behind,
    // so calls made afterwards fill the quota to exactly 100 and no further.
    let more = 0;
    for (;;) {
      try {
        await consume(h.deps, { userId: u.id, metric: 'api_call', unitId: `api:after:${u.id}:${more}` });
        more++;
      } catch (err) {
        expect((err as { code: string }).code).toBe('PAYMENT_REQUIRED');
        break;
      }
    }
    expect(counted + more).toBe(100);
    expect(await sumUnits(h.deps, { userId: u.id, metric: 'api_call' })).toBe(100);
  });
});

describe('quota emails', () => {
  it('one email at 80% and one at 100% of the included downloads', async () => {
    const u = await loggedIn(h);
    for (let i = 0; i < 5; i++) {
      const res = await u.b.mutation('content.download', { slug: 'content-calendar-template' });
      expect(res.status).toBe(200);
    }
    await u.b.mutation('content.download', { slug: 'content-calendar-template' }); // refused, no third email
    await waitForEmail(u.email, /used 80%/);
    await waitForEmail(u.email, /used all/);
    const mails = await inbox(u.email);
    const subjects = mails.map((m) => m.subject).sort();
    expect(subjects).toEqual([
      'You have used 80% of your DropIn downloads',
      'You have used all your DropIn downloads for this period',
    ]);
    const full = mails.find((m) => m.subject.startsWith('You have used all'))!;
    expect(full.text).toMatch(/Further downloads are refused until \d{4}-\d{2}-\d{2}, unless you upgrade/);
    expect(full.text).toContain(`${h.env.PUBLIC_URL}/app/usage`);
  });
});

describe('the dashboard summary', () => {
  it('shows the period, each metric and past periods', async () => {
    const u = await loggedIn(h);
    const sub = await mirrorSubscription(h.deps, u.id, { planId: 'pro', status: 'active' });
    // A unit from the previous period.
    const prevStart = new Date(sub.periodStart.getTime() - 30 * 86_400_000);
    await h.deps.db.c.usageEvents.insertOne({
      _id: `api:old:${u.id}`,
      userId: u.id,
      metric: 'api_call',
      periodStart: prevStart,
      periodEnd: sub.periodStart,
      planId: 'pro',
      at: prevStart,
      ref: null,
      units: 1,
    });
    await u.b.mutation('content.download', { slug: 'saas-metrics-workbook' });
    const s = (await u.b.query<UsageSummary>('usage.summary')).body.result!.data;
    expect(s.plan).toEqual({ id: 'pro', name: 'Pro' });
    expect(s.period).toEqual({ start: sub.periodStart.toISOString(), end: sub.periodEnd.toISOString() });
    expect(s.metrics).toEqual([
      expect.objectContaining({ metric: 'download', used: 1, limit: 100, overageUnitAmount: null }),
      expect.objectContaining({ metric: 'api_call', used: 0, limit: 10_000, overageUnitAmount: 2 }),
    ]);
    expect(s.history).toEqual([
      { periodStart: prevStart.toISOString(), periodEnd: sub.periodStart.toISOString(), downloads: 0, apiCalls: 1 },
    ]);
  });
});
