// Two-factor sign-in over tRPC/HTTP with FerretDB: enrolment, the code step after the password,
// single-use codes, recovery codes, remembered devices, turning it off, the admin reset and
// ADMIN_REQUIRE_2FA.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditView } from '../../src/admin/audit';
import { consumePendingLogin, forgetDevices, pendingLoginUser } from '../../src/auth/two-factor/second-factor';
import { totpCode, totpStep } from '../../src/auth/two-factor/totp';
import { createUser } from '../../src/auth/users';
import { createAccount, errorOf, GOOD_PASSWORD, login, me, newBrowser } from '../fixtures/accounts';
import { type Browser, createHarness, type Harness } from '../setup/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** An enrolled account and a source of authenticator codes, each step handed out once. */
interface Enrolled {
  b: Browser;
  email: string;
  userId: string;
  secret: string;
  recoveryCodes: string[];
  code(): string;
}

function codes(secret: string) {
  const used = new Set<number>();
  return () => {
    // The server accepts the current step and one either side; each step only once per user.
    const now = totpStep();
    const step = [now, now + 1, now - 1].find((s) => !used.has(s));
    if (step === undefined) throw new Error('no unused step left in this window');
    used.add(step);
    return totpCode(secret, step);
  };
}

async function ok<T>(p: Promise<{ status: number; body: { result?: { data: T }; error?: { message: string } } }>) {
  const res = await p;
  expect(res.status, JSON.stringify(res.body.error)).toBe(200);
  return (res.body.result as { data: T }).data;
}

async function enrol(b: Browser): Promise<{ secret: string; recoveryCodes: string[]; code: () => string }> {
  const password = GOOD_PASSWORD;
  const start = await ok<{ secret: string; uri: string; qrSvg: string }>(b.mutation('twoFactor.start', { password }));
  const code = codes(start.secret);
  const { recoveryCodes } = await ok<{ recoveryCodes: string[] }>(b.mutation('twoFactor.confirm', { code: code(), password }));
  return { secret: start.secret, recoveryCodes, code };
}

async function enrolledAccount(): Promise<Enrolled> {
  const a = await createAccount(h);
  return { ...a, ...(await enrol(a.b)) };
}

type LoginAnswer = { ok: true; twoFactorRequired: boolean; pendingToken?: string };

async function passwordStep(b: Browser, email: string, password = GOOD_PASSWORD): Promise<LoginAnswer> {
  return ok<LoginAnswer>(b.mutation('auth.login', { email, password }));
}

describe('enrolment', () => {
  it('shows a QR code and the secret once, turns on only after a code from the app, and returns ten recovery codes', async () => {
    const { b, userId, email } = await createAccount(h);
    const start = await ok<{ secret: string; uri: string; qrSvg: string }>(
      b.mutation('twoFactor.start', { password: GOOD_PASSWORD }),
    );
    expect(start.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(start.uri).toContain(`secret=${start.secret}`);
    expect(start.uri).toContain(encodeURIComponent(email));

    let status = await ok<{ enabled: boolean }>(b.query('twoFactor.status'));
    expect(status.enabled, 'not on before the code is confirmed').toBe(false);
    expect((await passwordStep(newBrowser(h), email)).twoFactorRequired).toBe(false);

    const wrong = await b.mutation('twoFactor.confirm', {
      code: totpCode(start.secret, totpStep() + 5),
      password: GOOD_PASSWORD,
    });
    expect(wrong.status).toBe(400);
    expect(errorOf(wrong.body).data.fieldErrors?.code).toMatch(/not right/);

    const { recoveryCodes } = await ok<{ recoveryCodes: string[] }>(
      b.mutation('twoFactor.confirm', { code: totpCode(start.secret), password: GOOD_PASSWORD }),
    );
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    status = await ok<{ enabled: boolean; recoveryCodesLeft: number }>(b.query('twoFactor.status'));
    expect(status).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });
    expect(JSON.stringify(status)).not.toContain(start.secret);
    expect(await me(b)).toMatchObject({ twoFactorEnabled: true });

    // Stored hashed: no row holds a code.
    const rows = await h.deps.db.c.recoveryCodes.find({ userId }).toArray();
    expect(rows).toHaveLength(10);
    for (const row of rows) {
      expect(row.hash.startsWith('$argon2id$')).toBe(true);
      for (const code of recoveryCodes) expect(row.hash).not.toContain(code.replace('-', ''));
    }
    // The secret is never sent again: starting over is refused while two-factor is on.
    const again = await b.mutation('twoFactor.start', { password: GOOD_PASSWORD });
    expect(again.status).toBe(409);
  });

  it('needs the current password to start and to confirm, and ends every other session of the account', async () => {
    const a = await createAccount(h);
    const other = newBrowser(h);
    await login(other, a.email, GOOD_PASSWORD);
    expect((await me(other))?.email).toBe(a.email);

    const noPassword = await a.b.mutation('twoFactor.start', {});
    expect(noPassword.status).toBe(400);
    expect(errorOf(noPassword.body).data.fieldErrors?.password).toMatch(/current password/);
    const wrongPassword = await a.b.mutation('twoFactor.start', { password: 'not the password at all' });
    expect(wrongPassword.status).toBe(400);
    expect(errorOf(wrongPassword.body).data.fieldErrors?.password).toMatch(/not right/);
    expect(await h.deps.db.c.twoFactorSecrets.countDocuments({ _id: a.userId }), 'no secret made').toBe(0);

    const start = await ok<{ secret: string }>(a.b.mutation('twoFactor.start', { password: GOOD_PASSWORD }));
    const unconfirmed = await a.b.mutation('twoFactor.confirm', { code: totpCode(start.secret) });
    expect(unconfirmed.status).toBe(400);
    expect(errorOf(unconfirmed.body).data.fieldErrors?.password).toMatch(/current password/);
    expect((await ok<{ enabled: boolean }>(a.b.query('twoFactor.status'))).enabled).toBe(false);
    expect((await me(other))?.email, 'nothing changed yet').toBe(a.email);

    await ok(a.b.mutation('twoFactor.confirm', { code: totpCode(start.secret), password: GOOD_PASSWORD }));
    expect(await me(other), 'the other session ended').toBeNull();
    expect((await me(a.b))?.email, 'this one goes on').toBe(a.email);
  });
});

describe('login with two-factor on', () => {
  it('asks for the code after a correct password, with no session until the code is accepted', async () => {
    const a = await enrolledAccount();
    const b = newBrowser(h);
    const step = await passwordStep(b, a.email);
    expect(step.twoFactorRequired).toBe(true);
    expect(step.pendingToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(b.cookies.has('dropin_session'), 'no session yet').toBe(false);
    expect(await me(b)).toBeNull();

    const wrong = await b.mutation('auth.verifyTwoFactor', { pendingToken: step.pendingToken, code: '000000' });
    expect(wrong.status).toBe(400);
    expect(errorOf(wrong.body).data.fieldErrors?.code).toMatch(/not right/);

    await ok(b.mutation('auth.verifyTwoFactor', { pendingToken: step.pendingToken, code: a.code() }));
    expect((await me(b))?.email).toBe(a.email);

    // The pending login started one session; it cannot be used again.
    const reused = await newBrowser(h).mutation('auth.verifyTwoFactor', { pendingToken: step.pendingToken, code: a.code() });
    expect(reused.status).toBe(401);
  });

  it('a pending login whose row went away while its code was checked starts no session', async () => {
    const a = await enrolledAccount();
    const { pendingToken } = await passwordStep(newBrowser(h), a.email);
    const token = pendingToken as string;
    expect(await pendingLoginUser(h.deps, token)).toBe(a.userId);
    // What a password change (or two-factor turned off) does meanwhile: every pending login ends.
    await forgetDevices(h.deps, a.userId);
    expect(await consumePendingLogin(h.deps, token)).toBe(false);
  });

  it('counts wrong codes against the per-user limit, never correct ones', async () => {
    const a = await enrolledAccount();
    // More correct codes than the limit allows attempts (ten in 15 minutes): each signs in.
    for (const recoveryCode of a.recoveryCodes) {
      const b = newBrowser(h);
      const { pendingToken } = await passwordStep(b, a.email);
      await ok(b.mutation('auth.verifyTwoFactor', { pendingToken, recoveryCode }));
    }
    const b = newBrowser(h);
    const { pendingToken } = await passwordStep(b, a.email);
    await ok(b.mutation('auth.verifyTwoFactor', { pendingToken, code: a.code() }));

    // Wrong codes do count: ten of them (over several pending logins) and even a right one waits.
    for (let i = 0; i < 2; i++) {
      const c = newBrowser(h);
      const p = await passwordStep(c, a.email);
      for (let j = 0; j < 5; j++) {
        expect((await c.mutation('auth.verifyTwoFactor', { pendingToken: p.pendingToken, code: '000000' })).status).toBe(400);
      }
    }
    const late = newBrowser(h);
    const p = await passwordStep(late, a.email);
    expect((await late.mutation('auth.verifyTwoFactor', { pendingToken: p.pendingToken, code: a.code() })).status).toBe(429);
  });

  it('refuses a code already used in its time step', async () => {
    const a = await enrolledAccount();
    const code = a.code();
    const first = newBrowser(h);
    const p1 = await passwordStep(first, a.email);
    await ok(first.mutation('auth.verifyTwoFactor', { pendingToken: p1.pendingToken, code }));

    const second = newBrowser(h);
    const p2 = await passwordStep(second, a.email);
    const replay = await second.mutation('auth.verifyTwoFactor', { pendingToken: p2.pendingToken, code });
    expect(replay.status).toBe(400);
    expect(errorOf(replay.body).data.fieldErrors?.code).toMatch(/already used/);
    expect(await me(second)).toBeNull();
  });

  it('accepts each recovery code once', async () => {
    const a = await enrolledAccount();
    const recoveryCode = (a.recoveryCodes[3] as string).toUpperCase();
    const b = newBrowser(h);
    const p1 = await passwordStep(b, a.email);
    const res = await ok<{ recoveryCodesLeft: number | null }>(
      b.mutation('auth.verifyTwoFactor', { pendingToken: p1.pendingToken, recoveryCode }),
    );
    expect(res.recoveryCodesLeft).toBe(9);

    const c = newBrowser(h);
    const p2 = await passwordStep(c, a.email);
    const again = await c.mutation('auth.verifyTwoFactor', { pendingToken: p2.pendingToken, recoveryCode });
    expect(again.status).toBe(400);
    expect(errorOf(again.body).data.fieldErrors?.recoveryCode).toMatch(/already used/);
  });

  it('limits the codes tried on one pending login', async () => {
    const a = await enrolledAccount();
    const b = newBrowser(h);
    const { pendingToken } = await passwordStep(b, a.email);
    for (let i = 0; i < 5; i++) {
      expect((await b.mutation('auth.verifyTwoFactor', { pendingToken, code: '000000' })).status).toBe(400);
    }
    const limited = await b.mutation('auth.verifyTwoFactor', { pendingToken, code: a.code() });
    expect(limited.status).toBe(429);
    expect(await me(b)).toBeNull();
  });

  it('skips the code on a remembered device until the password changes', async () => {
    const a = await enrolledAccount();
    const b = newBrowser(h);
    const p1 = await passwordStep(b, a.email);
    await ok(b.mutation('auth.verifyTwoFactor', { pendingToken: p1.pendingToken, code: a.code(), rememberDevice: true }));
    expect(b.cookies.get('dropin_device')).toBeTruthy();
    expect(await ok<{ rememberedDevices: number }>(b.query('twoFactor.status'))).toMatchObject({ rememberedDevices: 1 });

    await ok(b.mutation('auth.logout'));
    expect((await passwordStep(b, a.email)).twoFactorRequired, 'remembered').toBe(false);
    expect((await me(b))?.email).toBe(a.email);

    // Another browser is not remembered, and the cookie is bound to its user.
    const other = await enrolledAccount();
    const stranger = newBrowser(h);
    stranger.cookies.set('dropin_device', b.cookies.get('dropin_device') as string);
    expect((await passwordStep(stranger, other.email)).twoFactorRequired).toBe(true);

    await ok(b.mutation('account.changePassword', { currentPassword: GOOD_PASSWORD, newPassword: 'a-brand-new-passphrase' }));
    await ok(b.mutation('auth.logout'));
    expect((await passwordStep(b, a.email, 'a-brand-new-passphrase')).twoFactorRequired, 'forgotten').toBe(true);
  });
});

describe('turning it off', () => {
  it('needs the password and a code, then logins no longer ask', async () => {
    const a = await enrolledAccount();
    const noPassword = await a.b.mutation('twoFactor.disable', { password: 'not the password', code: a.code() });
    expect(noPassword.status).toBe(400);
    expect(errorOf(noPassword.body).data.fieldErrors?.password).toBeTruthy();
    const noCode = await a.b.mutation('twoFactor.disable', { password: GOOD_PASSWORD, code: '000000' });
    expect(noCode.status).toBe(400);
    expect((await ok<{ enabled: boolean }>(a.b.query('twoFactor.status'))).enabled).toBe(true);

    await ok(a.b.mutation('twoFactor.disable', { password: GOOD_PASSWORD, code: a.code() }));
    expect(await ok<{ enabled: boolean; recoveryCodesLeft: number }>(a.b.query('twoFactor.status'))).toMatchObject({
      enabled: false,
      recoveryCodesLeft: 0,
    });
    expect(await h.deps.db.c.twoFactorSecrets.countDocuments({ _id: a.userId })).toBe(0);
    expect((await passwordStep(newBrowser(h), a.email)).twoFactorRequired).toBe(false);
  });

  it('regenerating recovery codes needs a code and replaces the old set', async () => {
    const a = await enrolledAccount();
    const { recoveryCodes } = await ok<{ recoveryCodes: string[] }>(
      a.b.mutation('twoFactor.regenerateRecoveryCodes', { code: a.code() }),
    );
    expect(recoveryCodes).toHaveLength(10);
    const b = newBrowser(h);
    const p = await passwordStep(b, a.email);
    const old = await b.mutation('auth.verifyTwoFactor', { pendingToken: p.pendingToken, recoveryCode: a.recoveryCodes[0] });
    expect(old.status).toBe(400);
    await ok(b.mutation('auth.verifyTwoFactor', { pendingToken: p.pendingToken, recoveryCode: recoveryCodes[0] }));
  });
});

async function adminBrowser(harness: Harness): Promise<{ b: Browser; id: string; email: string }> {
  const email = `admin-${randomUUID()}@example.test`;
  const user = await createUser(harness.deps, {
    email,
    password: GOOD_PASSWORD,
    name: 'Ada Admin',
    emailVerified: true,
    role: 'admin',
  });
  const b = harness.browser({ ip: '10.9.9.9' });
  const { token } = await harness.deps.sessions.create(user._id, { ip: '10.9.9.9', userAgent: 'test' });
  b.cookies.set('dropin_session', token);
  return { b, id: user._id, email };
}

describe('admin reset', () => {
  it("turns off a user's two-factor and is audited with the state before and after", async () => {
    const a = await enrolledAccount();
    const admin = await adminBrowser(h);
    const actionId = randomUUID().replaceAll('-', '');
    await ok(admin.b.mutation('admin.resetTwoFactor', { userId: a.userId, actionId }));
    expect((await ok<{ enabled: boolean }>(a.b.query('twoFactor.status'))).enabled).toBe(false);
    expect((await passwordStep(newBrowser(h), a.email)).twoFactorRequired).toBe(false);

    const { entries } = await ok<{ entries: AuditView[] }>(admin.b.query('admin.audit', { userId: a.userId }));
    const entry = entries.find((e) => e.action === 'reset_two_factor');
    expect(entry).toMatchObject({ outcome: 'ok', targetId: a.userId });
    expect(JSON.parse(entry?.before ?? '{}')).toMatchObject({ twoFactor: true });
    expect(JSON.parse(entry?.after ?? '{}')).toMatchObject({ twoFactor: false });

    const user = await createAccount(h);
    const refused = await user.b.mutation('admin.resetTwoFactor', {
      userId: a.userId,
      actionId: randomUUID().replaceAll('-', ''),
    });
    expect(refused.status).toBe(403);
  });
});

describe('ADMIN_REQUIRE_2FA', () => {
  let strict: Harness;
  beforeAll(async () => {
    strict = await createHarness({ ADMIN_REQUIRE_2FA: 'true' });
  });
  afterAll(() => strict?.close());

  it('refuses admin procedures to an admin without two-factor until they enrol', async () => {
    const admin = await adminBrowser(strict);
    const meBefore = await ok<{ adminRequiresTwoFactor: boolean; user: { twoFactorEnabled: boolean } }>(admin.b.query('auth.me'));
    expect(meBefore).toMatchObject({ adminRequiresTwoFactor: true, user: { twoFactorEnabled: false } });
    const refused = await admin.b.query('admin.audit', {});
    expect(refused.status).toBe(403);
    expect(errorOf(refused.body).message).toMatch(/two-factor/);
    const upload = await admin.b.request('/api/admin/content/anything/file?name=a.txt', {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(upload.status).toBe(403);
    expect(await upload.text()).toMatch(/two-factor/);

    // Enrolling is open to them (it is not an admin procedure). The admin area then opens to a
    // session that passed the second factor at sign-in, not to this one, which started without it.
    const { code } = await enrol(admin.b);
    const stale = await admin.b.query('admin.audit', {});
    expect(stale.status).toBe(403);
    expect(errorOf(stale.body).message).toMatch(/sign in again/i);
    expect(await ok(admin.b.query('auth.me'))).toMatchObject({ adminRequiresTwoFactor: true, adminTwoFactor: 'sign-in' });

    const fresh = newBrowser(strict);
    const { pendingToken } = await passwordStep(fresh, admin.email);
    await ok(fresh.mutation('auth.verifyTwoFactor', { pendingToken, code: code() }));
    expect(await ok(fresh.query('auth.me'))).toMatchObject({ adminTwoFactor: null });
    expect((await fresh.query('admin.audit', {})).status).toBe(200);
  });

  it('keeps out a session of a two-factor admin that never passed the second factor', async () => {
    const admin = await adminBrowser(strict);
    const { code } = await enrol(admin.b);
    // A session started without the code step (as one from before enrolment was): the account has
    // two-factor on, this session has not shown it.
    const { token } = await strict.deps.sessions.create(admin.id, { ip: '10.9.9.8', userAgent: 'test' });
    const unverified = strict.browser({ ip: '10.9.9.8' });
    unverified.cookies.set('dropin_session', token);
    const refused = await unverified.query('admin.audit', {});
    expect(refused.status).toBe(403);
    expect(errorOf(refused.body).message).toMatch(/sign in again/i);
    const upload = await unverified.request('/api/admin/content/anything/file?name=a.txt', {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(upload.status).toBe(403);
    expect(await upload.text()).toMatch(/sign in again/i);

    // A browser remembered after a code counts: the device stands for the second factor.
    const b = newBrowser(strict);
    const first = await passwordStep(b, admin.email);
    await ok(b.mutation('auth.verifyTwoFactor', { pendingToken: first.pendingToken, code: code(), rememberDevice: true }));
    await ok(b.mutation('auth.logout'));
    expect((await passwordStep(b, admin.email)).twoFactorRequired).toBe(false);
    expect((await b.query('admin.audit', {})).status).toBe(200);
  });
});
