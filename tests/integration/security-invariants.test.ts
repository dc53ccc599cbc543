// The security invariants, each held in one place: account state binds every credential, every
// admin write is audited under an action id bound to its target, count-limited things are taken as
// unique slots, cookie parsing never throws, and the weaker points around them (batch size, cache
// headers, read audits, text hygiene, error sentences, the Host header, API rate leases).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAdmin } from '../../src/auth/admin-seed';
import { limits } from '../../src/auth/limits';
import { hit } from '../../src/lib/rate-limit';
import { takeToken } from '../../src/api/rate';
import { keySlotPrefix, sweepKeySlots } from '../../src/api/keys';
import { seedContent } from '../../src/content/seed';
import { deleteAccount } from '../../src/account/delete-account';
import { sumUnits } from '../../src/usage/units';
import { GOOD_PASSWORD, createAccount, newBrowser, uniqueEmail } from '../fixtures/accounts';
import { linkFrom, waitForEmail } from '../setup/mailpit';
import { createHarness, type Browser, type Harness } from '../setup/harness';
import { mirrorSubscription } from './usage.fixtures';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await seedContent(h.deps);
});
afterAll(() => h?.close());

const action = () => randomUUID().replaceAll('-', '');

/** A browser carrying a fresh session of `userId` (no login round trip). */
async function sessionOf(userId: string): Promise<Browser> {
  const b = newBrowser(h);
  const { token } = await h.deps.sessions.create(userId, { ip: '127.0.0.1', userAgent: 'test' });
  b.cookies.set(h.deps.sessions.cookieName, token);
  return b;
}

async function newAdmin(): Promise<{ b: Browser; userId: string }> {
  const seeded = await seedAdmin(h.deps, uniqueEmail(), GOOD_PASSWORD);
  return { b: await sessionOf(seeded.userId), userId: seeded.userId };
}

async function newKey(b: Browser): Promise<string> {
  const res = await b.mutation<{ key: string }>('apiKeys.create', { name: 'k' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.result!.data.key;
}

const apiGet = (key: string, path = '/content') =>
  h.app.request(`${h.env.PUBLIC_URL}/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } });

describe('finding 1: guessing cannot lock the owner out', () => {
  it('past the account-wide failure limit the owner still gets in from a clean address; guessers do not', async () => {
    const { email } = await createAccount(h);
    // Guessing spread over many addresses fills the account-wide window…
    for (let i = 0; i < limits.loginAccountFailures.max - 2; i++) await hit(h.deps, limits.loginAccountFailures, email);
    const attacker = newBrowser(h);
    for (let i = 0; i < 2; i++)
      expect((await attacker.mutation('auth.login', { email, password: 'wrong-guess-1' })).status).toBe(400);
    // …so further guesses are throttled, from the failing address and from a fresh one alike.
    expect((await attacker.mutation('auth.login', { email, password: 'wrong-guess-2' })).status).toBe(429);
    expect((await newBrowser(h).mutation('auth.login', { email, password: 'wrong-guess-3' })).status).toBe(429);
    // The right password from the failing address is refused without being checked…
    expect((await attacker.mutation('auth.login', { email, password: GOOD_PASSWORD })).status).toBe(429);
    // …and from the owner's address, which has not been failing, it gets in.
    const owner = newBrowser(h);
    const res = await owner.mutation('auth.login', { email, password: GOOD_PASSWORD });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await owner.query<{ user: { email: string } | null }>('auth.me')).body.result?.data.user?.email).toBe(email);
  });
});

describe('finding 2: account state binds every credential', () => {
  it('disabling an account stops its API keys at once', async () => {
    const u = await createAccount(h);
    const key = await newKey(u.b);
    expect((await apiGet(key)).status).toBe(200);
    const admin = await newAdmin();
    const res = await admin.b.mutation('admin.setDisabled', { userId: u.userId, disabled: true, actionId: action() });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await apiGet(key)).status).toBe(401);
    // Enabled again, the key works again: the key was not revoked, the account refused it.
    await admin.b.mutation('admin.setDisabled', { userId: u.userId, disabled: false, actionId: action() });
    expect((await apiGet(key)).status).toBe(200);
  });

  it('a disabled flag alone (no session revocation) refuses the session, the API key and the download link', async () => {
    const u = await createAccount(h);
    const key = await newKey(u.b);
    const dl = await u.b.mutation<{ url: string }>('content.download', { slug: 'content-calendar-template' });
    expect(dl.status).toBe(200);
    await h.deps.db.c.users.updateOne({ _id: u.userId }, { $set: { disabled: true } });
    await h.deps.sessions.userChanged(u.userId);
    expect((await u.b.query<{ user: unknown }>('auth.me')).body.result?.data.user).toBeNull();
    expect((await apiGet(key)).status).toBe(401);
    expect((await u.b.request(dl.body.result!.data.url)).status).toBe(403);
  });

  it('changing the password revokes the API keys and ends other sessions; a new key takes the freed slot', async () => {
    const u = await createAccount(h);
    const key = await newKey(u.b);
    const other = await sessionOf(u.userId);
    expect((await apiGet(key)).status).toBe(200);
    const res = await u.b.mutation<{ revokedSessions: number; revokedKeys: number }>('account.changePassword', {
      currentPassword: u.password,
      newPassword: `${GOOD_PASSWORD}-changed`,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.result?.data).toMatchObject({ revokedSessions: 1, revokedKeys: 1 });
    expect((await apiGet(key)).status).toBe(401);
    expect((await other.query<{ user: unknown }>('auth.me')).body.result?.data.user).toBeNull();
    // Free allows one key: the revoked key's slot is free for the next one, which works.
    expect((await apiGet(await newKey(u.b))).status).toBe(200);
  });

  it('resetting the password by email revokes the API keys', async () => {
    const u = await createAccount(h);
    const key = await newKey(u.b);
    expect((await newBrowser(h).mutation('auth.requestPasswordReset', { email: u.email })).status).toBe(200);
    const link = linkFrom(await waitForEmail(u.email, /Reset your DropIn password/), `${h.env.PUBLIC_URL}/reset-password?token=`);
    const token = new URL(link).searchParams.get('token') as string;
    const res = await newBrowser(h).mutation('auth.resetPassword', { token, password: `${GOOD_PASSWORD}-reset` });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await apiGet(key)).status).toBe(401);
    expect(await h.deps.db.c.apiKeys.countDocuments({ userId: u.userId, revokedAt: null })).toBe(0);
  });

  it('deleting an account removes its API keys', async () => {
    const u = await createAccount(h);
    const key = await newKey(u.b);
    const session = await h.deps.db.c.sessions.findOne({ userId: u.userId });
    await deleteAccount({ deps: h.deps, userId: u.userId, sessionPublicId: session!.publicId, password: u.password });
    expect(await h.deps.db.c.apiKeys.countDocuments({ userId: u.userId })).toBe(0);
    expect((await apiGet(key)).status).toBe(401);
  });
});

describe('finding 3: every admin write is audited under an id bound to its target', () => {
  it.each([
    ['setRole', (userId: string, id: string) => ({ userId, role: 'admin', actionId: id })],
    ['setDisabled', (userId: string, id: string) => ({ userId, disabled: true, actionId: id })],
  ] as const)('%s: the same action id for another user is a 409 and changes nothing', async (proc, input) => {
    const admin = await newAdmin();
    const x = await createAccount(h);
    const y = await createAccount(h);
    const id = action();
    expect((await admin.b.mutation(`admin.${proc}`, input(x.userId, id))).status).toBe(200);
    const before = await h.deps.db.c.users.findOne({ _id: y.userId });
    const again = await admin.b.mutation(`admin.${proc}`, input(y.userId, id));
    expect(again.status).toBe(409);
    expect(again.body.error?.message).toMatch(/already used/);
    const after = await h.deps.db.c.users.findOne({ _id: y.userId });
    expect({ role: after?.role, disabled: after?.disabled }).toEqual({ role: before?.role, disabled: before?.disabled });
    expect(await h.deps.db.c.adminAudit.countDocuments({ targetId: y.userId })).toBe(0);
    // The same action for the same target again (a double click) is fine and recorded once.
    expect((await admin.b.mutation(`admin.${proc}`, input(x.userId, id))).status).toBe(200);
    expect(await h.deps.db.c.adminAudit.countDocuments({ targetId: x.userId })).toBe(1);
  });
});

describe('admin writes: an action id is bound to its parameters', () => {
  it('a library change sent again with other values under its action id is a 409 and changes nothing', async () => {
    const admin = await newAdmin();
    const slug = `bound-${action().slice(0, 8)}`;
    const id = action();
    const created = await admin.b.mutation('admin.content.create', {
      slug,
      kind: 'article',
      title: 'Bound',
      summary: 'A summary.',
      tags: [],
      body: 'Body',
      bodyFormat: 'markdown',
      minPlan: 'free',
      published: false,
      actionId: action(),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const setPlan = (minPlan: string) => admin.b.mutation('admin.content.setPlan', { slug, version: 1, minPlan, actionId: id });
    expect((await setPlan('pro')).status).toBe(200);
    // Resent as sent: the first answer. Resent with another plan: refused, the plan stays.
    expect((await setPlan('pro')).status).toBe(200);
    const other = await setPlan('business');
    expect(other.status).toBe(409);
    expect(other.body.error?.message).toMatch(/already used for content_set_plan with other details/);
    expect((await h.deps.db.c.content.findOne({ _id: slug }))?.minPlan).toBe('pro');
  });
});

describe('finding 4: a malformed cookie never breaks a request', () => {
  it.each([
    ['/trpc/auth.me', 200],
    ['/files/nothing?exp=1&u=x&sig=y', 403],
    ['/api/admin/content/some-item/file', 401],
  ])('%s with a malformed sibling cookie answers %i, not 500', async (path, status) => {
    const res = await newBrowser(h).request(path, { headers: { cookie: 'other=%E0%A4%A' } });
    expect(res.status).toBe(status);
  });

  it('a logged-in browser with a bad sibling cookie stays logged in, and can log in', async () => {
    const u = await createAccount(h);
    const token = u.b.cookies.get(h.deps.sessions.cookieName) as string;
    const cookie = `other=%E0%A4%A; ${h.deps.sessions.cookieName}=${token}`;
    const me = await newBrowser(h).request('/trpc/auth.me', { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(JSON.stringify(await me.json())).toContain(u.email);
    const login = await newBrowser(h).request('/trpc/auth.login', {
      method: 'POST',
      headers: { cookie: 'other=%E0%A4%A' },
      json: { email: u.email, password: u.password },
    });
    expect(login.status).toBe(200);
  });
});

describe('finding 5: count-limited things are taken as unique slots', () => {
  it('12 parallel apiKeys.create on Free leave exactly 1 key; revoking frees the slot', async () => {
    const u = await createAccount(h);
    const results = await Promise.all(Array.from({ length: 12 }, () => u.b.mutation('apiKeys.create', { name: 'race' })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.every((r) => r.status === 200 || r.status === 402)).toBe(true);
    expect(await h.deps.db.c.apiKeys.countDocuments({ userId: u.userId, revokedAt: null })).toBe(1);
    const list = await u.b.query<{ keys: { id: string }[] }>('apiKeys.list');
    const id = list.body.result!.data.keys[0]!.id;
    expect((await u.b.mutation('apiKeys.revoke', { id })).status).toBe(200);
    expect((await u.b.mutation('apiKeys.create', { name: 'again' })).status).toBe(200);
  });
});

describe('API key slots are owned by their key', () => {
  const slotOf = (userId: string, n: number) => `${keySlotPrefix(userId)}:${n}`;
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

  it('a slot taken by a creation that never stored its key (a crash) is freed, and the next key gets it', async () => {
    const u = await createAccount(h);
    // What a crash between taking the slot and inserting the key leaves behind.
    await h.deps.db.c.slots.insertOne({ _id: slotOf(u.userId, 0), owner: 'key-never-stored', at: minutesAgo(5) });
    const res = await u.b.mutation<{ apiKey: { id: string } }>('apiKeys.create', { name: 'after a crash' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const slot = await h.deps.db.c.slots.findOne({ _id: slotOf(u.userId, 0) });
    expect(slot?.owner, 'the slot names the key that holds it').toBe(res.body.result?.data.apiKey.id);
    // The Free plan's one key is still the limit.
    expect((await u.b.mutation('apiKeys.create', { name: 'second' })).status).toBe(402);
  });

  it('the sweep frees slots whose key is gone or revoked, and keeps live keys and creations in flight', async () => {
    const live = await createAccount(h);
    await newKey(live.b);
    const liveSlot = await h.deps.db.c.slots.findOne({ _id: slotOf(live.userId, 0) });
    await h.deps.db.c.slots.updateOne({ _id: liveSlot!._id }, { $set: { at: minutesAgo(60) } });
    const revoked = await createAccount(h);
    await newKey(revoked.b);
    const revokedSlot = await h.deps.db.c.slots.findOne({ _id: slotOf(revoked.userId, 0) });
    // A revocation that stopped before giving its slot back.
    await h.deps.db.c.apiKeys.updateOne({ _id: revokedSlot!.owner }, { $set: { revokedAt: new Date() } });
    await h.deps.db.c.slots.updateOne({ _id: revokedSlot!._id }, { $set: { at: minutesAgo(60) } });
    const orphan = (await createAccount(h)).userId;
    await h.deps.db.c.slots.insertMany([
      { _id: slotOf(orphan, 0), owner: 'gone', at: minutesAgo(60) },
      // Taken a moment ago: its key may be on its way in.
      { _id: slotOf(orphan, 1), owner: 'in-flight', at: new Date() },
    ]);

    await sweepKeySlots(h.deps);
    const left = await h.deps.db.c.slots
      .find({ _id: { $in: [liveSlot!._id, revokedSlot!._id, slotOf(orphan, 0), slotOf(orphan, 1)] } })
      .toArray();
    expect(left.map((s) => s._id).sort()).toEqual([liveSlot!._id, slotOf(orphan, 1)].sort());
  });
});

describe('finding 6: one download is one user, file and action id', () => {
  it('8 calls with one action id return one URL and count once', async () => {
    const u = await createAccount(h);
    const actionId = action();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        u.b.mutation<{ url: string; used: number }>('content.download', { slug: 'content-calendar-template', actionId }),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(new Set(results.map((r) => r.body.result!.data.url)).size).toBe(1);
    expect(await sumUnits(h.deps, { userId: u.userId, metric: 'download' })).toBe(1);
  });

  it('one action id across two files counts each file', async () => {
    const u = await createAccount(h);
    await mirrorSubscription(h.deps, u.userId, { planId: 'pro', status: 'active' });
    const actionId = action();
    for (const slug of ['content-calendar-template', 'saas-metrics-workbook']) {
      const res = await u.b.mutation('content.download', { slug, actionId });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    expect(await sumUnits(h.deps, { userId: u.userId, metric: 'download' })).toBe(2);
  });
});

describe('weak points', () => {
  it('a tRPC batch of more than 10 calls is a 400 with a sentence', async () => {
    const paths = Array.from({ length: 11 }, () => 'content.list').join(',');
    const res = await newBrowser(h).request(`/trpc/${paths}?batch=1&input=%7B%7D`);
    expect(res.status).toBe(400);
    expect((await res.json()) as { error: string }).toEqual({ error: expect.stringMatching(/at most 10 calls/) });
    const ten = Array.from({ length: 10 }, () => 'content.list').join(',');
    expect((await newBrowser(h).request(`/trpc/${ten}?batch=1&input=%7B%7D`)).status).toBe(200);
  });

  it('personal answers carry Cache-Control: no-store (tRPC and the REST API)', async () => {
    const u = await createAccount(h);
    const me = await u.b.request('/trpc/auth.me');
    expect(me.headers.get('cache-control')).toBe('private, no-store');
    const billing = await u.b.request('/trpc/billing.plans');
    expect(billing.headers.get('cache-control')).toMatch(/no-store/);
    const key = await newKey(u.b);
    expect((await apiGet(key, '/usage')).headers.get('cache-control')).toBe('private, no-store');
  });

  it('viewing a subscriber and exporting the CSV leave read audit entries', async () => {
    const admin = await newAdmin();
    const u = await createAccount(h);
    expect((await admin.b.query('admin.subscriber', { userId: u.userId })).status).toBe(200);
    expect(
      await h.deps.db.c.adminAudit.countDocuments({ action: 'view_subscriber', targetId: u.userId, actorId: admin.userId }),
    ).toBe(1);
    expect((await admin.b.query('admin.subscribersCsv', {})).status).toBe(200);
    expect(await h.deps.db.c.adminAudit.countDocuments({ action: 'export_subscribers', actorId: admin.userId })).toBe(1);
  });

  it.each([
    ['a NUL', 'Ma\u0000llory'],
    ['a lone surrogate', 'Mal\ud800lory'],
  ])('a name with %s is refused with a sentence and not stored', async (_what, name) => {
    const u = await createAccount(h);
    const res = await u.b.mutation('account.updateProfile', { name });
    expect(res.status).toBe(400);
    expect(res.body.error?.message).toMatch(/^name contains a character that is not allowed/);
    expect(res.body.error?.data.fieldErrors).toMatchObject({ name: expect.any(String) });
    expect((await h.deps.db.c.users.findOne({ _id: u.userId }))?.name).toBe('Test Person');
  });

  it('validation errors come back as a sentence per field, not zod JSON', async () => {
    const res = await newBrowser(h).mutation('auth.signup', { email: 'not-an-email', password: 3 });
    expect(res.status).toBe(400);
    const message = res.body.error?.message ?? '';
    expect(message).not.toMatch(/^\s*[[{]/);
    expect(message).toMatch(/email/);
    expect(message).toMatch(/password/);
    expect(res.body.error?.data.fieldErrors).toMatchObject({ email: expect.any(String), password: expect.any(String) });
  });

  it('a request for another host is 421 (DNS rebinding); health checks answer any host', async () => {
    const other = await h.app.request('http://rebound.example/trpc/auth.me');
    expect(other.status).toBe(421);
    const withHeader = await h.app.request(`${h.env.PUBLIC_URL}/trpc/auth.me`, { headers: { host: 'rebound.example' } });
    expect(withHeader.status).toBe(421);
    expect((await h.app.request('http://rebound.example/healthz')).status).toBe(200);
    expect((await h.app.request(`${h.env.PUBLIC_URL}/trpc/auth.me`)).status).toBe(200);
  });
});

describe('API rate leases', () => {
  it('calls of two minutes interleaved keep their own leases: 200 calls at 600/min all pass', async () => {
    const keyId = `k_${action()}`;
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const waits = await Promise.all(
      Array.from({ length: 200 }, (_, i) => takeToken(h.deps, keyId, 600, minute + (i % 2 === 0 ? 59_000 : 60_500))),
    );
    expect(waits.filter((w) => w > 0)).toHaveLength(0);
    // Each minute took what it needed: 100 calls at 30 a lease is 4 leases, not 20.
    expect(await h.deps.db.c.rateLimits.countDocuments({ key: `api:${keyId}` })).toBeLessThanOrEqual(8);
  });
});
