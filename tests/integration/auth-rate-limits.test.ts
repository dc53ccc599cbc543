// Throttling of the account flows: 429 with retryAfterSeconds, per IP and per
// account, no lockout an attacker elsewhere can impose on the owner, shared across processes
// (stored in MongoDB), and not resettable by a spoofed X-Forwarded-For.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { limits } from '../../src/auth/limits';
import { hit, maxFor } from '../../src/lib/rate-limit';
import { createServerDeps } from '../../src/server';
import { createHarness, testEnv, type Browser, type Harness } from '../setup/harness';
import { codeFrom, waitForEmail } from '../setup/mailpit';
import { createAccount, errorOf, GOOD_PASSWORD, login, newBrowser, randomIp, signUp, uniqueEmail } from '../fixtures/accounts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const WRONG = 'definitely-not-it-42';

async function wrongLogins(b: Browser, email: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await b.mutation('auth.login', { email, password: WRONG })).status);
  return statuses;
}

describe('login', () => {
  it('throttles one account from one IP after 5 attempts, with retryAfterSeconds', async () => {
    const { email } = await createAccount(h);
    const b = newBrowser(h);
    expect(await wrongLogins(b, email, 5)).toEqual([400, 400, 400, 400, 400]);
    const res = await b.mutation('auth.login', { email, password: WRONG });
    expect(res.status).toBe(429);
    const err = errorOf(res.body);
    expect(err.data.code).toBe('TOO_MANY_REQUESTS');
    expect(err.data.retryAfterSeconds).toBeGreaterThan(0);
    expect(err.data.retryAfterSeconds).toBeLessThanOrEqual(limits.loginAccountIp.windowSeconds);
    // Throttled means throttled: even the right password waits.
    expect((await b.mutation('auth.login', { email, password: GOOD_PASSWORD })).status).toBe(429);
  });

  it('does not lock the owner out: the same account from another IP still logs in', async () => {
    const { email } = await createAccount(h);
    const attacker = newBrowser(h);
    await wrongLogins(attacker, email, 6);
    expect((await attacker.mutation('auth.login', { email, password: WRONG })).status).toBe(429);
    await login(newBrowser(h), email, GOOD_PASSWORD);
  });

  it('backs off further: after the short window passes, a longer one still limits the same IP', async () => {
    const { email } = await createAccount(h);
    const ip = randomIp();
    const b = h.browser({ ip });
    for (let round = 0; round < 3; round++) {
      const statuses = await wrongLogins(b, email, 6);
      expect(
        statuses.slice(0, 5).every((s) => s === 400),
        `round ${round}: ${statuses}`,
      ).toBe(true);
      expect(statuses[5]).toBe(429);
      // Let the 5-minute window pass.
      await h.deps.db.c.rateLimits.updateMany({ key: `login:acct-ip:${email}|${ip}` }, { $set: { expiresAt: new Date(0) } });
    }
    const res = await b.mutation('auth.login', { email, password: WRONG });
    expect(res.status, 'the hourly tier holds after 15 attempts').toBe(429);
    expect(errorOf(res.body).data.retryAfterSeconds).toBeGreaterThan(limits.loginAccountIp.windowSeconds);
  });

  it('a successful login clears the account+IP counter (earlier typos stop counting)', async () => {
    const { email } = await createAccount(h);
    const b = newBrowser(h);
    await wrongLogins(b, email, 4);
    await login(b, email, GOOD_PASSWORD);
    expect(await wrongLogins(b, email, 5)).toEqual([400, 400, 400, 400, 400]);
  });

  it('throttles one IP across many accounts', async () => {
    const b = newBrowser(h);
    const statuses: number[] = [];
    for (let i = 0; i < limits.loginIp.max + 1; i++) {
      statuses.push((await b.mutation('auth.login', { email: uniqueEmail(), password: WRONG })).status);
    }
    expect(statuses.slice(0, limits.loginIp.max).every((s) => s === 400)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });

  it('a loose per-account limit catches guessing spread over many IPs; a password reset lifts it', async () => {
    const { email } = await createAccount(h);
    // Fill the window as 99 failures from elsewhere would, through the limiter itself.
    for (let i = 0; i < limits.loginAccountFailures.max - 1; i++) await hit(h.deps, limits.loginAccountFailures, email);
    expect((await newBrowser(h).mutation('auth.login', { email, password: WRONG })).status).toBe(400);
    // Past it a guess is throttled; the owner, from an address that has not been failing, is not.
    expect((await newBrowser(h).mutation('auth.login', { email, password: WRONG })).status).toBe(429);
    expect((await newBrowser(h).mutation('auth.login', { email, password: GOOD_PASSWORD })).status).toBe(200);

    await newBrowser(h).mutation('auth.requestPasswordReset', { email });
    const link = (await waitForEmail(email, /Reset your DropIn password/)).text.match(/token=([\w-]+)/)?.[1] as string;
    expect((await newBrowser(h).mutation('auth.resetPassword', { token: link, password: 'brand-new-secret-99' })).status).toBe(
      200,
    );
    await login(newBrowser(h), email, 'brand-new-secret-99');
  });

  it('counts parallel guesses exactly: a burst of 12 lets at most 5 through', async () => {
    const { email } = await createAccount(h);
    const b = newBrowser(h);
    const results = await Promise.all(Array.from({ length: 12 }, () => b.mutation('auth.login', { email, password: WRONG })));
    const through = results.filter((r) => r.status === 400).length;
    expect(results.every((r) => r.status === 400 || r.status === 429)).toBe(true);
    expect(through).toBeLessThanOrEqual(5);
  });

  it('a spoofed X-Forwarded-For (TRUST_PROXY unset) cannot reset the limit', async () => {
    const { email } = await createAccount(h);
    const b = newBrowser(h);
    for (let i = 0; i < 5; i++) {
      const res = await b.request('/trpc/auth.login', {
        method: 'POST',
        headers: { 'x-forwarded-for': randomIp(), 'x-real-ip': randomIp() },
        json: { email, password: WRONG },
      });
      expect(res.status).toBe(400);
    }
    const res = await b.request('/trpc/auth.login', {
      method: 'POST',
      headers: { 'x-forwarded-for': randomIp() },
      json: { email, password: GOOD_PASSWORD },
    });
    expect(res.status).toBe(429);
  });

  it('holds across server processes sharing the database', async () => {
    const { email } = await createAccount(h);
    const otherDeps = await createServerDeps(testEnv({ MONGODB_DB: h.env.MONGODB_DB }));
    try {
      const otherApp = createApp(otherDeps);
      const ip = randomIp();
      const here = h.browser({ ip });
      const loginThere = async () => {
        const res = await otherApp.request(
          `${h.env.PUBLIC_URL}/trpc/auth.login`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', origin: h.env.PUBLIC_URL },
            body: JSON.stringify({ email, password: WRONG }),
          },
          { incoming: { socket: { remoteAddress: ip } } },
        );
        return res.status;
      };
      expect(await wrongLogins(here, email, 3)).toEqual([400, 400, 400]);
      expect([await loginThere(), await loginThere()]).toEqual([400, 400]);
      expect(await loginThere()).toBe(429);
      expect((await here.mutation('auth.login', { email, password: WRONG })).status).toBe(429);
    } finally {
      otherDeps.mailer.close();
      await otherDeps.db.close();
    }
  });
});

describe('other flows', () => {
  it('signup is limited per IP (invalid attempts count too), with a sentence saying when to retry', async () => {
    const b = newBrowser(h);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await b.mutation('auth.signup', { email: uniqueEmail(), password: 'password123' })).status);
    }
    expect(statuses.every((s) => s === 400)).toBe(true);
    const res = await b.mutation('auth.signup', { email: uniqueEmail(), password: 'password123' });
    expect(res.status, 'the 11th sign-up of the hour').toBe(429);
    expect(errorOf(res.body).message).toBe('Too many sign-ups from this network. Try again in an hour.');
  });

  it('reset requests are limited per email, even from many IPs', async () => {
    const email = uniqueEmail();
    const statuses: number[] = [];
    for (let i = 0; i < limits.resetEmail.max + 1; i++) {
      statuses.push((await newBrowser(h).mutation('auth.requestPasswordReset', { email })).status);
    }
    expect(statuses).toEqual([...Array(limits.resetEmail.max).fill(200), 429]);
  });

  it('reset requests are limited per IP, across emails', async () => {
    const b = newBrowser(h);
    const statuses: number[] = [];
    for (let i = 0; i < limits.resetIp.max + 1; i++) {
      statuses.push((await b.mutation('auth.requestPasswordReset', { email: uniqueEmail() })).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((s) => s === 200)).toHaveLength(limits.resetIp.max);
  });

  it('code submissions are limited per user, across codes', async () => {
    const { b } = await signUp(h);
    const statuses: number[] = [];
    for (let i = 0; i < limits.codeUser.max + 1; i++) {
      statuses.push((await b.mutation('auth.verifyEmail', { code: '000000' })).status);
    }
    expect(statuses.slice(0, limits.codeUser.max).every((s) => s === 400)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });

  it('a code allows 5 attempts even when a burst arrives at once', async () => {
    const { b, email } = await signUp(h);
    const code = codeFrom(await waitForEmail(email, /verification code/));
    const wrong = code === '999999' ? '888888' : '999999';
    const results = await Promise.all(Array.from({ length: 8 }, () => b.mutation('auth.verifyEmail', { code: wrong })));
    expect(results.every((r) => r.status === 400)).toBe(true);
    const res = await b.mutation('auth.verifyEmail', { code });
    expect(errorOf(res.body).data.fieldErrors?.code, 'the right code after the burst is refused').toMatch(/expired or was tried/);
  });

  it('resend is limited per user: at most 5 code emails an hour', async () => {
    const { b, userId } = await signUp(h);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      await h.deps.db.c.rateLimits.updateMany({ key: `code-send:cooldown:${userId}` }, { $set: { expiresAt: new Date(0) } });
      statuses.push((await b.mutation('auth.resendVerification', {})).status);
    }
    // The signup email was the first of five.
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });

  it('RATE_LIMIT_DISABLED turns limits off (benchmarks)', async () => {
    const free = await createHarness({ RATE_LIMIT_DISABLED: 'true' });
    try {
      const b = free.browser({ ip: randomIp() });
      for (let i = 0; i < limits.signupIp.max + 2; i++) {
        expect((await b.mutation('auth.signup', { email: uniqueEmail(), password: 'password123' })).status).toBe(400);
      }
      expect(await free.deps.db.c.rateLimits.countDocuments({})).toBe(0);
    } finally {
      await free.close();
    }
  });
});

describe('limits by mode', () => {
  // `npm start` runs NODE_ENV=development: a person trying the product signs up test accounts from
  // one address. Production and the tests above keep the strict limits.
  it('development allows 100 sign-ups an hour from one address; production and test allow 10', () => {
    expect(maxFor(limits.signupIp, { NODE_ENV: 'development' })).toBe(100);
    expect(maxFor(limits.signupIp, { NODE_ENV: 'production' })).toBe(10);
    expect(maxFor(limits.signupIp, { NODE_ENV: 'test' })).toBe(10);
  });

  it('guessing limits are the same in every mode', () => {
    for (const limit of [limits.loginIp, limits.loginAccountIp, limits.loginAccountIpLong, limits.codeUser, limits.reauthUser]) {
      expect(maxFor(limit, { NODE_ENV: 'development' }), limit.name).toBe(maxFor(limit, { NODE_ENV: 'production' }));
    }
  });

  it('a development server lets the 100th sign-up of the hour through and refuses the 101st', async () => {
    const dev = await createHarness({ NODE_ENV: 'development' });
    try {
      const ip = randomIp();
      // 99 sign-ups 45 minutes ago, counted by the limiter itself (99 real ones would each hash a password).
      const earlier = Date.now() - 45 * 60_000;
      for (let i = 0; i < 99; i++) await hit(dev.deps, limits.signupIp, ip, earlier);
      const b = dev.browser({ ip });
      expect((await b.mutation('auth.signup', { email: uniqueEmail(), password: 'password123' })).status).toBe(400);
      const res = await b.mutation('auth.signup', { email: uniqueEmail(), password: 'password123' });
      expect(res.status).toBe(429);
      const err = errorOf(res.body);
      // The oldest of the hour's sign-ups leaves the window 15 minutes from now.
      expect(err.message).toBe('Too many sign-ups from this network. Try again in 15 minutes.');
      expect(err.data.retryAfterSeconds).toBeGreaterThan(14 * 60);
      expect(err.data.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
    } finally {
      await dev.close();
    }
  });

  it('a production server refuses the 11th sign-up of the hour from one address', async () => {
    const prod = await createHarness({
      NODE_ENV: 'production',
      // Production refuses development settings; an empty value unsets the harness's Mailpit URL.
      MAILPIT_URL: '',
      STRIPE_SECRET_KEY: 'sk_test_never_called',
      STRIPE_WEBHOOK_SECRET: 'whsec_never_called',
    });
    try {
      const b = prod.browser({ ip: randomIp() });
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        statuses.push((await b.mutation('auth.signup', { email: uniqueEmail(), password: 'password123' })).status);
      }
      expect(statuses).toEqual([...Array(10).fill(400), 429]);
    } finally {
      await prod.close();
    }
  });
});
