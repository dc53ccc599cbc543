// API keys (created, listed, revoked in settings; stored hashed; shown once; per-plan maximum) and
// the REST API at /api/v1: 401 for missing/invalid/revoked keys, 429 with Retry-After past the
// per-key rate, plan locks, and only calls answered 2xx counted as usage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../setup/harness';
import { createApp } from '../../src/app';
import { createServerDeps } from '../../src/server';
import { seedContent } from '../../src/content/seed';
import { sha256 } from '../../src/lib/ids';
import { loggedIn, mirrorSubscription } from './usage.fixtures';
import { sumUnits } from '../../src/usage/units';
import { calendarMonth } from '../../src/usage/plan-state';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await seedContent(h.deps);
});
afterAll(() => h?.close());

function api(path: string, key?: string) {
  return h.app.request(`${h.env.PUBLIC_URL}/api/v1${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
}

function runTool(slug: string, key: string, body: string, contentType = 'application/json') {
  return h.app.request(`${h.env.PUBLIC_URL}/api/v1/tools/${slug}/run`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
    body,
  });
}

type Created = { key: string; apiKey: { id: string; name: string; prefix: string } };

async function newKey(u: Awaited<ReturnType<typeof loggedIn>>, name = 'CI script') {
  const res = await u.b.mutation<Created>('apiKeys.create', { name });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.result!.data;
}

const calls = (userId: string) => sumUnits(h.deps, { userId, metric: 'api_call' });

/** A Free user's 100 API calls of this month, already made. */
async function useUpFreeCalls(userId: string) {
  const { start, end } = calendarMonth(new Date());
  await h.deps.db.c.usageEvents.insertOne({
    _id: `api:used-up:${userId}`,
    userId,
    metric: 'api_call',
    periodStart: start,
    periodEnd: end,
    planId: 'free',
    at: new Date(),
    ref: null,
    units: 100,
  });
}

describe('API keys in settings', () => {
  it('a key is shown once, stored only as a hash, and listed by name and prefix', async () => {
    const u = await loggedIn(h);
    const { key, apiKey } = await newKey(u);
    expect(key).toMatch(/^dropin_test_[A-Za-z0-9_-]{32}$/);
    const row = await h.deps.db.c.apiKeys.findOne({ _id: apiKey.id });
    expect(row?.hash).toBe(sha256(key));
    expect(JSON.stringify(row)).not.toContain(key);
    const list = await u.b.query<{ keys: { id: string; name: string; prefix: string }[]; max: number }>('apiKeys.list');
    expect(list.body.result!.data).toEqual({
      keys: [expect.objectContaining({ id: apiKey.id, name: 'CI script', prefix: key.slice(0, 16) })],
      max: 1,
      plan: 'Free',
      upgrade: { plan: 'Pro', max: 5 },
    });
    expect(JSON.stringify(list.body)).not.toContain(key);
  });

  it('each plan allows its number of keys: Free one, then an upgrade offer', async () => {
    const u = await loggedIn(h);
    await newKey(u);
    const second = await u.b.mutation('apiKeys.create', { name: 'second' });
    expect(second.status).toBe(402);
    expect(second.body.error!.message).toMatch(/Free allows 1 API key\. Revoke one, or upgrade to Pro for 5/);
  });

  it('a name is required; another user cannot revoke my key', async () => {
    const u = await loggedIn(h);
    const bad = await u.b.mutation('apiKeys.create', { name: '  ' });
    expect(bad.status).toBe(400);
    expect(bad.body.error!.data.fieldErrors).toEqual({ name: 'Give the key a name.' });
    const { apiKey } = await newKey(u);
    const other = await loggedIn(h);
    expect((await other.b.mutation('apiKeys.revoke', { id: apiKey.id })).status).toBe(404);
  });
});

describe('REST API authentication', () => {
  it('missing, malformed, unknown and revoked keys get 401 JSON and count nothing', async () => {
    const u = await loggedIn(h);
    const { key, apiKey } = await newKey(u);
    const missing = await api('/content');
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: expect.stringMatching(/Missing API key/) });
    expect((await api('/content', 'not-a-key')).status).toBe(401);
    expect((await api('/content', `${key.slice(0, -2)}xx`)).status).toBe(401);
    expect((await api('/content', key)).status).toBe(200);
    expect(await calls(u.id)).toBe(1);

    expect((await u.b.mutation('apiKeys.revoke', { id: apiKey.id })).status).toBe(200);
    const revoked = await api('/content', key);
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toEqual({ error: 'Invalid or revoked API key.' });
    expect(await calls(u.id)).toBe(1);
    expect((await u.b.query<{ keys: unknown[] }>('apiKeys.list')).body.result!.data.keys).toEqual([]);
  });

  it('past the per-key rate: 429 with Retry-After, not counted', { timeout: 120_000 }, async () => {
    // A burst of 70 at once against a Free key's 60 a minute.
    const { u, results } = await burstInOneMinute((key) => Promise.all(Array.from({ length: 70 }, () => api('/usage', key))));
    const ok = results.filter((r) => r.status === 200).length;
    expect(ok).toBe(60);
    const limited = results.find((r) => r.status === 429)!;
    expect(results.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    const retry = Number(limited.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(((await limited.json()) as { error: string }).error).toMatch(/Rate limit of 60 requests a minute/);
    expect(await calls(u.id)).toBe(ok);
  });

  it('the rate holds across server processes sharing the database', { timeout: 120_000 }, async () => {
    // A second server on the same database, as PM2's cluster runs one per core.
    const other = await createServerDeps(h.env);
    try {
      const otherApp = createApp(other);
      const { u, results } = await burstInOneMinute((key) =>
        Promise.all(
          Array.from({ length: 90 }, (_, i) =>
            (i % 2 ? otherApp : h.app).request(`${h.env.PUBLIC_URL}/api/v1/usage`, {
              headers: { authorization: `Bearer ${key}` },
            }),
          ),
        ),
      );
      const ok = results.filter((r) => r.status === 200).length;
      // At most the limit; at worst one lease (3 requests) stays unspent in the other process.
      expect(ok).toBeLessThanOrEqual(60);
      expect(ok).toBeGreaterThanOrEqual(57);
      expect(results.filter((r) => r.status === 429).length).toBe(90 - ok);
      expect(await calls(u.id)).toBe(ok);
    } finally {
      other.mailer.close();
      await other.db.close();
    }
  });
});

/**
 * The limit is per calendar minute, so a burst that straddles two minutes gets both minutes'
 * allowance. A burst can take many seconds on a busy machine: one that straddled is run again, for
 * a new user and key, until one starts and ends within the same minute.
 */
async function burstInOneMinute<R>(burst: (key: string) => Promise<R>) {
  const minute = () => Math.floor(Date.now() / 60_000);
  for (;;) {
    const u = await loggedIn(h);
    const { key } = await newKey(u);
    const started = minute();
    const results = await burst(key);
    if (minute() === started) return { u, results };
  }
}

describe('with keys cached in memory, as in production', () => {
  it('a revoked key is refused at once by the process that revoked it', async () => {
    const cached = await createHarness({ SESSION_CACHE_MS: '5000' });
    try {
      await seedContent(cached.deps);
      const u = await loggedIn(cached);
      const created = await u.b.mutation<Created>('apiKeys.create', { name: 'cached' });
      const { key, apiKey } = created.body.result!.data;
      const call = () =>
        cached.app.request(`${cached.env.PUBLIC_URL}/api/v1/usage`, { headers: { authorization: `Bearer ${key}` } });
      expect((await call()).status).toBe(200);
      expect((await call()).status).toBe(200); // served from the cache
      expect((await u.b.mutation('apiKeys.revoke', { id: apiKey.id })).status).toBe(200);
      expect((await call()).status).toBe(401);
    } finally {
      await cached.close();
    }
  });
});

describe('REST API endpoints', () => {
  it('search, retrieval respecting plan locks, and usage with quota headers', async () => {
    const u = await loggedIn(h);
    const { key } = await newKey(u);
    const list = await api('/content?q=pricing', key);
    expect(list.status).toBe(200);
    expect(list.headers.get('x-quota-limit')).toBe('100');
    const body = (await list.json()) as { plan: string; data: { slug: string; locked: boolean }[] };
    expect(body.plan).toBe('free');
    expect(body.data.map((i) => i.slug)).toEqual(['pricing-your-first-digital-product', 'usage-based-pricing-field-guide']);
    expect(body.data[1]?.locked).toBe(true);

    const tagged = (await (await api('/content?tag=retention', key)).json()) as { data: { slug: string }[] };
    expect(tagged.data.length).toBe(3);

    const item = await api('/content/newsletter-launch-checklist', key);
    expect(item.status).toBe(200);
    expect(((await item.json()) as { data: { body: string } }).data.body).toMatch(/welcome email/);
    const locked = await api('/content/usage-based-pricing-field-guide', key);
    expect(locked.status).toBe(403);
    expect(await locked.json()).toEqual({ error: 'This item unlocks with Business.' });
    const missing = await api('/content/nope', key);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'No such item in the library.' });
    // Three answered calls so far; the locked item and the unknown slug counted nothing.
    expect(await calls(u.id)).toBe(3);
    expect(missing.headers.get('x-quota-used')).toBeNull();

    const usage = await api('/usage', key);
    const summary = ((await usage.json()) as { data: { metrics: { metric: string; used: number; limit: number }[] } }).data;
    expect(summary.metrics.find((m) => m.metric === 'api_call')).toMatchObject({ used: 4, limit: 100 });
    expect(usage.headers.get('x-quota-remaining')).toBe('96');
  });

  it('bad input of each kind gets 400 naming the field, in the one error shape, and counts nothing', async () => {
    const u = await loggedIn(h);
    const { key } = await newKey(u);
    const badSlug = await api('/content/Not_A_Slug', key);
    expect(badSlug.status).toBe(400);
    expect(await badSlug.json()).toEqual({ error: 'slug is not a library item', field: 'slug' });
    const badToolSlug = await runTool('Not_A_Tool', key, '{}');
    expect(badToolSlug.status).toBe(400);
    expect(await badToolSlug.json()).toEqual({ error: 'slug is not a library item', field: 'slug' });

    const longQuery = await api(`/content?q=${'a'.repeat(201)}`, key);
    expect(longQuery.status).toBe(400);
    expect(await longQuery.json()).toEqual({ error: 'q must be at most 200 characters', field: 'q' });
    const twoTags = await api('/content?tag=retention&tag=pricing', key);
    expect(twoTags.status).toBe(400);
    expect(((await twoTags.json()) as { field: string }).field).toBe('tag');
    // Unknown query parameters are ignored, as query strings go.
    expect((await api('/content?tag=retention&page=2', key)).status).toBe(200);

    const badBody = await runTool('headline-analyzer', key, JSON.stringify({ headline: 'x'.repeat(301) }));
    expect(badBody.status).toBe(400);
    expect(((await badBody.json()) as { field: string }).field).toBe('headline');
    const extraField = await runTool('headline-analyzer', key, JSON.stringify({ headline: 'Fine', role: 'admin' }));
    expect(extraField.status).toBe(400);

    const unknownPath = await api('/no-such-endpoint', key);
    expect(unknownPath.status).toBe(404);
    expect(await unknownPath.json()).toEqual({ error: 'Not found.' });
    expect(await calls(u.id)).toBe(1);
  });

  it('past a Free quota: 402 naming the upgrade instead of the item, and nothing counted', async () => {
    // The route runs before the call's unit is stored; a refused unit must still win the answer.
    const u = await loggedIn(h);
    const { key } = await newKey(u);
    await useUpFreeCalls(u.id);
    const res = await api('/content/newsletter-launch-checklist', key);
    expect(res.status).toBe(402);
    const body = (await res.json()) as { error?: string; data?: unknown };
    expect(body.data).toBeUndefined();
    expect(body.error).toMatch(/used all 100 API calls included in Free.*Upgrade to Pro/);
    expect(res.headers.get('x-quota-used')).toBeNull();
    expect(await calls(u.id)).toBe(100);
  });

  it('tools run over the API: one call per 200; bad input, a locked tool and bad JSON count nothing', async () => {
    const u = await loggedIn(h);
    const { key } = await newKey(u);
    const ok = await runTool(
      'headline-analyzer',
      key,
      JSON.stringify({ headline: 'How to double your newsletter signups in 30 days' }),
    );
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { data: { score: number; checks: unknown[] } }).data).toMatchObject({ score: 100 });
    expect(ok.headers.get('x-quota-used')).toBe('1');

    const empty = await runTool('headline-analyzer', key, JSON.stringify({ headline: ' ' }));
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ error: 'Enter a headline.', field: 'headline' });
    const notJson = await runTool('headline-analyzer', key, '{"headline": ');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: 'The body is not valid JSON.' });
    expect((await runTool('headline-analyzer', key, 'headline=hi', 'application/x-www-form-urlencoded')).status).toBe(415);
    const locked = await runTool(
      'cohort-retention-analyzer',
      key,
      JSON.stringify({ csv: 'customer_id,signed_up_at,canceled_at\na,2026-01-01,' }),
    );
    expect(locked.status).toBe(403);
    expect(await locked.json()).toEqual({ error: 'This item unlocks with Business.' });
    expect((await runTool('no-such-tool', key, '{}')).status).toBe(404);
    expect(await calls(u.id)).toBe(1);
  });

  it('Business runs the cohort analyzer over the API: CSV errors name the field; one heavy run at a time', async () => {
    const u = await loggedIn(h);
    await mirrorSubscription(h.deps, u.id, { planId: 'business', status: 'active' });
    const { key } = await newKey(u);
    const csv = 'customer_id,signed_up_at,canceled_at\na,2026-01-05,\nb,2026-01-20,2026-02-10\n';
    const ok = await runTool('cohort-retention-analyzer', key, JSON.stringify({ csv, asOf: '2026-03-01' }));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { data: { average: number[] } }).data.average).toEqual([1, 1, 0.5]);
    const bad = await runTool(
      'cohort-retention-analyzer',
      key,
      JSON.stringify({ csv: 'customer_id,signed_up_at,canceled_at\na,yesterday,\n' }),
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'Line 2: signed_up_at "yesterday" is not a date like 2026-01-31.', field: 'csv' });

    // Two big runs at once for one user: one answers, the other is asked to retry, uncounted.
    const big = `customer_id,signed_up_at,canceled_at\n${Array.from({ length: 20_000 }, (_, i) => `c${i},2026-01-10,`).join('\n')}`;
    const both = await Promise.all([1, 2].map(() => runTool('cohort-retention-analyzer', key, JSON.stringify({ csv: big }))));
    expect(both.map((r) => r.status).sort()).toEqual([200, 429]);
    const busy = both.find((r) => r.status === 429) as Response;
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(((await busy.json()) as { error: string }).error).toMatch(/already running for you/);
    expect(await calls(u.id)).toBe(2);
  });

  it('past a Free quota a tool run gets 402 and counts nothing', async () => {
    const u = await loggedIn(h);
    const { key } = await newKey(u);
    await useUpFreeCalls(u.id);
    const res = await runTool(
      'headline-analyzer',
      key,
      JSON.stringify({ headline: 'Pricing tips for your first 100 customers' }),
    );
    expect(res.status).toBe(402);
    expect(((await res.json()) as { data?: unknown }).data).toBeUndefined();
    expect(await calls(u.id)).toBe(100);
  });

  it('a Pro subscriber reads Pro items over the API', async () => {
    const u = await loggedIn(h);
    await mirrorSubscription(h.deps, u.id, { planId: 'pro', status: 'active' });
    const { key } = await newKey(u);
    expect((await api('/content/reducing-churn-with-dunning-emails', key)).status).toBe(200);
  });
});
