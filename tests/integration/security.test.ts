// Cross-cutting checks of the running server: CSRF on every mutation,
// CORS, security headers, open redirects and client-IP spoofing. Procedures are found by walking
// the router, so a new mutation is covered the day it is added.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { createSessions } from '../../src/auth/sessions';
import { parseEnv } from '../../src/env';
import { appRouter } from '../../src/trpc/root';
import { GOOD_PASSWORD, randomIp, signUp, uniqueEmail } from '../fixtures/accounts';
import { createHarness, type Harness } from '../setup/harness';
import { startOAuthStandin, type OAuthStandin } from '../setup/oauth-standin';

const EVIL = 'https://evil.example';

let h: Harness;
let standin: OAuthStandin;
beforeAll(async () => {
  standin = await startOAuthStandin();
  h = await createHarness(standin.env);
});
afterAll(async () => {
  await h.close();
  await standin.close();
});

interface WalkedProcedure {
  _def: { type: string; inputs?: { shape?: Record<string, unknown> }[] };
}
const registry = appRouter._def.procedures as unknown as Record<string, WalkedProcedure>;
const procedures = Object.entries(registry).map(([name, p]) => ({
  name,
  type: p._def.type,
}));
const mutations = procedures.filter((p) => p.type === 'mutation').map((p) => p.name);
const queries = procedures.filter((p) => p.type === 'query').map((p) => p.name);

/** A plausible input per mutation, so a refusal is the guard's doing and not the validator's. */
function plausibleInput(name: string): unknown {
  const email = uniqueEmail();
  const byField: Record<string, unknown> = {
    email,
    newEmail: email,
    password: GOOD_PASSWORD,
    currentPassword: GOOD_PASSWORD,
    newPassword: `${GOOD_PASSWORD}-2`,
    name: 'Mallory',
    code: '123456',
    token: 'A'.repeat(43),
    id: 'A'.repeat(22),
    provider: 'github',
    confirm: 'DELETE',
  };
  const proc = registry[name];
  const shape = proc?._def.inputs?.[0]?.shape;
  if (!shape) return undefined;
  return Object.fromEntries(Object.keys(shape).map((k) => [k, byField[k] ?? 'x']));
}

/** POSTs a tRPC mutation with raw headers (no helper adds our Origin). */
async function rawPost(pathname: string, headers: Record<string, string>, body: string, ip = randomIp()) {
  return h.app.request(
    `${h.env.PUBLIC_URL}${pathname}`,
    { method: 'POST', headers, body },
    { incoming: { socket: { remoteAddress: ip } } },
  );
}

describe('CSRF: every state-changing request from another site is refused (29)', () => {
  it('the router has mutations to check', () => {
    expect(mutations.length).toBeGreaterThanOrEqual(5);
    expect(mutations).toEqual(expect.arrayContaining(['auth.signup', 'auth.login', 'auth.logout']));
  });

  it.each(mutations)('%s from Origin: https://evil.example → 403 (JSON body, logged in)', async (name) => {
    const { b } = await signUp(h);
    const res = await b.request(`/trpc/${name}`, { method: 'POST', headers: { origin: EVIL }, json: plausibleInput(name) });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: expect.stringMatching(/cross-(origin|site)/i) });
    expect(res.headers.getSetCookie()).toEqual([]);
    // Still logged in: the request changed nothing, not even the session.
    expect((await b.query<{ user: unknown }>('auth.me')).body.result?.data.user).not.toBeNull();
  });

  it.each(mutations)('%s with Sec-Fetch-Site: cross-site and no Origin → 403', async (name) => {
    const res = await rawPost(
      `/trpc/${name}`,
      { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      JSON.stringify(plausibleInput(name) ?? null),
    );
    expect(res.status).toBe(403);
  });

  it('cross-site signup creates no account and cross-site login issues no session', async () => {
    const email = uniqueEmail();
    const signup = await rawPost(
      '/trpc/auth.signup',
      { 'content-type': 'application/json', origin: EVIL },
      JSON.stringify({ email, password: GOOD_PASSWORD }),
    );
    expect(signup.status).toBe(403);
    expect(await h.deps.db.c.users.countDocuments({ email })).toBe(0);

    const account = await signUp(h);
    const login = await rawPost(
      '/trpc/auth.login',
      { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site', origin: EVIL },
      JSON.stringify({ email: account.email, password: account.password }),
    );
    expect(login.status).toBe(403);
    expect(login.headers.getSetCookie()).toEqual([]);
  });

  it.each([
    ['null', {}],
    ['http://dropin.test.evil.example', {}],
    ['http://evil.example', { 'sec-fetch-site': 'same-site' }],
    ['http://sub.dropin.test', { 'sec-fetch-site': 'same-site' }],
    ['http://dropin.test:8443', {}],
  ])('Origin %s is refused', async (origin, extra) => {
    const res = await rawPost(
      '/trpc/auth.login',
      { 'content-type': 'application/json', origin, ...extra },
      JSON.stringify({ email: uniqueEmail(), password: 'whatever-password' }),
    );
    expect(res.status).toBe(403);
  });

  it('batched mutations from another site are refused as a whole', async () => {
    const res = await rawPost(
      '/trpc/auth.login,auth.signup?batch=1',
      { 'content-type': 'application/json', origin: EVIL },
      JSON.stringify({ 0: { email: uniqueEmail(), password: 'x' }, 1: { email: uniqueEmail(), password: GOOD_PASSWORD } }),
    );
    expect(res.status).toBe(403);
  });

  it('non-tRPC routes are guarded too (any POST from another site)', async () => {
    for (const p of ['/auth/oauth/github', '/auth/oauth/github/callback', '/healthz', '/anything']) {
      const res = await rawPost(p, { 'content-type': 'application/x-www-form-urlencoded', origin: EVIL }, 'a=1');
      expect(res.status, p).toBe(403);
    }
  });

  it('same-origin requests still work (the guard is not simply refusing everything)', async () => {
    const res = await rawPost(
      '/trpc/auth.signup',
      { 'content-type': 'application/json', origin: h.env.PUBLIC_URL, 'sec-fetch-site': 'same-origin' },
      JSON.stringify({ email: uniqueEmail(), password: GOOD_PASSWORD }),
    );
    expect(res.status).toBe(200);
  });
});

describe('mutations need POST with a JSON body (30)', () => {
  it.each(mutations)('%s over GET is refused and changes nothing', async (name) => {
    const { b } = await signUp(h);
    const input = encodeURIComponent(JSON.stringify(plausibleInput(name) ?? null));
    const res = await b.request(`/trpc/${name}?input=${input}`);
    expect(res.status).toBe(405);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect((await b.query<{ user: unknown }>('auth.me')).body.result?.data.user).not.toBeNull();
  });

  it.each(mutations)('%s as a "simple" request (text/plain, form, multipart) is refused with 415', async (name) => {
    const body = JSON.stringify(plausibleInput(name) ?? null);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      // Same-origin headers, so only the content type can be the reason.
      const res = await rawPost(`/trpc/${name}`, { 'content-type': type, origin: h.env.PUBLIC_URL }, body);
      expect(res.status, type).toBe(415);
    }
    const none = await h.app.request(`${h.env.PUBLIC_URL}/trpc/${name}`, { method: 'POST', body });
    expect(none.status).toBe(415);
  });

  it('text/plain signup (what a cross-site form can send) creates no account', async () => {
    const email = uniqueEmail();
    const res = await rawPost(
      '/trpc/auth.signup',
      { 'content-type': 'text/plain' },
      JSON.stringify({ email, password: GOOD_PASSWORD }),
    );
    expect(res.status).toBe(415);
    expect(await h.deps.db.c.users.countDocuments({ email })).toBe(0);
  });

  it.each(queries)('query %s is not reachable by POST either', async (name) => {
    const res = await rawPost(`/trpc/${name}`, { 'content-type': 'application/json', origin: h.env.PUBLIC_URL }, 'null');
    expect(res.status).toBe(405);
  });
});

describe('CORS never reflects an arbitrary origin with credentials (31)', () => {
  it.each(['/trpc/auth.me', '/trpc/auth.login', '/healthz', '/auth/oauth/github'])('%s', async (p) => {
    for (const method of ['OPTIONS', 'GET']) {
      const res = await h.app.request(`${h.env.PUBLIC_URL}${p}`, {
        method,
        headers: {
          origin: EVIL,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      const allow = res.headers.get('access-control-allow-origin');
      expect(allow === EVIL || allow === '*' || allow === 'null', `${method} ${p} allowed ${allow}`).toBe(false);
      if (res.headers.get('access-control-allow-credentials') === 'true') {
        expect(allow === null || allow === new URL(h.env.PUBLIC_URL).origin).toBe(true);
      }
    }
  });
});

describe('security headers on every kind of response (33)', () => {
  let webDist: string;
  let webApp: ReturnType<typeof createApp>;
  beforeAll(() => {
    webDist = mkdtempSync(path.join(os.tmpdir(), 'dropin-web-'));
    writeFileSync(path.join(webDist, 'index.html'), '<!doctype html><title>DropIn</title><div id="root"></div>');
    webApp = createApp(h.deps, { webDist });
  });
  afterAll(() => rmSync(webDist, { recursive: true, force: true }));

  function expectHeaders(res: Response, what: string) {
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp, what).toContain("frame-ancestors 'none'");
    expect(csp, what).toMatch(/default-src 'self'/);
    expect(csp, what).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
    expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(res.headers.get('referrer-policy'), what).toMatch(
      /^(no-referrer|strict-origin|strict-origin-when-cross-origin|same-origin)$/,
    );
    expect(res.headers.get('x-frame-options'), what).toBe('DENY');
  }

  it('JSON, tRPC, errors, redirects, HTML pages: CSP frame-ancestors, nosniff, referrer policy; no HSTS outside production', async () => {
    const b = h.browser();
    const cases: [string, Response][] = [
      ['healthz', await b.request('/healthz')],
      ['trpc query', await b.request('/trpc/auth.me')],
      ['trpc 400', await b.mutation('auth.login', { email: 1 }).then((r) => r.res)],
      ['404', await b.request('/no/such/api')],
      ['csrf 403', await rawPost('/trpc/auth.login', { 'content-type': 'application/json', origin: EVIL }, '{}')],
      ['oauth redirect', await b.request('/auth/oauth/github')],
      ['oauth 400 page', await b.request('/auth/oauth/github/callback?code=x&state=y')],
      ['web shell', await webApp.request(`${h.env.PUBLIC_URL}/app/settings`)],
      ['web index', await webApp.request(`${h.env.PUBLIC_URL}/`)],
    ];
    for (const [what, res] of cases) {
      expectHeaders(res, what);
      expect(res.headers.get('strict-transport-security'), what).toBeNull();
      expect(res.status, what).toBeLessThan(500);
    }
  });

  it('pages that carry secrets in the URL send no referrer', async () => {
    const reset = await webApp.request(`${h.env.PUBLIC_URL}/reset-password?token=abc`);
    expect(reset.headers.get('referrer-policy')).toBe('no-referrer');
    const callback = await h.browser().request('/auth/oauth/github/callback?code=x&state=y');
    expect(callback.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('production adds HSTS (≥ 1 year) and keeps the rest', async () => {
    const prod = productionEnv();
    const app = createApp({ ...h.deps, env: prod, sessions: createSessions(prod, h.deps.db.c) }, { webDist });
    for (const p of ['/healthz', '/', '/trpc/auth.me']) {
      const res = await app.request(`https://dropin.example${p}`);
      const hsts = res.headers.get('strict-transport-security') ?? '';
      expect(hsts, p).toMatch(/max-age=(\d+)/);
      expect(Number(hsts.match(/max-age=(\d+)/)?.[1])).toBeGreaterThanOrEqual(31_536_000);
      expectHeaders(res, `production ${p}`);
    }
  });
});

function productionEnv(extra: Record<string, string> = {}) {
  return parseEnv({
    NODE_ENV: 'production',
    PUBLIC_URL: 'https://dropin.example',
    LOG_LEVEL: 'silent',
    MONGODB_URI: h.env.MONGODB_URI,
    MONGODB_DB: h.env.MONGODB_DB,
    SMTP_URL: h.env.SMTP_URL,
    STRIPE_SECRET_KEY: 'sk_test_security_suite',
    STRIPE_WEBHOOK_SECRET: 'whsec_security_suite',
    ...extra,
  });
}

describe('OAuth cookies in production (1, 27)', () => {
  it('state cookie and session cookie are __Host-, Secure, HttpOnly, SameSite=Lax, without Domain', async () => {
    // The env schema refuses stand-in URLs in production, rightly; add them after parsing to drive
    // the real production cookie code against the stand-in.
    const prod = {
      ...productionEnv({
        GITHUB_CLIENT_ID: standin.env.GITHUB_CLIENT_ID as string,
        GITHUB_CLIENT_SECRET: standin.env.GITHUB_CLIENT_SECRET as string,
      }),
      OAUTH_GITHUB_BASE: standin.githubBase,
    };
    const sessions = createSessions(prod, h.deps.db.c);
    const app = createApp({ ...h.deps, env: prod, sessions });
    const start = await app.request('https://dropin.example/auth/oauth/github?next=/app');
    const state = start.headers.getSetCookie().find((c) => c.startsWith('__Host-dropin_oauth_state='));
    expect(state).toMatch(/; Secure/);
    expect(state).toMatch(/; HttpOnly/);
    expect(state).toMatch(/; SameSite=Lax/);
    expect(state).toMatch(/; Path=\/(;|$)/);
    expect(state).toMatch(/; Max-Age=600/);
    expect(state).not.toMatch(/Domain=/i);

    standin.github.person = {
      id: 777_001,
      login: 'prod',
      name: 'Prod',
      emails: [{ email: 'prod-oauth@example.com', primary: true, verified: true }],
    };
    const approved = await fetch(start.headers.get('location') as string, { redirect: 'manual' });
    const back = new URL(approved.headers.get('location') as string);
    expect(back.origin).toBe('https://dropin.example');
    const cookie = (state as string).split(';')[0] as string;
    const done = await app.request(`https://dropin.example${back.pathname}${back.search}`, { headers: { cookie } });
    expect(done.status).toBe(302);
    const session = done.headers.getSetCookie().find((c) => c.startsWith('__Host-dropin_session='));
    expect(session).toMatch(/; Secure/i);
    expect(session).toMatch(/; HttpOnly/i);
    expect(session).toMatch(/; SameSite=Lax/i);
    expect(session).not.toMatch(/Domain=/i);
    const cleared = done.headers.getSetCookie().find((c) => c.startsWith('__Host-dropin_oauth_state=;'));
    expect(cleared).toMatch(/Max-Age=0/);
  });
});

describe('open redirects land on our own site (32)', () => {
  async function oauthLoginWithNext(next: string, seq: number) {
    standin.github.person = {
      id: 880_000 + seq,
      login: `r${seq}`,
      name: null,
      emails: [{ email: `redir${seq}@example.com`, primary: true, verified: true }],
    };
    const b = h.browser({ ip: randomIp() });
    const start = await b.request(`/auth/oauth/github?next=${encodeURIComponent(next)}`);
    const approved = await fetch(start.headers.get('location') as string, { redirect: 'manual' });
    const back = new URL(approved.headers.get('location') as string);
    return b.request(`${back.pathname}${back.search}`);
  }

  it.each(['https://evil.example', '//evil.example', '/\\evil.example', '%2F%2Fevil.example', '/%5C%5Cevil.example'])(
    'after OAuth login, next=%s → /app',
    async (next) => {
      const res = await oauthLoginWithNext(next, Math.floor(Math.random() * 1e6));
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/app');
    },
  );

  it('odd paths never redirect off-site (static serving, trailing slashes, the SPA fallback)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dropin-web-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>DropIn</title>');
    const app = createApp(h.deps, { webDist: dir });
    try {
      for (const p of [
        '//evil.example',
        '//evil.example/',
        '/\\evil.example',
        '/%2F%2Fevil.example',
        '/%5Cevil.example',
        '/.//evil.example',
        '/assets//evil.example',
        '/auth/oauth/%2F%2Fevil.example',
      ]) {
        for (const target of [app, h.app]) {
          const res = await target.request(`${h.env.PUBLIC_URL}${p}`);
          const location = res.headers.get('location');
          if (location) expect(new URL(location, h.env.PUBLIC_URL).origin, p).toBe(h.env.PUBLIC_URL);
          expect(res.status, p).toBeLessThan(500);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('X-Forwarded-For is believed only from TRUST_PROXY (20)', () => {
  async function sessionIpAfterSignup(target: Harness, peer: string, xff?: string): Promise<string | undefined> {
    const b = target.browser({ ip: peer });
    const email = uniqueEmail();
    const res = await b.request('/trpc/auth.signup', {
      method: 'POST',
      json: { email, password: GOOD_PASSWORD },
      headers: xff ? { 'x-forwarded-for': xff } : {},
    });
    expect(res.status).toBe(200);
    const user = await target.deps.db.c.users.findOne({ email });
    return (await target.deps.db.c.sessions.findOne({ userId: user?._id }))?.ip;
  }

  it('without TRUST_PROXY the header is ignored: the socket peer is the client', async () => {
    expect(await sessionIpAfterSignup(h, '198.51.100.20', '6.6.6.6')).toBe('198.51.100.20');
    expect(await sessionIpAfterSignup(h, '198.51.100.21', '127.0.0.1, 10.0.0.1')).toBe('198.51.100.21');
  });

  it('a spoofed header cannot reset a per-IP limit', async () => {
    const peer = '198.51.100.30';
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const b = h.browser({ ip: peer });
      const res = await b.request('/trpc/auth.signup', {
        method: 'POST',
        json: { email: uniqueEmail(), password: GOOD_PASSWORD },
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}`, 'x-real-ip': `203.0.113.${i + 1}` },
      });
      statuses.push(res.status);
    }
    // The signup limit is per IP; rotating the header must not dodge it.
    expect(statuses).toContain(429);
    expect(statuses.at(-1)).toBe(429);
  });

  describe('behind a configured proxy', () => {
    let proxied: Harness;
    beforeAll(async () => {
      proxied = await createHarness({ TRUST_PROXY: '10.9.9.9, 10.9.9.8' });
    });
    afterAll(() => proxied.close());

    it('takes the rightmost address the proxies did not add, and only from the proxy', async () => {
      // The client sent a fake entry; our proxy appended the real address.
      expect(await sessionIpAfterSignup(proxied, '10.9.9.9', '6.6.6.6, 203.0.113.50')).toBe('203.0.113.50');
      // Two proxies in a row: skip both.
      expect(await sessionIpAfterSignup(proxied, '10.9.9.9', '6.6.6.6, 203.0.113.51, 10.9.9.8')).toBe('203.0.113.51');
      // Not from the proxy: the header is ignored.
      expect(await sessionIpAfterSignup(proxied, '198.51.100.40', '203.0.113.52')).toBe('198.51.100.40');
      // From the proxy but no header: the proxy itself.
      expect(await sessionIpAfterSignup(proxied, '10.9.9.9')).toBe('10.9.9.9');
    });

    it('IPv4-mapped IPv6 peers are recognised as the proxy', async () => {
      expect(await sessionIpAfterSignup(proxied, '::ffff:10.9.9.9', '203.0.113.53')).toBe('203.0.113.53');
    });
  });
});
