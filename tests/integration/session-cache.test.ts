// The in-memory session cache must never outlive a revocation: at once on the process that
// revoked, and within the poll interval on every other process sharing the database.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHarness, type Harness } from '../setup/harness';
import { newId } from '../../src/lib/ids';

let a: Harness;
let b: Harness;

beforeAll(async () => {
  a = await createHarness({ SESSION_CACHE_MS: '30000' });
  // A second "process": its own deps and cache, the same database.
  b = await createHarness({ SESSION_CACHE_MS: '30000', MONGODB_DB: a.env.MONGODB_DB });
  a.deps.sessions.startCache(() => {});
  b.deps.sessions.startCache(() => {});
});
afterAll(async () => {
  a.deps.sessions.stopCache();
  b.deps.sessions.stopCache();
  await b.deps.db.close();
  await a.close();
});

async function userWithSession(h: Harness) {
  const now = new Date();
  const userId = newId();
  await h.deps.db.c.users.insertOne({
    _id: userId,
    email: `${userId}@example.test`,
    emailVerified: true,
    name: 'Cache',
    passwordHash: null,
    role: 'admin',
    disabled: false,
    createdAt: now,
    updatedAt: now,
  });
  const { token } = await h.deps.sessions.create(userId, { ip: '127.0.0.1', userAgent: 'test' });
  return { userId, token };
}

/**
 * Polls until `check` holds. Other processes poll once a second; the deadline is far longer so a
 * busy machine does not fail the test: what is checked is that the change arrives, not how fast.
 */
async function waitUntil(check: () => Promise<boolean>, ms = 30_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('session cache', () => {
  it('serves a validated session from memory (a deleted row is not re-read within the TTL)', async () => {
    const { token } = await userWithSession(a);
    expect((await a.deps.sessions.validate(token)).user).not.toBeNull();
    // Deleting behind the module's back is exactly what the cache cannot see — which is why
    // every revocation must go through the sessions module.
    await a.deps.db.c.sessions.deleteOne({ _id: a.deps.sessions.tokenHash(token) });
    expect((await a.deps.sessions.validate(token)).user).not.toBeNull();
  });

  it('logout refuses the cookie at once on the same process and within the poll on another', async () => {
    const { token } = await userWithSession(a);
    expect((await a.deps.sessions.validate(token)).user).not.toBeNull();
    expect((await b.deps.sessions.validate(token)).user).not.toBeNull();
    await a.deps.sessions.invalidate(token);
    expect((await a.deps.sessions.validate(token)).user).toBeNull();
    expect(await waitUntil(async () => (await b.deps.sessions.validate(token)).user === null)).toBe(true);
  });

  it('log out everywhere and user changes (demotion) reach every process', async () => {
    const { userId, token } = await userWithSession(a);
    expect((await b.deps.sessions.validate(token)).user?.role).toBe('admin');
    await a.deps.db.c.users.updateOne({ _id: userId }, { $set: { role: 'user' } });
    await a.deps.sessions.userChanged(userId);
    expect(await waitUntil(async () => (await b.deps.sessions.validate(token)).user?.role === 'user')).toBe(true);

    await a.deps.sessions.invalidateAll(userId);
    expect((await a.deps.sessions.validate(token)).user).toBeNull();
    expect(await waitUntil(async () => (await b.deps.sessions.validate(token)).user === null)).toBe(true);
  });

  it('revoking one session by its public id ends only that session', async () => {
    const { userId, token } = await userWithSession(a);
    const second = await a.deps.sessions.create(userId, { ip: '127.0.0.2', userAgent: 'other' });
    const info = await a.deps.sessions.validate(second.token);
    await a.deps.sessions.validate(token);
    expect(await a.deps.sessions.invalidateByPublicId(userId, info.session?.publicId as string)).toBe(true);
    expect((await a.deps.sessions.validate(second.token)).user).toBeNull();
    expect((await a.deps.sessions.validate(token)).user).not.toBeNull();
    // Another user's public id is not found.
    expect(await a.deps.sessions.invalidateByPublicId('someone-else', info.session?.publicId as string)).toBe(false);
  });

  it('a session served from memory is still renewed once half its idle lifetime has passed', async () => {
    // A one-minute idle lifetime and a cache that keeps entries for the whole minute.
    const c = await createHarness({
      SESSION_CACHE_MS: '60000',
      SESSION_IDLE_HOURS: String(1 / 60),
      MONGODB_DB: a.env.MONGODB_DB,
    });
    try {
      const { token } = await userWithSession(c);
      const first = await c.deps.sessions.validate(token);
      expect(first.user).not.toBeNull();
      expect(first.setCookie, 'a new session needs no renewal').toBeNull();
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 35_000 });
      const later = await c.deps.sessions.validate(token);
      expect(later.user?.id).toBe(first.user?.id);
      expect(later.setCookie, 'the renewal cookie, though the session was in the cache').toContain(token);
      expect(later.session?.expiresAt.getTime()).toBeGreaterThan(first.session?.expiresAt.getTime() as number);
    } finally {
      vi.useRealTimers();
      await c.deps.db.close();
    }
  });
});
