// OAuth login through the real routes and the real callback path: the app talks HTTP to a loopback
// stand-in for GitHub's and Google's authorize, token and profile endpoints.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/services';
import { createHarness, startTestServer, type Browser, type Harness } from '../setup/harness';
import { startOAuthStandin, type OAuthStandin } from '../setup/oauth-standin';
import { hashPassword } from '../../src/auth/passwords';
import { newId } from '../../src/lib/ids';
import { totpCode, totpStep } from '../../src/auth/two-factor/totp';

let h: Harness;
let standin: OAuthStandin;

beforeAll(async () => {
  standin = await startOAuthStandin();
  // The session cache on (as in production), so revocations must evict, not just delete rows.
  h = await createHarness({ ...standin.env, SESSION_CACHE_MS: '5000' });
});
afterAll(async () => {
  await h.close();
  await standin.close();
});

let seq = 0;
/** A fresh GitHub and Google identity for each test, so tests never share accounts. */
beforeEach(() => {
  seq += 1;
  standin.github.person = {
    id: 5000 + seq,
    login: `octo${seq}`,
    name: `Octo ${seq}`,
    emails: [{ email: `octo${seq}@example.com`, primary: true, verified: true }],
  };
  standin.google.person = { sub: `g-${seq}`, email: `goo${seq}@example.com`, email_verified: true, name: `Goo ${seq}` };
});

interface Flow {
  start: Response;
  callbackPath: string;
}

/** Steps 1–2 of a login: our start route, then the provider's authorize page (auto-approved). */
async function startFlow(b: Browser, provider: 'github' | 'google', query = ''): Promise<Flow> {
  const start = await b.request(`/auth/oauth/${provider}${query}`);
  expect(start.status).toBe(302);
  const authorize = start.headers.get('location') as string;
  expect(authorize.startsWith(provider === 'github' ? standin.githubBase : standin.googleBase)).toBe(true);
  const approved = await fetch(authorize, { redirect: 'manual' });
  expect(approved.status).toBe(302);
  const back = new URL(approved.headers.get('location') as string);
  expect(back.origin).toBe(h.env.PUBLIC_URL);
  expect(back.pathname).toBe(`/auth/oauth/${provider}/callback`);
  return { start, callbackPath: `${back.pathname}${back.search}` };
}

/** A whole login; returns the callback response. */
async function login(b: Browser, provider: 'github' | 'google', query = ''): Promise<Response> {
  const flow = await startFlow(b, provider, query);
  return b.request(flow.callbackPath);
}

function setCookies(res: Response): string[] {
  return res.headers.getSetCookie();
}

function sessionCookieIn(res: Response): string | undefined {
  return setCookies(res).find((c) => c.startsWith(`${h.deps.sessions.cookieName}=`) && !/Max-Age=0/i.test(c));
}

async function me(b: Browser) {
  const res = await b.query<{ user: { id: string; email: string; emailVerified: boolean } | null }>('auth.me');
  return res.body.result?.data.user ?? null;
}

async function createUser(email: string, opts: { emailVerified?: boolean; password?: string; disabled?: boolean } = {}) {
  const now = new Date();
  const _id = newId();
  await h.deps.db.c.users.insertOne({
    _id,
    email,
    emailVerified: opts.emailVerified ?? true,
    name: 'Existing',
    passwordHash: opts.password ? await hashPassword(opts.password) : null,
    role: 'user',
    disabled: opts.disabled ?? false,
    createdAt: now,
    updatedAt: now,
  });
  return _id;
}

describe('OAuth start', () => {
  it('sets a short-lived HttpOnly SameSite=Lax state cookie and redirects to GitHub with our callback URL', async () => {
    const b = h.browser();
    const { start } = await startFlow(b, 'github', '?next=/app/billing');
    const url = new URL(start.headers.get('location') as string);
    expect(url.searchParams.get('client_id')).toBe(standin.env.GITHUB_CLIENT_ID);
    expect(url.searchParams.get('redirect_uri')).toBe(`${h.env.PUBLIC_URL}/auth/oauth/github/callback`);
    expect(url.searchParams.get('scope')).toContain('user:email');
    expect(url.searchParams.get('state')?.length).toBeGreaterThanOrEqual(20);

    const state = setCookies(start).find((c) => c.startsWith('dropin_oauth_state='));
    expect(state).toBeDefined();
    expect(state).toMatch(/; HttpOnly/i);
    expect(state).toMatch(/; SameSite=Lax/i);
    expect(state).toMatch(/; Max-Age=600/i);
    expect(state).toMatch(/; Path=\//i);
    expect(state).not.toMatch(/Domain=/i);
    expect(state).not.toMatch(/Secure/i); // test mode is plain http; production adds Secure + __Host-
    // GitHub gets no PKCE, so no verifier cookie.
    expect(setCookies(start).some((c) => c.startsWith('dropin_oauth_verifier='))).toBe(false);
  });

  it('sends Google an S256 code challenge and keeps the verifier in its own short-lived HttpOnly cookie', async () => {
    const b = h.browser();
    const start = await b.request('/auth/oauth/google');
    const url = new URL(start.headers.get('location') as string);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('redirect_uri')).toBe(`${h.env.PUBLIC_URL}/auth/oauth/google/callback`);
    const verifier = setCookies(start).find((c) => c.startsWith('dropin_oauth_verifier='));
    expect(verifier).toMatch(/; HttpOnly/i);
    expect(verifier).toMatch(/; SameSite=Lax/i);
    expect(verifier).toMatch(/; Max-Age=600/i);
    // The verifier never leaves in the URL.
    expect(start.headers.get('location')).not.toContain(b.cookies.get('dropin_oauth_verifier'));
  });

  it('answers 404 for a provider that does not exist', async () => {
    expect((await h.browser().request('/auth/oauth/twitter')).status).toBe(404);
    expect((await h.browser().request('/auth/oauth/twitter/callback?code=x&state=y')).status).toBe(404);
  });

  it('answers 404 for providers whose client id and secret are not configured', async () => {
    const bare = await createHarness({ GITHUB_CLIENT_ID: 'id-without-secret' });
    try {
      for (const path of ['/auth/oauth/github', '/auth/oauth/google', '/auth/oauth/google/callback?code=a&state=b']) {
        const res = await bare.browser().request(path);
        expect(res.status, path).toBe(404);
        expect(res.headers.getSetCookie(), path).toEqual([]);
      }
    } finally {
      await bare.close();
    }
  });
});

describe('OAuth callback: who gets logged in', () => {
  it('creates a verified, password-less user on first GitHub login, logs them in and clears the flow cookies', async () => {
    const b = h.browser();
    const res = await login(b, 'github', '?next=/app/welcome');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/app/welcome');
    expect(sessionCookieIn(res)).toBeDefined();
    const cleared = setCookies(res).filter((c) => /^dropin_oauth_(state|verifier)=;/.test(c));
    expect(cleared).toHaveLength(2);
    for (const c of cleared) expect(c).toMatch(/Max-Age=0/i);
    expect(b.cookies.has('dropin_oauth_state')).toBe(false);

    const user = await me(b);
    expect(user?.email).toBe(`octo${seq}@example.com`);
    expect(user?.emailVerified).toBe(true);
    const doc = await h.deps.db.c.users.findOne({ _id: user?.id });
    expect(doc?.passwordHash).toBeNull();
    expect(doc?.role).toBe('user');
    const link = await h.deps.db.c.oauthAccounts.findOne({ _id: `github:${5000 + seq}` });
    expect(link).toMatchObject({
      provider: 'github',
      providerUserId: String(5000 + seq),
      userId: user?.id,
      username: `octo${seq}`,
    });
  });

  it('creates a user through Google (PKCE) too', async () => {
    const b = h.browser();
    const res = await login(b, 'google');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/app');
    const user = await me(b);
    expect(user?.email).toBe(`goo${seq}@example.com`);
    expect(await h.deps.db.c.oauthAccounts.countDocuments({ _id: `google:g-${seq}`, userId: user?.id })).toBe(1);
    const token = standin.tokenRequests.at(-1);
    expect(token?.provider).toBe('google');
    expect(token?.params.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
  });

  it('logs an existing link into the same user with a new session, even if the provider email changed', async () => {
    const first = h.browser();
    await login(first, 'github');
    const userId = (await me(first))?.id;

    standin.github.person.emails = [{ email: `renamed${seq}@example.com`, primary: true, verified: true }];
    const second = h.browser();
    const res = await login(second, 'github');
    expect(sessionCookieIn(res)).toBeDefined();
    expect((await me(second))?.id).toBe(userId);
    expect(second.cookies.get(h.deps.sessions.cookieName)).not.toBe(first.cookies.get(h.deps.sessions.cookieName));
    expect(await h.deps.db.c.users.countDocuments({ email: `renamed${seq}@example.com` })).toBe(0);
  });

  it('asks a user with two-factor on for the code before any session starts', async () => {
    const first = h.browser();
    await login(first, 'github');
    const userId = (await me(first))?.id;
    const start = await first.mutation<{ secret: string }>('twoFactor.start');
    const secret = start.body.result?.data.secret as string;
    expect((await first.mutation('twoFactor.confirm', { code: totpCode(secret) })).status).toBe(200);

    const second = h.browser();
    const res = await login(second, 'github', '?next=/app/library');
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') as string, h.env.PUBLIC_URL);
    expect(location.pathname).toBe('/login');
    expect(location.searchParams.get('next')).toBe('/app/library');
    const pendingToken = new URLSearchParams(location.hash.slice(1)).get('two-factor');
    expect(pendingToken).toBeTruthy();
    expect(sessionCookieIn(res)).toBeUndefined();
    expect(await me(second)).toBeNull();

    const done = await second.mutation('auth.verifyTwoFactor', { pendingToken, code: totpCode(secret, totpStep() + 1) });
    expect(done.status).toBe(200);
    expect((await me(second))?.id).toBe(userId);
  });

  it('links to an existing account when the provider verified the same email', async () => {
    const email = `goo${seq}@example.com`;
    const userId = await createUser(email, { password: 'correct horse battery staple' });
    const b = h.browser();
    const res = await login(b, 'google');
    expect(res.headers.get('location')).toBe('/app');
    expect((await me(b))?.id).toBe(userId);
    expect(await h.deps.db.c.users.countDocuments({ email })).toBe(1);
    expect((await h.deps.db.c.oauthAccounts.findOne({ _id: `google:g-${seq}` }))?.userId).toBe(userId);
    // A verified account keeps its password.
    expect((await h.deps.db.c.users.findOne({ _id: userId }))?.passwordHash).not.toBeNull();
  });

  it('matches the existing email case-insensitively', async () => {
    const userId = await createUser(`octo${seq}@example.com`);
    standin.github.person.emails = [{ email: `Octo${seq}@Example.COM`, primary: true, verified: true }];
    const b = h.browser();
    await login(b, 'github');
    expect((await me(b))?.id).toBe(userId);
  });

  it('claiming an unverified account through a verified provider drops the password its creator set and their sessions', async () => {
    // Someone registered the victim's address first (never verified it) and keeps a session open.
    const email = `octo${seq}@example.com`;
    const userId = await createUser(email, { emailVerified: false, password: 'attacker chose this' });
    const squatter = await h.deps.sessions.create(userId, { ip: '203.0.113.9', userAgent: 'squatter' });
    // Used once, so it sits in the session cache: revocation must evict it, not just delete the row.
    expect((await h.deps.sessions.validate(squatter.token)).user).not.toBeNull();
    const b = h.browser();
    await login(b, 'github');
    expect((await me(b))?.id).toBe(userId);
    const doc = await h.deps.db.c.users.findOne({ _id: userId });
    expect(doc?.emailVerified).toBe(true);
    expect(doc?.passwordHash).toBeNull();
    expect((await h.deps.sessions.validate(squatter.token)).user).toBeNull();
  });

  it('does NOT link when the provider has not verified the email: no session, no link, a clear error', async () => {
    const email = `octo${seq}@example.com`;
    const userId = await createUser(email);
    standin.github.person.emails = [{ email, primary: true, verified: false }];
    const b = h.browser();
    const res = await login(b, 'github');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login?error=oauth_email_unverified');
    expect(sessionCookieIn(res)).toBeUndefined();
    expect(await me(b)).toBeNull();
    expect(await h.deps.db.c.oauthAccounts.countDocuments({ userId })).toBe(0);
    expect(await h.deps.db.c.oauthAccounts.countDocuments({ _id: `github:${5000 + seq}` })).toBe(0);
  });

  it('does NOT link a Google account whose email_verified is false', async () => {
    const email = `goo${seq}@example.com`;
    await createUser(email);
    standin.google.person.email_verified = false;
    const b = h.browser();
    const res = await login(b, 'google');
    expect(res.headers.get('location')).toBe('/login?error=oauth_email_unverified');
    expect(sessionCookieIn(res)).toBeUndefined();
  });

  it('creates an unverified user when the provider email is unverified and unknown to us', async () => {
    standin.github.person.emails = [{ email: `fresh${seq}@example.com`, primary: true, verified: false }];
    const b = h.browser();
    await login(b, 'github');
    const user = await me(b);
    expect(user?.email).toBe(`fresh${seq}@example.com`);
    expect(user?.emailVerified).toBe(false);
  });

  it('uses the primary address from /user/emails, not another verified one', async () => {
    standin.github.person.emails = [
      { email: `other${seq}@example.com`, primary: false, verified: true },
      { email: `main${seq}@example.com`, primary: true, verified: true },
    ];
    const b = h.browser();
    await login(b, 'github');
    expect((await me(b))?.email).toBe(`main${seq}@example.com`);
  });

  it('refuses disabled users, through a link and through an email match', async () => {
    const b = h.browser();
    await login(b, 'github');
    const userId = (await me(b))?.id as string;
    await h.deps.db.c.users.updateOne({ _id: userId }, { $set: { disabled: true } });
    const again = h.browser();
    const res = await login(again, 'github');
    expect(res.headers.get('location')).toBe('/login?error=account_disabled');
    expect(sessionCookieIn(res)).toBeUndefined();

    await createUser(`goo${seq}@example.com`, { disabled: true });
    const viaEmail = await login(h.browser(), 'google');
    expect(viaEmail.headers.get('location')).toBe('/login?error=account_disabled');
    expect(sessionCookieIn(viaEmail)).toBeUndefined();
  });

  it('issues a new session and revokes the one presented before login (fixation)', async () => {
    const b = h.browser();
    await login(b, 'github');
    const before = b.cookies.get(h.deps.sessions.cookieName) as string;
    await login(b, 'github');
    const after = b.cookies.get(h.deps.sessions.cookieName) as string;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect((await h.deps.sessions.validate(before)).user).toBeNull();
    expect((await h.deps.sessions.validate(after)).user).not.toBeNull();
  });
});

describe('OAuth callback: state, PKCE and code checks', () => {
  it('answers 400 with no session when the state cookie is missing', async () => {
    const b = h.browser();
    const { callbackPath } = await startFlow(b, 'github');
    b.cookies.delete('dropin_oauth_state');
    const res = await b.request(callbackPath);
    expect(res.status).toBe(400);
    expect(sessionCookieIn(res)).toBeUndefined();
    expect(await me(b)).toBeNull();
    expect(await h.deps.db.c.oauthAccounts.countDocuments({ _id: `github:${5000 + seq}` })).toBe(0);
  });

  it('answers 400 with no session when the state parameter is missing or does not match', async () => {
    for (const mutate of [
      (u: URL) => u.searchParams.delete('state'),
      (u: URL) => u.searchParams.set('state', 'x'.repeat(43)),
      (u: URL) => u.searchParams.set('state', ''),
    ]) {
      const b = h.browser();
      const { callbackPath } = await startFlow(b, 'github');
      const url = new URL(callbackPath, h.env.PUBLIC_URL);
      mutate(url);
      const res = await b.request(`${url.pathname}${url.search}`);
      expect(res.status).toBe(400);
      expect(sessionCookieIn(res)).toBeUndefined();
      expect(await me(b)).toBeNull();
    }
    expect(await h.deps.db.c.users.countDocuments({ email: `octo${seq}@example.com` })).toBe(0);
  });

  it("refuses a callback carrying someone else's code and state (login CSRF)", async () => {
    // The attacker starts a flow in their own browser and sends the victim the callback URL.
    const attacker = h.browser();
    const { callbackPath } = await startFlow(attacker, 'github');
    const victim = h.browser();
    await victim.request('/auth/oauth/github'); // the victim has a state cookie of their own
    const res = await victim.request(callbackPath);
    expect(res.status).toBe(400);
    expect(sessionCookieIn(res)).toBeUndefined();
  });

  it("a state started for one provider is refused on the other provider's callback", async () => {
    const b = h.browser();
    const github = await b.request('/auth/oauth/github');
    const state = new URL(github.headers.get('location') as string).searchParams.get('state') as string;
    const res = await b.request(`/auth/oauth/google/callback?code=whatever&state=${state}`);
    expect(res.status).toBe(400);
    expect(sessionCookieIn(res)).toBeUndefined();
  });

  it('clears the state cookie after a failed callback too, so it cannot be retried', async () => {
    const b = h.browser();
    const { callbackPath } = await startFlow(b, 'github');
    const bad = await b.request(callbackPath.replace(/state=[^&]+/, 'state=wrong'));
    expect(bad.status).toBe(400);
    expect(setCookies(bad).some((c) => /^dropin_oauth_state=;.*Max-Age=0/i.test(c))).toBe(true);
    expect((await b.request(callbackPath)).status).toBe(400);
  });

  it('Google: a wrong PKCE verifier is refused by the token endpoint and logs no one in', async () => {
    const b = h.browser();
    const { callbackPath } = await startFlow(b, 'google');
    b.cookies.set('dropin_oauth_verifier', 'A'.repeat(43));
    const res = await b.request(callbackPath);
    expect(res.status).toBe(400);
    expect(sessionCookieIn(res)).toBeUndefined();
    expect(standin.tokenRequests.at(-1)).toMatchObject({ provider: 'google', status: 400 });
    expect(await me(b)).toBeNull();
    expect(await h.deps.db.c.users.countDocuments({ email: `goo${seq}@example.com` })).toBe(0);
  });

  it('Google: a missing verifier cookie is refused before any token request', async () => {
    const b = h.browser();
    const { callbackPath } = await startFlow(b, 'google');
    b.cookies.delete('dropin_oauth_verifier');
    const before = standin.tokenRequests.length;
    const res = await b.request(callbackPath);
    expect(res.status).toBe(400);
    expect(sessionCookieIn(res)).toBeUndefined();
    expect(standin.tokenRequests.length).toBe(before);
  });

  it('a code works once: replaying the callback with a fresh matching state is refused', async () => {
    const b = h.browser();
    const { callbackPath } = await startFlow(b, 'github');
    expect((await b.request(callbackPath)).status).toBe(302);
    // Forge the replay as well as possible: start a new flow and reuse its state with the old code.
    const b2 = h.browser();
    const flow2 = await b2.request('/auth/oauth/github');
    const state2 = new URL(flow2.headers.get('location') as string).searchParams.get('state') as string;
    const replay = await b2.request(callbackPath.replace(/state=[^&]+/, `state=${state2}`));
    expect(replay.status).toBe(400);
    expect(sessionCookieIn(replay)).toBeUndefined();
  });

  it('an unreachable provider gives a 502 page, no session, and cleared flow cookies', async () => {
    const dead = await freePort(); // nothing listens here
    const down = await createHarness({ ...standin.env, OAUTH_GITHUB_BASE: `http://127.0.0.1:${dead}/github` });
    try {
      const b = down.browser();
      const start = await b.request('/auth/oauth/github');
      const state = new URL(start.headers.get('location') as string).searchParams.get('state') as string;
      const res = await b.request(`/auth/oauth/github/callback?code=abc&state=${state}`);
      expect(res.status).toBe(502);
      expect(await res.text()).toContain('could not reach GitHub');
      expect(res.headers.getSetCookie().some((c) => c.startsWith(`${down.deps.sessions.cookieName}=`))).toBe(false);
      expect(b.cookies.has('dropin_oauth_state')).toBe(false);
    } finally {
      await down.close();
    }
  });

  it('a provider-side denial sends the person back to the login page without a session', async () => {
    const b = h.browser();
    const start = await b.request('/auth/oauth/github');
    const state = new URL(start.headers.get('location') as string).searchParams.get('state') as string;
    const res = await b.request(`/auth/oauth/github/callback?error=access_denied&state=${state}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login?error=oauth_cancelled');
    expect(sessionCookieIn(res)).toBeUndefined();
  });
});

describe('OAuth redirects after login', () => {
  it.each([
    'https://evil.example',
    '//evil.example',
    '/\\evil.example',
    '%2F%2Fevil.example',
    '/%2F%2Fevil.example',
    '/%5Cevil.example',
    'https:%2F%2Fevil.example',
    '/%09/evil.example',
  ])('next=%s lands on our own site', async (next) => {
    const b = h.browser();
    const res = await login(b, 'github', `?next=${encodeURIComponent(next)}`);
    expect(res.status).toBe(302);
    const location = res.headers.get('location') as string;
    expect(location).toBe('/app');
    expect(new URL(location, h.env.PUBLIC_URL).origin).toBe(h.env.PUBLIC_URL);
  });

  it('unsafe next values are also refused when sent raw (unencoded) in the query', async () => {
    for (const raw of ['//evil.example', '/\\evil.example', 'https://evil.example/x']) {
      const b = h.browser();
      const flow = await b.request(`/auth/oauth/github?next=${raw}`);
      const state = new URL(flow.headers.get('location') as string).searchParams.get('state') as string;
      const approved = await fetch(flow.headers.get('location') as string, { redirect: 'manual' });
      const back = new URL(approved.headers.get('location') as string);
      expect(back.searchParams.get('state')).toBe(state);
      const res = await b.request(`${back.pathname}${back.search}`);
      expect(res.headers.get('location'), raw).toBe('/app');
    }
  });
});

describe('linking a provider to the signed-in user', () => {
  it('links Google to the current user even with a different email, and Google logins then reach that user', async () => {
    const b = h.browser();
    await login(b, 'github');
    const userId = (await me(b))?.id;
    standin.google.person.email = `unrelated${seq}@example.com`;
    const res = await login(b, 'google', '?link=1&next=/settings');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/settings');
    expect(sessionCookieIn(res)).toBeDefined();
    expect((await me(b))?.id).toBe(userId);
    expect((await h.deps.db.c.oauthAccounts.findOne({ _id: `google:g-${seq}` }))?.userId).toBe(userId);
    expect(await h.deps.db.c.users.countDocuments({ email: `unrelated${seq}@example.com` })).toBe(0);

    const other = h.browser();
    await login(other, 'google');
    expect((await me(other))?.id).toBe(userId);
  });

  it('refuses to link a provider account that belongs to someone else', async () => {
    // Owner of the Google account.
    const owner = h.browser();
    await login(owner, 'google');
    const ownerId = (await me(owner))?.id;
    // Someone else, signed in through GitHub, tries to attach the same Google account.
    const b = h.browser();
    await login(b, 'github');
    const userId = (await me(b))?.id;
    const res = await login(b, 'google', '?link=1');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/app/settings?error=oauth_linked_elsewhere');
    expect(sessionCookieIn(res)).toBeUndefined();
    expect((await h.deps.db.c.oauthAccounts.findOne({ _id: `google:g-${seq}` }))?.userId).toBe(ownerId);
    // Still signed in as themselves.
    expect((await me(b))?.id).toBe(userId);
  });

  it('refuses a second account of the same provider on one user', async () => {
    const b = h.browser();
    await login(b, 'github');
    standin.github.person = {
      id: 9_000 + seq,
      login: `alt${seq}`,
      name: null,
      emails: [{ email: `alt${seq}@example.com`, primary: true, verified: true }],
    };
    const res = await login(b, 'github', '?link=1');
    expect(res.headers.get('location')).toBe('/app/settings?error=oauth_provider_already_linked');
    expect(await h.deps.db.c.oauthAccounts.countDocuments({ _id: `github:${9_000 + seq}` })).toBe(0);
  });

  it('refuses to start linking from another site (Sec-Fetch-Site: cross-site)', async () => {
    const b = h.browser();
    await login(b, 'github');
    const res = await b.request('/auth/oauth/google?link=1', { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('dropin_oauth_state='))).toBe(false);
    // From our own page it works.
    const ok = await b.request('/auth/oauth/google?link=1', { headers: { 'sec-fetch-site': 'same-origin' } });
    expect(ok.status).toBe(302);
  });

  it('link=1 without a session is an ordinary login', async () => {
    const b = h.browser();
    const res = await login(b, 'github', '?link=1');
    expect(res.headers.get('location')).toBe('/app');
    expect((await me(b))?.email).toBe(`octo${seq}@example.com`);
  });

  it('refuses to link when the session changed between start and callback', async () => {
    const b = h.browser();
    await login(b, 'github');
    const { callbackPath } = await startFlow(b, 'google', '?link=1');
    // Logged out (cookie gone) before coming back.
    b.cookies.delete(h.deps.sessions.cookieName);
    const res = await b.request(callbackPath);
    expect(res.status).toBe(400);
    expect(sessionCookieIn(res)).toBeUndefined();
    expect(await h.deps.db.c.oauthAccounts.countDocuments({ _id: `google:g-${seq}` })).toBe(0);
  });
});

describe('over a real socket', () => {
  it('GitHub and Google logins work end to end through a listening server, cookies and redirects included', async () => {
    const port = await freePort();
    const server = await startTestServer({ ...standin.env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` });
    try {
      for (const provider of ['github', 'google'] as const) {
        const jar = new Map<string, string>();
        const send = async (url: string) => {
          const res = await fetch(url, {
            redirect: 'manual',
            headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
          });
          for (const c of res.headers.getSetCookie()) {
            const [pair] = c.split(';');
            const [k, v] = (pair as string).split(/=(.*)/s) as [string, string];
            if (v && !/Max-Age=0/i.test(c)) jar.set(k, v);
            else jar.delete(k);
          }
          return res;
        };
        const start = await send(`${server.url}/auth/oauth/${provider}?next=/app/library`);
        expect(start.status).toBe(302);
        const approved = await fetch(start.headers.get('location') as string, { redirect: 'manual' });
        const callback = approved.headers.get('location') as string;
        expect(callback.startsWith(`${server.url}/auth/oauth/${provider}/callback?`)).toBe(true);
        const done = await send(callback);
        expect(done.status).toBe(302);
        expect(done.headers.get('location')).toBe('/app/library');
        expect(jar.has('dropin_oauth_state')).toBe(false);
        expect(jar.has('dropin_oauth_verifier')).toBe(false);
        expect(jar.has('dropin_session')).toBe(true);
        const me = await send(`${server.url}/trpc/auth.me`);
        const body = (await me.json()) as { result: { data: { user: { email: string } | null } } };
        expect(body.result.data.user?.email).toBe(provider === 'github' ? `octo${seq}@example.com` : `goo${seq}@example.com`);
      }
    } finally {
      await server.close();
    }
  });
});
