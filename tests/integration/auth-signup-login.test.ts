// Sign-up, email verification, login and logout over real HTTP, with FerretDB and Mailpit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../setup/harness';
import { codeFrom, inbox, linkFrom, sendsSettled, waitForEmail, watchSends } from '../setup/mailpit';
import { createAccount, errorOf, GOOD_PASSWORD, login, me, newBrowser, signUp, uniqueEmail } from '../fixtures/accounts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  watchSends(h.deps.mailer);
});
afterAll(() => h.close());

describe('sign-up', () => {
  it('creates an unverified account, logs it in and emails a 6-digit code', async () => {
    const { b, email } = await signUp(h);
    const user = await me(b);
    expect(user).toMatchObject({ email, emailVerified: false, hasPassword: true });
    const mail = await waitForEmail(email, /verification code/);
    expect(codeFrom(mail)).toMatch(/^\d{6}$/);
    expect(mail.html).toContain(codeFrom(mail));
  });

  it('trims and lower-cases the email', async () => {
    const raw = uniqueEmail();
    const b = newBrowser(h);
    const res = await b.mutation('auth.signup', { email: `  ${raw.toUpperCase()} `, password: GOOD_PASSWORD });
    expect(res.status).toBe(200);
    expect((await me(b))?.email).toBe(raw);
  });

  it('answers an existing email exactly like a new one, without a session, and tells the owner', async () => {
    const owner = await createAccount(h);
    const fresh = await newBrowser(h).mutation('auth.signup', { email: uniqueEmail(), password: 'another-fine-passphrase' });
    const b = newBrowser(h);
    const again = await b.mutation('auth.signup', { email: owner.email, password: 'another-fine-passphrase' });
    expect(again.status).toBe(fresh.status);
    expect(again.body).toEqual(fresh.body);
    expect(b.cookies.size, "no session for someone else's account").toBe(0);
    await waitForEmail(owner.email, /tried to sign up/);
    expect(await h.deps.db.c.users.countDocuments({ email: owner.email })).toBe(1);
  });

  it('accepts 8+ characters of any Unicode and 64+ characters, without truncation', async () => {
    const unicode = 'Ünïcödé-пароль-密码-🔑🔑';
    const a = await signUp(h, { password: unicode });
    const b = newBrowser(h);
    await login(b, a.email, unicode);

    const long = `${'x7-'.repeat(40)}end`; // 123 characters
    const c = await signUp(h, { password: long });
    // No truncation: the same 72-byte prefix with a different ending must not log in.
    const res = await newBrowser(h).mutation('auth.login', { email: c.email, password: `${long.slice(0, -3)}END` });
    expect(res.status).toBe(400);
    await login(newBrowser(h), c.email, long);
  });

  it('normalises passwords with NFKC, so the same text typed differently logs in', async () => {
    const composed = 'caf\u00e9-terrace-long'; // é as one code point
    const a = await signUp(h, { password: composed });
    await login(newBrowser(h), a.email, 'cafe\u0301-terrace-long'); // e + combining accent
  });

  it('rejects short, very common and email-equal passwords with a field error', async () => {
    const cases: [string, string, RegExp][] = [
      ['seven77', uniqueEmail(), /at least 8/],
      ['password123', uniqueEmail(), /too common/],
      ['Iloveyou1', uniqueEmail(), /too common/],
    ];
    const email = uniqueEmail();
    cases.push([email, email, /cannot be your email/]);
    for (const [password, addr, message] of cases) {
      const res = await newBrowser(h).mutation('auth.signup', { email: addr, password });
      expect(res.status, password).toBe(400);
      expect(errorOf(res.body).data.fieldErrors?.password, password).toMatch(message);
      expect(await h.deps.db.c.users.countDocuments({ email: addr }), 'no account created').toBe(0);
    }
  });

  it('rejects passwords over 1024 characters', async () => {
    const res = await newBrowser(h).mutation('auth.signup', { email: uniqueEmail(), password: 'ab'.repeat(513) });
    expect(res.status).toBe(400);
    expect(errorOf(res.body).data.fieldErrors?.password).toMatch(/at most 1024/);
  });

  it('stores Argon2id with m ≥ 19456, t ≥ 2, p ≥ 1 (read from the stored hash)', async () => {
    const { userId } = await signUp(h);
    const user = await h.deps.db.c.users.findOne({ _id: userId });
    const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(user?.passwordHash ?? '');
    expect(m, `not an argon2id PHC string: ${user?.passwordHash?.slice(0, 30)}`).not.toBeNull();
    const [, mem, time, par] = (m as RegExpExecArray).map(Number);
    expect(mem).toBeGreaterThanOrEqual(19456);
    expect(time).toBeGreaterThanOrEqual(2);
    expect(par).toBeGreaterThanOrEqual(1);
  });
});

/** The token of the one-click link in the newest verification email to `email`. */
async function linkToken(email: string, skip = 0): Promise<string> {
  const link = linkFrom(await waitForEmail(email, /verification code/, { skip }), `${h.env.PUBLIC_URL}/confirm-email?token=`);
  return new URL(link).searchParams.get('token') as string;
}

describe('the emailed verification link', () => {
  it('verifies once, from a browser that is not signed in; a second use is refused', async () => {
    const { b, email } = await signUp(h);
    const token = await linkToken(email);
    const elsewhere = newBrowser(h);
    // Opening the link (what a mail scanner does) only serves the web app's page; nothing is verified.
    await elsewhere.request(`/confirm-email?token=${token}`);
    expect((await me(b))?.emailVerified).toBe(false);

    const ok = await elsewhere.mutation('auth.verifyEmailLink', { token });
    expect(ok.body).toEqual({ result: { data: { ok: true, signedIn: false } } });
    expect((await me(b))?.emailVerified).toBe(true);
    expect(await me(elsewhere), 'verifying does not sign anyone in').toBeNull();

    const again = await newBrowser(h).mutation('auth.verifyEmailLink', { token });
    expect(again.status).toBe(400);
    expect(errorOf(again.body).data.fieldErrors?.token).toMatch(/invalid, has expired or was already used/);
  });

  it('tells the browser that signed up that it is signed in', async () => {
    const { b, email } = await signUp(h);
    const res = await b.mutation('auth.verifyEmailLink', { token: await linkToken(email) });
    expect(res.body).toEqual({ result: { data: { ok: true, signedIn: true } } });
  });

  it('refuses a tampered token with the same answer as an unknown one, and leaves the account unverified', async () => {
    const { b, email } = await signUp(h);
    const token = await linkToken(email);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    const answers = [];
    for (const bad of [`${token.slice(0, -1)}${last}`, `x${token.slice(1)}`, token.slice(0, 22), 'A'.repeat(65)]) {
      const res = await newBrowser(h).mutation('auth.verifyEmailLink', { token: bad });
      expect(res.status, bad).toBe(400);
      answers.push(errorOf(res.body).data.fieldErrors);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size, 'one answer for every bad token').toBe(1);
    expect((await me(b))?.emailVerified).toBe(false);
    // The real link still works afterwards.
    expect((await newBrowser(h).mutation('auth.verifyEmailLink', { token })).status).toBe(200);
  });

  it('stores only a hash of the link, expires with the code, and dies when the code is used', async () => {
    const { b, email, userId } = await signUp(h);
    const mail = await waitForEmail(email, /verification code/);
    const token = await linkToken(email);
    const row = await h.deps.db.c.emailCodes.findOne({ userId });
    expect(JSON.stringify(row)).not.toContain(token.slice(22));
    expect(row?.linkHash).toMatch(/^[0-9a-f]{64}$/);

    await h.deps.db.c.emailCodes.updateMany({ userId }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await newBrowser(h).mutation('auth.verifyEmailLink', { token })).status, 'expired').toBe(400);
    await h.deps.db.c.emailCodes.updateMany({ userId }, { $set: { expiresAt: new Date(Date.now() + 60_000) } });

    expect((await b.mutation('auth.verifyEmail', { code: codeFrom(mail) })).status).toBe(200);
    expect((await newBrowser(h).mutation('auth.verifyEmailLink', { token })).status, 'code already used').toBe(400);
  });

  it('is bound to the address it was sent to', async () => {
    const { b, email, userId } = await signUp(h);
    const token = await linkToken(email);
    await h.deps.db.c.users.updateOne({ _id: userId }, { $set: { email: uniqueEmail() } });
    expect((await newBrowser(h).mutation('auth.verifyEmailLink', { token })).status).toBe(400);
    expect((await me(b))?.emailVerified).toBe(false);
  });
});

describe('email verification', () => {
  it('verifies with the emailed code, once', async () => {
    const { b, email } = await signUp(h);
    const code = codeFrom(await waitForEmail(email, /verification code/));
    const ok = await b.mutation('auth.verifyEmail', { code });
    expect(ok.body).toEqual({ result: { data: { ok: true } } });
    expect((await me(b))?.emailVerified).toBe(true);
    expect(await h.deps.db.c.emailCodes.countDocuments({ email }), 'code consumed').toBe(0);
  });

  it('stores codes hashed, never the code itself', async () => {
    const { email, userId } = await signUp(h);
    const code = codeFrom(await waitForEmail(email, /verification code/));
    const row = await h.deps.db.c.emailCodes.findOne({ userId });
    expect(row).not.toBeNull();
    expect(JSON.stringify(row)).not.toContain(code);
    expect(row?.codeHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a wrong code and locks the code after 5 attempts, even for the right code', async () => {
    const { b, email } = await signUp(h);
    const code = codeFrom(await waitForEmail(email, /verification code/));
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const res = await b.mutation('auth.verifyEmail', { code: wrong });
      expect(res.status).toBe(400);
      expect(errorOf(res.body).data.fieldErrors?.code).toMatch(/not right/);
    }
    const res = await b.mutation('auth.verifyEmail', { code });
    expect(res.status).toBe(400);
    expect(errorOf(res.body).data.fieldErrors?.code).toMatch(/expired or was tried too many times/);
    expect((await me(b))?.emailVerified).toBe(false);
  });

  it('refuses an expired code', async () => {
    const { b, email, userId } = await signUp(h);
    const code = codeFrom(await waitForEmail(email, /verification code/));
    await h.deps.db.c.emailCodes.updateMany({ userId }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await b.mutation('auth.verifyEmail', { code });
    expect(res.status).toBe(400);
    expect((await me(b))?.emailVerified).toBe(false);
  });

  it('codes live at most 15 minutes', async () => {
    const { userId } = await signUp(h);
    const row = await h.deps.db.c.emailCodes.findOne({ userId });
    expect(
      (row as { expiresAt: Date; createdAt: Date }).expiresAt.getTime() - (row as { createdAt: Date }).createdAt.getTime(),
    ).toBeLessThanOrEqual(15 * 60_000);
  });

  it('binds the code to the address: after the address changes, the old code fails', async () => {
    const { b, email, userId } = await signUp(h);
    const code = codeFrom(await waitForEmail(email, /verification code/));
    await h.deps.db.c.users.updateOne({ _id: userId }, { $set: { email: uniqueEmail() } });
    const res = await b.mutation('auth.verifyEmail', { code });
    expect(res.status).toBe(400);
    expect(errorOf(res.body).data.fieldErrors?.code).toMatch(/different address/);
  });

  it('resends with a 60 s cooldown; the new code replaces the old one', async () => {
    const { b, email, userId } = await signUp(h);
    const first = codeFrom(await waitForEmail(email, /verification code/));
    const tooSoon = await b.mutation('auth.resendVerification', {});
    expect(tooSoon.status).toBe(429);
    expect(errorOf(tooSoon.body).data.retryAfterSeconds).toBeGreaterThan(0);
    expect(errorOf(tooSoon.body).data.retryAfterSeconds).toBeLessThanOrEqual(60);
    // Let the cooldown pass by moving its window into the past.
    await h.deps.db.c.rateLimits.updateMany({ key: `code-send:cooldown:${userId}` }, { $set: { expiresAt: new Date(0) } });
    const again = await b.mutation('auth.resendVerification', {});
    expect(again.body).toEqual({ result: { data: { ok: true, cooldownSeconds: 60 } } });
    const second = codeFrom(await waitForEmail(email, /verification code/, { skip: 1 }));
    if (first !== second) {
      expect((await b.mutation('auth.verifyEmail', { code: first })).status, 'old code replaced').toBe(400);
    }
    expect((await b.mutation('auth.verifyEmail', { code: second })).status).toBe(200);
  });

  it('needs a session', async () => {
    const res = await newBrowser(h).mutation('auth.verifyEmail', { code: '123456' });
    expect(res.status).toBe(401);
  });
});

describe('login and logout', () => {
  it('logs in with the right password and reports the user through auth.me', async () => {
    const { email } = await createAccount(h, { browser: newBrowser(h), password: GOOD_PASSWORD });
    const b = newBrowser(h);
    expect(await me(b)).toBeNull();
    await login(b, email, GOOD_PASSWORD);
    expect(await me(b)).toMatchObject({ email, emailVerified: true, hasPassword: true });
  });

  it('accepts the email in any case and with spaces', async () => {
    const { email } = await createAccount(h);
    await login(newBrowser(h), ` ${email.toUpperCase()} `, GOOD_PASSWORD);
  });

  it('answers an unknown email and a wrong password with the same status and body', async () => {
    const { email } = await createAccount(h);
    const wrong = await newBrowser(h).mutation('auth.login', { email, password: 'not-the-password-1' });
    const unknown = await newBrowser(h).mutation('auth.login', { email: uniqueEmail(), password: 'not-the-password-1' });
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('takes similar time for an unknown email and a wrong password (both hash)', async () => {
    const { email } = await createAccount(h);
    const time = async (addr: string) => {
      const start = performance.now();
      await newBrowser(h).mutation('auth.login', { email: addr, password: 'not-the-password-1' });
      return performance.now() - start;
    };
    await time(uniqueEmail()); // warm the dummy hash
    const median = async (addr: () => string) => {
      const t: number[] = [];
      for (let i = 0; i < 5; i++) t.push(await time(addr()));
      return t.sort((a, b) => a - b)[2] as number;
    };
    const wrong = await median(() => email);
    const unknown = await median(() => uniqueEmail());
    // An unknown email that skipped hashing would answer in a few ms against tens for a hash.
    expect(unknown, `unknown ${unknown.toFixed(1)} ms vs wrong ${wrong.toFixed(1)} ms`).toBeGreaterThan(wrong * 0.5);
  });

  it('refuses disabled users even with the right password', async () => {
    const { email, userId } = await createAccount(h);
    await h.deps.db.c.users.updateOne({ _id: userId }, { $set: { disabled: true } });
    const b = newBrowser(h);
    const res = await b.mutation('auth.login', { email, password: GOOD_PASSWORD });
    expect(res.status).toBe(403);
    expect(b.cookies.size).toBe(0);
  });

  it('refuses password login for an account without a password (OAuth only), like a wrong password', async () => {
    const { email } = await createAccount(h, { password: null });
    const res = await newBrowser(h).mutation('auth.login', { email, password: 'anything-at-all' });
    expect(res.status).toBe(400);
    expect(errorOf(res.body).message).toBe('Incorrect email or password.');
  });

  it('logout ends the session and clears the cookie', async () => {
    const { b } = await createAccount(h);
    const res = await b.mutation('auth.logout', {});
    expect(res.body).toEqual({ result: { data: { ok: true } } });
    expect(res.res.headers.getSetCookie().join()).toMatch(/dropin_session=;.*Max-Age=0/i);
    expect(await me(b)).toBeNull();
  });

  it('auth.providers reports which OAuth providers are configured', async () => {
    const res = await newBrowser(h).query('auth.providers');
    expect(res.body).toEqual({ result: { data: { github: false, google: false } } });
    const other = await createHarness({ GITHUB_CLIENT_ID: 'gh-id', GITHUB_CLIENT_SECRET: 'x' });
    try {
      expect((await other.browser().query('auth.providers')).body).toEqual({ result: { data: { github: true, google: false } } });
    } finally {
      await other.close();
    }
  });

  it('never sends mail for a login', async () => {
    const { email } = await createAccount(h);
    await login(newBrowser(h), email, GOOD_PASSWORD);
    await sendsSettled(h.deps.mailer);
    expect(await inbox(email)).toHaveLength(0);
  });
});
