// Sessions and their cookie: flags, where the token may
// appear, hashed storage, fixation, entropy, logout, lifetimes, listing/revoking, disabling users.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { parseEnv } from '../../src/env';
import { createServerDeps } from '../../src/server';
import { createApp } from '../../src/app';
import { createMailer } from '../../src/email/mailer';
import { disableUser } from '../../src/auth/users';
import { sha256 } from '../../src/lib/ids';
import { createHarness, testEnv, type Harness } from '../setup/harness';
import { codeFrom, linkFrom, sendsSettled, waitForEmail, watchSends } from '../setup/mailpit';
import {
  createAccount,
  errorOf,
  GOOD_PASSWORD,
  login,
  me,
  newBrowser,
  sessionCookie,
  signUp,
  uniqueEmail,
} from '../fixtures/accounts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

type SessionRow = { id: string; current: boolean; ip: string; userAgent: string; createdAt: string; lastSeenAt: string };

function parseSetCookie(header: string) {
  const [pair, ...attrs] = header.split(';').map((s) => s.trim());
  const flags = new Map(
    attrs.map((a) => {
      const [k, ...v] = a.split('=');
      return [(k ?? '').toLowerCase(), v.join('=')] as const;
    }),
  );
  const idx = (pair ?? '').indexOf('=');
  return { name: (pair ?? '').slice(0, idx), value: (pair ?? '').slice(idx + 1), flags };
}

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/ and has no Domain (development)', async () => {
    const b = newBrowser(h);
    const res = await b.mutation('auth.signup', { email: uniqueEmail(), password: GOOD_PASSWORD });
    const cookies = res.res.headers.getSetCookie().map(parseSetCookie);
    const session = cookies.find((c) => c.name === 'dropin_session');
    expect(session, 'session cookie set').toBeDefined();
    const flags = session?.flags ?? new Map();
    expect(flags.has('httponly')).toBe(true);
    expect(flags.get('samesite')?.toLowerCase()).toBe('lax');
    expect(flags.get('path')).toBe('/');
    expect(flags.has('domain')).toBe(false);
  });

  it('in production is also Secure and carries the __Host- prefix', async () => {
    const env = parseEnv({
      NODE_ENV: 'production',
      PORT: '0',
      PUBLIC_URL: 'https://dropin.test',
      LOG_LEVEL: 'silent',
      MONGODB_URI: inject('mongoUri'),
      MONGODB_DB: `t_prod_${crypto.randomUUID().slice(0, 8)}`,
      SMTP_URL: inject('smtpUrl'),
      STRIPE_SECRET_KEY: 'sk_test_production_variant',
      STRIPE_WEBHOOK_SECRET: 'whsec_production_variant',
    });
    const deps = await createServerDeps(env);
    try {
      const app = createApp(deps);
      const res = await app.request(
        'https://dropin.test/trpc/auth.signup',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: 'https://dropin.test' },
          body: JSON.stringify({ email: uniqueEmail(), password: GOOD_PASSWORD }),
        },
        { incoming: { socket: { remoteAddress: '10.9.9.9' } } },
      );
      expect(res.status).toBe(200);
      const session = res.headers
        .getSetCookie()
        .map(parseSetCookie)
        .find((c) => c.name.includes('dropin_session'));
      expect(session?.name).toBe('__Host-dropin_session');
      const flags = session?.flags ?? new Map();
      expect(flags.has('secure')).toBe(true);
      expect(flags.has('httponly')).toBe(true);
      expect(flags.get('samesite')?.toLowerCase()).toBe('lax');
      expect(flags.get('path')).toBe('/');
      expect(flags.has('domain')).toBe(false);
    } finally {
      await deps.db.db.dropDatabase().catch(() => {});
      deps.mailer.close();
      await deps.db.close();
    }
  });
});

describe('session token', () => {
  it('appears only in the cookie: not in response bodies nor the session list', async () => {
    const b = newBrowser(h);
    const email = uniqueEmail();
    const signup = await b.mutation('auth.signup', { email, password: GOOD_PASSWORD });
    const token = sessionCookie(b) as string;
    expect(token).toBeTruthy();
    const loginRes = await b.mutation('auth.login', { email, password: GOOD_PASSWORD });
    const token2 = sessionCookie(b) as string;
    const bodies = [JSON.stringify(signup.body), JSON.stringify(loginRes.body)];
    bodies.push(JSON.stringify((await b.query('auth.me')).body));
    bodies.push(JSON.stringify((await b.query('account.sessions')).body));
    for (const body of bodies) {
      expect(body).not.toContain(token);
      expect(body).not.toContain(token2);
      expect(body).not.toContain(sha256(token2));
    }
  });

  it('is stored only as a hash: the sessions collection cannot log anyone in', async () => {
    const { b, userId } = await createAccount(h);
    const token = sessionCookie(b) as string;
    const rows = await h.deps.db.c.sessions.find({ userId }).toArray();
    expect(rows).toHaveLength(1);
    expect(rows[0]?._id).toBe(sha256(token));
    expect(JSON.stringify(rows)).not.toContain(token);
    // Presenting the stored value as a cookie logs no one in.
    const thief = newBrowser(h);
    thief.cookies.set('dropin_session', rows[0]?._id as string);
    expect(await me(thief)).toBeNull();
  });

  it('has at least 128 bits from the CSPRNG: 1,000 tokens, no duplicates', async () => {
    const { userId } = await createAccount(h, { password: null });
    const tokens = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      tokens.add((await h.deps.sessions.create(userId, { ip: '10.0.0.1', userAgent: 'entropy test' })).token);
    }
    expect(tokens.size).toBe(1000);
    for (const t of tokens) {
      // Lucia tokens are lower-case base32: 5 bits a character.
      expect(t).toMatch(/^[a-z2-7]+$/);
      expect(t.length * 5).toBeGreaterThanOrEqual(128);
    }
    await h.deps.sessions.invalidateAll(userId);
  });

  it('never reaches a log line (nor do passwords or emailed codes)', async () => {
    const lines: string[] = [];
    const deps = await createServerDeps(testEnv({ LOG_LEVEL: 'trace' }));
    deps.log = pino(
      { level: 'trace' },
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    deps.mailer.close();
    deps.mailer = createMailer(deps.env.SMTP_URL as string, deps.env.MAIL_FROM, deps.log);
    watchSends(deps.mailer);
    try {
      const app = createApp(deps);
      const email = uniqueEmail();
      const call = (path: string, body: unknown, cookie = '') =>
        app.request(
          `${h.env.PUBLIC_URL}/trpc/${path}`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', origin: h.env.PUBLIC_URL, cookie },
            body: JSON.stringify(body),
          },
          { incoming: { socket: { remoteAddress: '10.8.8.8' } } },
        );
      const res = await call('auth.signup', { email, password: GOOD_PASSWORD });
      const cookie = (res.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
      const token = cookie.split('=')[1] as string;
      expect(token.length).toBeGreaterThan(20);
      await call('auth.login', { email, password: GOOD_PASSWORD }, cookie);
      await call('auth.logout', {}, cookie);
      await call('auth.requestPasswordReset', { email });
      const code = codeFrom(await waitForEmail(email, /verification code/));
      const resetLink = linkFrom(await waitForEmail(email, /Reset your DropIn password/), `${h.env.PUBLIC_URL}/reset-password`);
      const resetToken = new URL(resetLink).searchParams.get('token') as string;
      // Each send logs once it is done: wait for all of them, not just for Mailpit to have the mail.
      await sendsSettled(deps.mailer);
      const all = lines.join('\n');
      expect(all, 'the mailer logged through the captured logger').toContain('email sent');
      expect(all).not.toContain(code);
      expect(all).not.toContain(resetToken);
      expect(all).not.toContain(token);
      expect(all).not.toContain(GOOD_PASSWORD);
    } finally {
      await deps.db.db.dropDatabase().catch(() => {});
      deps.mailer.close();
      await deps.db.close();
    }
  });
});

describe('fixation and logout', () => {
  it('issues a new token at login and refuses the one presented before', async () => {
    const { b, email } = await createAccount(h);
    const before = sessionCookie(b) as string;
    await login(b, email, GOOD_PASSWORD);
    const after = sessionCookie(b) as string;
    expect(after).not.toBe(before);
    const old = newBrowser(h);
    old.cookies.set('dropin_session', before);
    expect(await me(old)).toBeNull();
    expect(await me(b)).not.toBeNull();
  });

  it('logging in while the old session is due for renewal still leaves the browser with the new token', async () => {
    const { b, email, userId } = await createAccount(h);
    const before = sessionCookie(b) as string;
    // Less than half the idle lifetime left: validating it sends a renewal cookie for the old token.
    await h.deps.db.c.sessions.updateMany({ userId }, { $set: { expiresAt: new Date(Date.now() + 60_000) } });
    await login(b, email, GOOD_PASSWORD);
    expect(sessionCookie(b)).not.toBe(before);
    expect(await me(b), 'the browser kept a working session').not.toBeNull();
  });

  it('ignores an attacker-chosen cookie value and issues its own', async () => {
    const { email } = await createAccount(h);
    const b = newBrowser(h);
    b.cookies.set('dropin_session', 'attackerchosenvalueaaaaaaaaaaaaaaaaaaaaa');
    await login(b, email, GOOD_PASSWORD);
    expect(sessionCookie(b)).not.toBe('attackerchosenvalueaaaaaaaaaaaaaaaaaaaaa');
    // The refused cookie's clearing must not undo the new one.
    expect(await me(b), 'logged in with the issued token').not.toBeNull();
  });

  it('refuses the old cookie after logout', async () => {
    const { b } = await createAccount(h);
    const token = sessionCookie(b) as string;
    await b.mutation('auth.logout', {});
    const replay = newBrowser(h);
    replay.cookies.set('dropin_session', token);
    expect(await me(replay)).toBeNull();
    expect((await replay.query('account.sessions')).status).toBe(401);
  });

  it('logoutEverywhere ends every session of the user, including this one', async () => {
    const { b, email } = await createAccount(h);
    const other = newBrowser(h);
    await login(other, email, GOOD_PASSWORD);
    const res = await b.mutation<{ ok: true; revoked: number }>('auth.logoutEverywhere', {});
    expect(res.body.result?.data).toEqual({ ok: true, revoked: 2 });
    expect(await me(b)).toBeNull();
    expect(await me(other)).toBeNull();
  });
});

describe('lifetimes', () => {
  it('enforces the idle lifetime', async () => {
    const { b, userId } = await createAccount(h);
    await h.deps.db.c.sessions.updateMany({ userId }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await me(b)).toBeNull();
  });

  it('enforces the absolute lifetime even when the idle one is fresh', async () => {
    const { b, userId } = await createAccount(h);
    await h.deps.db.c.sessions.updateMany(
      { userId },
      { $set: { expiresAt: new Date(Date.now() + 3600_000), absoluteExpiresAt: new Date(Date.now() - 1000) } },
    );
    expect(await me(b)).toBeNull();
  });

  it('slides the idle expiry on use but never past the absolute limit', async () => {
    const { b, userId } = await createAccount(h);
    const absolute = new Date(Date.now() + 2 * 3600_000);
    const idle = new Date(Date.now() + 60_000);
    await h.deps.db.c.sessions.updateMany({ userId }, { $set: { expiresAt: idle, absoluteExpiresAt: absolute } });
    expect(await me(b)).not.toBeNull();
    const row = await h.deps.db.c.sessions.findOne({ userId });
    expect(row?.expiresAt.getTime(), 'renewed').toBeGreaterThan(idle.getTime());
    expect(row?.expiresAt.getTime(), 'capped').toBeLessThanOrEqual(absolute.getTime());
  });

  it('uses idle and absolute lifetimes from the environment', async () => {
    const { userId } = await createAccount(h);
    const row = await h.deps.db.c.sessions.findOne({ userId });
    if (!row) throw new Error('no session row');
    const created = row.createdAt.getTime();
    expect(row.absoluteExpiresAt.getTime() - created).toBeLessThanOrEqual(h.env.SESSION_ABSOLUTE_HOURS * 3600_000 + 5000);
    expect(row.expiresAt.getTime() - created).toBeLessThanOrEqual(h.env.SESSION_IDLE_HOURS * 3600_000 + 5000);
  });
});

describe('listing and revoking sessions', () => {
  it("lists the user's sessions with device, IP and last seen; marks the current one", async () => {
    const { b, email } = await createAccount(h);
    const phone = h.browser({ ip: '10.77.0.1', userAgent: 'Phone Browser/1.0' });
    await login(phone, email, GOOD_PASSWORD);
    const res = await b.query<{ sessions: SessionRow[] }>('account.sessions');
    const sessions = res.body.result?.data.sessions ?? [];
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    const other = sessions.find((s) => !s.current);
    expect(other).toMatchObject({ ip: '10.77.0.1', userAgent: 'Phone Browser/1.0' });
    expect(Object.keys(other ?? {}).sort()).toEqual(['createdAt', 'current', 'id', 'ip', 'lastSeenAt', 'userAgent']);
    expect(new Date(other?.lastSeenAt ?? '').toISOString()).toBe(other?.lastSeenAt);
  });

  it("revokes another of the user's own sessions", async () => {
    const { b, email } = await createAccount(h);
    const other = newBrowser(h);
    await login(other, email, GOOD_PASSWORD);
    const list = (await b.query<{ sessions: SessionRow[] }>('account.sessions')).body.result?.data.sessions ?? [];
    const target = list.find((s) => !s.current) as SessionRow;
    const res = await b.mutation('account.revokeSession', { id: target.id });
    expect(res.body).toEqual({ result: { data: { ok: true } } });
    expect(await me(other)).toBeNull();
    expect(await me(b)).not.toBeNull();
  });

  it("answers 404 for another user's session id, and leaves it alive", async () => {
    const alice = await createAccount(h);
    const bob = await createAccount(h);
    const bobs = (await bob.b.query<{ sessions: SessionRow[] }>('account.sessions')).body.result?.data.sessions ?? [];
    const res = await alice.b.mutation('account.revokeSession', { id: bobs[0]?.id });
    expect(res.status).toBe(404);
    expect(errorOf(res.body).data.code).toBe('NOT_FOUND');
    expect(await me(bob.b)).not.toBeNull();
  });

  it("answers 404 for another user's session ids inside a tRPC batch too", async () => {
    const alice = await createAccount(h);
    const bob = await createAccount(h);
    const bobOther = newBrowser(h);
    await login(bobOther, bob.email, GOOD_PASSWORD);
    const ids = ((await bob.b.query<{ sessions: SessionRow[] }>('account.sessions')).body.result?.data.sessions ?? []).map(
      (s) => s.id,
    );
    expect(ids).toHaveLength(2);
    const res = await alice.b.request('/trpc/account.revokeSession,account.revokeSession?batch=1', {
      method: 'POST',
      json: { 0: { id: ids[0] }, 1: { id: ids[1] } },
    });
    const body = (await res.json()) as { error?: { data: { httpStatus: number } } }[];
    expect(body).toHaveLength(2);
    expect(body.map((r) => r.error?.data.httpStatus)).toEqual([404, 404]);
    expect(await me(bob.b)).not.toBeNull();
    expect(await me(bobOther)).not.toBeNull();
  });

  it('revoking the current session logs this browser out', async () => {
    const { b } = await createAccount(h);
    const list = (await b.query<{ sessions: SessionRow[] }>('account.sessions')).body.result?.data.sessions ?? [];
    await b.mutation('account.revokeSession', { id: list[0]?.id });
    expect(await me(b)).toBeNull();
  });
});

describe('disabling and deleting users', () => {
  it('disabling a user ends all their sessions at once', async () => {
    const { b, email, userId } = await createAccount(h);
    const other = newBrowser(h);
    await login(other, email, GOOD_PASSWORD);
    await disableUser(h.deps, { userId });
    expect(await me(b)).toBeNull();
    expect(await me(other)).toBeNull();
    expect(await h.deps.db.c.sessions.countDocuments({ userId })).toBe(0);
  });

  it('a signed-up session works right away', async () => {
    const { b } = await signUp(h);
    expect(await me(b)).not.toBeNull();
  });
});
