// The content library: browsing for everyone, reading and downloading checked against the plan,
// the download quota, and signed download URLs (expiry, other user, forgery → 403, nothing counted).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../setup/harness';
import { seedContent } from '../../src/content/seed';
import { signDownload } from '../../src/content/signing';
import type { LibraryItem, LibraryItemFull } from '../../src/content/library';
import { loggedIn, mirrorSubscription } from './usage.fixtures';
import { errorOf } from '../fixtures/accounts';
import { sumUnits } from '../../src/usage/units';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await seedContent(h.deps);
});
afterAll(() => h?.close());

type List = { plan: string; items: LibraryItem[]; tags: string[] };

describe('the catalog', () => {
  it('seeds idempotently, even when several processes seed at once', async () => {
    const again = await Promise.all([seedContent(h.deps), seedContent(h.deps)]);
    expect(again).toEqual([0, 0]);
    expect(await h.deps.db.c.content.countDocuments({})).toBe(12);
    expect(await h.deps.db.c.contentFiles.countDocuments({})).toBe(4);
  });

  it('lists published items for anonymous visitors, with locks and the plan that unlocks each', async () => {
    const res = await h.browser().query<List>('content.list');
    expect(res.status).toBe(200);
    const data = res.body.result!.data;
    expect(data.plan).toBe('free');
    expect(data.items).toHaveLength(11);
    expect(data.items.find((i) => i.slug === 'annual-plans-playbook')).toBeUndefined();
    const pro = data.items.find((i) => i.slug === 'reducing-churn-with-dunning-emails')!;
    expect(pro).toMatchObject({ locked: true, minPlan: 'pro', requiredPlanName: 'Pro' });
    expect(data.items.find((i) => i.slug === 'pricing-your-first-digital-product')?.locked).toBe(false);
    expect(JSON.stringify(data)).not.toContain('Failed payments are the cheapest churn');
  });

  it('searches by text and by tag', async () => {
    const b = h.browser();
    const byText = (await b.query<List>('content.list', { q: 'churn' })).body.result!.data.items.map((i) => i.slug);
    expect(byText).toContain('reducing-churn-with-dunning-emails');
    expect(byText).not.toContain('headline-analyzer');
    const byTag = (await b.query<List>('content.list', { tag: 'template' })).body.result!.data.items.map((i) => i.slug);
    expect(byTag.sort()).toEqual(['content-calendar-template', 'saas-metrics-workbook', 'security-questionnaire-answers']);
  });
});

describe('reading', () => {
  it('a Free user reads free items and is refused Pro ones with the plan that unlocks them', async () => {
    const u = await loggedIn(h);
    const ok = await u.b.query<LibraryItemFull>('content.get', { slug: 'newsletter-launch-checklist' });
    expect(ok.status).toBe(200);
    expect(ok.body.result!.data.body).toMatch(/SPF, DKIM and DMARC/);
    const locked = await u.b.query('content.get', { slug: 'usage-based-pricing-field-guide' });
    expect(locked.status).toBe(403);
    expect(locked.body.error!.message).toBe('This item unlocks with Business.');
  });

  it('anonymous callers must log in; unpublished items are not found', async () => {
    expect((await h.browser().query('content.get', { slug: 'newsletter-launch-checklist' })).status).toBe(401);
    const u = await loggedIn(h);
    expect((await u.b.query('content.get', { slug: 'annual-plans-playbook' })).status).toBe(404);
  });

  it('a Pro subscriber reads Pro items; the list shows them unlocked', async () => {
    const u = await loggedIn(h);
    await mirrorSubscription(h.deps, u.id, { planId: 'pro', status: 'active' });
    expect((await u.b.query('content.get', { slug: 'reducing-churn-with-dunning-emails' })).status).toBe(200);
    const list = (await u.b.query<List>('content.list')).body.result!.data;
    expect(list.plan).toBe('pro');
    expect(list.items.filter((i) => i.locked).map((i) => i.minPlan)).toEqual(['business', 'business', 'business']);
  });
});

describe('downloads', () => {
  it('a Free user downloads 5 files a month, then gets a refusal naming Pro; refusals count nothing', async () => {
    const u = await loggedIn(h);
    for (let i = 0; i < 5; i++) {
      const res = await u.b.mutation<{ url: string; remaining: number }>('content.download', {
        slug: 'content-calendar-template',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.result!.data.remaining).toBe(4 - i);
    }
    const refused = await u.b.mutation('content.download', { slug: 'content-calendar-template' });
    expect(refused.status).toBe(402);
    expect(refused.body.error!.message).toMatch(/all 5 downloads included in Free this month\. Upgrade to Pro for 100 downloads/);
    expect(await sumUnits(h.deps, { userId: u.id, metric: 'download' })).toBe(5);
  });

  it('concurrent downloads at the limit never let more than the quota through', async () => {
    const u = await loggedIn(h);
    const results = await Promise.all(
      Array.from({ length: 12 }, () => u.b.mutation('content.download', { slug: 'content-calendar-template' })),
    );
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(5);
    expect(results.every((r) => r.status === 200 || r.status === 402)).toBe(true);
    expect(await sumUnits(h.deps, { userId: u.id, metric: 'download' })).toBeLessThanOrEqual(5);
  });

  it('the same click retried counts once', async () => {
    const u = await loggedIn(h);
    const actionId = 'retry-click-0001';
    await u.b.mutation('content.download', { slug: 'content-calendar-template', actionId });
    await u.b.mutation('content.download', { slug: 'content-calendar-template', actionId });
    expect(await sumUnits(h.deps, { userId: u.id, metric: 'download' })).toBe(1);
  });

  it('a locked file is refused before any count', async () => {
    const u = await loggedIn(h);
    const res = await u.b.mutation('content.download', { slug: 'saas-metrics-workbook' });
    expect(res.status).toBe(403);
    expect(res.body.error!.message).toMatch(/unlocks with Pro/);
    expect(await sumUnits(h.deps, { userId: u.id })).toBe(0);
  });

  it('the signed URL serves the file to its user only, until it expires', async () => {
    const u = await loggedIn(h);
    const res = await u.b.mutation<{ url: string }>('content.download', { slug: 'content-calendar-template' });
    const url = res.body.result!.data.url;
    expect(url).toMatch(/^\/files\/file_content-calendar-template\?exp=\d+&u=[^&]+&sig=/);
    const file = await u.b.request(url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toMatch(/text\/csv/);
    expect(file.headers.get('content-disposition')).toMatch(/attachment; filename="content-calendar.csv"/);
    expect(await file.text()).toMatch(/^week,publish_date,theme/);

    const other = await loggedIn(h);
    const stolen = await other.b.request(url);
    expect(stolen.status).toBe(403);
    expect(((await stolen.json()) as { error: string }).error).toMatch(/another account/);
    expect((await h.browser().request(url)).status).toBe(403);

    const forged = url.replace(/sig=[^&]+/, 'sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect((await u.b.request(forged)).status).toBe(403);
    const otherFile = url.replace('file_content-calendar-template', 'file_saas-metrics-workbook');
    expect((await u.b.request(otherFile)).status).toBe(403);
    const longer = url.replace(/exp=(\d+)/, (_m, e) => `exp=${Number(e) + 3600}`);
    expect((await u.b.request(longer)).status).toBe(403);

    const old = signDownload(h.deps.env, 'file_content-calendar-template', u.id, Date.now() - 6 * 60_000);
    const expired = await u.b.request(old.url);
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as { error: string }).error).toMatch(/expired/);
    // Only the one issued download was counted.
    expect(await sumUnits(h.deps, { userId: u.id, metric: 'download' })).toBe(1);
  });
});

describe('tools', () => {
  type Run<T> = { result?: { data: T } };

  it('a Free user runs the Free headline analyzer; the Pro forecaster is locked; bad input names the field', async () => {
    const u = await loggedIn(h);
    const item = await u.b.query<LibraryItemFull>('content.get', { slug: 'headline-analyzer' });
    expect(item.body.result?.data.tool).toBe('headline-analyzer');
    const res = await u.b.mutation<{ score: number }>('content.runTool', {
      slug: 'headline-analyzer',
      input: { headline: 'How to double your newsletter signups in 30 days' },
    });
    expect(res.status).toBe(200);
    expect((res.body as Run<{ score: number }>).result?.data.score).toBe(100);

    const empty = await u.b.mutation('content.runTool', { slug: 'headline-analyzer', input: { headline: '' } });
    expect(empty.status).toBe(400);
    expect(errorOf(empty.body).data.fieldErrors).toEqual({ headline: 'Enter a headline.' });

    const locked = await u.b.mutation('content.runTool', {
      slug: 'mrr-forecaster',
      input: { startingMrr: 1000, newMrr: 100, churnRate: 2, expansionRate: 0 },
    });
    expect(locked.status).toBe(403);
    expect(errorOf(locked.body).message).toBe('This item unlocks with Pro.');
    // An article is not a tool; web runs count no API calls.
    expect((await u.b.mutation('content.runTool', { slug: 'pricing-your-first-digital-product', input: {} })).status).toBe(404);
    expect(await sumUnits(h.deps, { userId: u.id })).toBe(0);
  });

  it('a Business subscriber runs the cohort analyzer on a CSV over the usual 64 KB request size', async () => {
    const u = await loggedIn(h);
    await mirrorSubscription(h.deps, u.id, { planId: 'business', status: 'active' });
    // 4,000 customers who signed up in January; every other one left in February.
    const rows = Array.from({ length: 4_000 }, (_, i) => `customer_${i},2026-01-10,${i % 2 ? '2026-02-15' : ''}`);
    const csv = `customer_id,signed_up_at,canceled_at\n${rows.join('\n')}\n`;
    expect(csv.length).toBeGreaterThan(100_000);
    const res = await u.b.mutation('content.runTool', { slug: 'cohort-retention-analyzer', input: { csv, asOf: '2026-04-01' } });
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    expect((res.body as Run<{ cohorts: unknown[] }>).result?.data.cohorts).toEqual([
      { month: '2026-01', size: 4_000, retained: [4_000, 4_000, 2_000, 2_000], rates: [1, 1, 0.5, 0.5] },
    ]);
  });

  it('a Pro subscriber runs the forecaster; signed-out visitors run nothing', async () => {
    const u = await loggedIn(h);
    await mirrorSubscription(h.deps, u.id, { planId: 'pro', status: 'active' });
    const res = await u.b.mutation<{ endMrr: number; months: unknown[] }>('content.runTool', {
      slug: 'mrr-forecaster',
      input: { startingMrr: 10_000, newMrr: 1_000, churnRate: 5, expansionRate: 1, months: 2 },
    });
    expect(res.status).toBe(200);
    expect((res.body as Run<{ endMrr: number; months: unknown[] }>).result?.data).toMatchObject({ endMrr: 11_176 });
    const anon = await h.browser().mutation('content.runTool', { slug: 'headline-analyzer', input: { headline: 'Hi there' } });
    expect(anon.status).toBe(401);
  });
});
