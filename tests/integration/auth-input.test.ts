// Hostile input to every auth and account procedure: extra fields, operator objects, wrong types, deep and huge bodies. Procedures are found
// by walking the router, so a new one is covered the day it is added.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../../src/trpc/root';
import { createHarness, type Harness } from '../setup/harness';
import { createAccount, GOOD_PASSWORD, me, newBrowser, uniqueEmail, type Account } from '../fixtures/accounts';

let h: Harness;
let a: Account;
beforeAll(async () => {
  h = await createHarness();
  a = await createAccount(h);
});
afterAll(() => h.close());

interface WalkedProcedure {
  _def: { type: string; inputs?: { shape?: Record<string, unknown> }[] };
}
const registry = appRouter._def.procedures as unknown as Record<string, WalkedProcedure>;
const ours = Object.entries(registry).filter(([name]) => name.startsWith('auth.') || name.startsWith('account.'));
const mutations = ours.filter(([, p]) => p._def.type === 'mutation');
const queries = ours.filter(([, p]) => p._def.type === 'query');

function fieldsOf(p: WalkedProcedure): string[] {
  const input = p._def.inputs?.[0] as
    | { shape?: Record<string, unknown>; def?: { innerType?: { shape?: Record<string, unknown> } } }
    | undefined;
  return Object.keys(input?.shape ?? input?.def?.innerType?.shape ?? {});
}

/** A plausible value per field, so a refusal is caused by the one thing the test changes. */
const plausible: Record<string, unknown> = {
  email: uniqueEmail(),
  newEmail: uniqueEmail(),
  password: 'wrong-but-valid-shape-1',
  currentPassword: 'wrong-but-valid-shape-1',
  newPassword: 'valid-new-password-22',
  name: 'Mallory',
  code: '123456',
  token: 'A'.repeat(43),
  id: 'A'.repeat(22),
  provider: 'github',
  confirm: 'nope', // deleteAccount must never succeed in this file
};

function deep(levels: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

const garbage: [string, unknown][] = [
  ['a number', 42],
  ['a string', 'hello'],
  ['an array', [1, 2, 3]],
  ['a boolean', true],
  ['a deep object', deep(2000)],
  ['an unknown key', { surprise: 1 }],
  ['an operator object', { $where: 'sleep(1000)' }],
  ['a __proto__ key', JSON.parse('{"__proto__": {"role": "admin"}}')],
];

async function snapshot() {
  const user = await h.deps.db.c.users.findOne({ _id: a.userId });
  return JSON.stringify(user);
}

describe('the walk', () => {
  it('finds the account procedures', () => {
    const names = ours.map(([n]) => n);
    for (const n of ['auth.signup', 'auth.login', 'auth.resetPassword', 'account.changePassword', 'account.deleteAccount']) {
      expect(names).toContain(n);
    }
  });
});

describe('extra fields and operator objects', () => {
  const withFields = mutations.filter(([, p]) => fieldsOf(p).length > 0);

  it.each(withFields.map(([n, p]) => [n, p] as const))(
    '%s rejects role/emailVerified/passwordHash/_id with 400',
    async (name, p) => {
      const input = Object.fromEntries(fieldsOf(p).map((f) => [f, plausible[f] ?? 'x']));
      for (const extra of ['role', 'emailVerified', 'passwordHash', '_id']) {
        const res = await a.b.mutation(name, { ...input, [extra]: extra === 'emailVerified' ? true : 'admin' });
        expect(res.status, `${name} with ${extra}`).toBe(400);
      }
    },
  );

  it.each(withFields.map(([n, p]) => [n, p] as const))('%s rejects {"$ne": null} in every field with 400', async (name, p) => {
    const fields = fieldsOf(p);
    for (const f of fields) {
      const input = Object.fromEntries(fields.map((k) => [k, k === f ? { $ne: null } : (plausible[k] ?? 'x')]));
      const res = await a.b.mutation(name, input);
      expect(res.status, `${name}.${f}`).toBe(400);
      expect(res.body.error?.data.fieldErrors?.[f], `${name}.${f} names the field`).toBeTruthy();
    }
  });

  it('signup with role/emailVerified creates nothing', async () => {
    const email = uniqueEmail();
    const res = await newBrowser(h).mutation('auth.signup', {
      email,
      password: GOOD_PASSWORD,
      role: 'admin',
      emailVerified: true,
    });
    expect(res.status).toBe(400);
    expect(await h.deps.db.c.users.countDocuments({ email })).toBe(0);
  });

  it('login with operator objects finds no one and sets no cookie', async () => {
    const b = newBrowser(h);
    const res = await b.mutation('auth.login', { email: { $ne: null }, password: { $ne: null } });
    expect(res.status).toBe(400);
    expect(b.cookies.size).toBe(0);
  });
});

describe('garbage never causes a 5xx', () => {
  it.each(mutations.map(([n]) => [n] as const))('%s answers 4xx to wrong types and odd shapes', async (name) => {
    const before = await snapshot();
    for (const [label, input] of garbage) {
      const res = await a.b.mutation(name, input);
      expect(res.status, `${name} with ${label}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${name} with ${label}`).toBeLessThan(500);
    }
    expect(await snapshot(), 'the user is unchanged').toBe(before);
    expect(await me(a.b), 'still logged in').not.toBeNull();
  });

  it.each(queries.map(([n]) => [n] as const))('%s refuses garbage input with a 400', async (name) => {
    for (const [label, input] of garbage) {
      const res = await a.b.query(name, input);
      expect(res.status, `${name} with ${label}`).toBe(400);
    }
    const broken = await a.b.request(`/trpc/${name}?input=%7Bnot-json`);
    expect(broken.status).toBeGreaterThanOrEqual(400);
    expect(broken.status).toBeLessThan(500);
  });

  it('huge strings are refused (413 for the body, 400 for a long field)', async () => {
    const huge = await a.b.mutation('auth.login', { email: `${'a'.repeat(100_000)}@example.test`, password: 'x' });
    expect(huge.status).toBe(413);
    const long = await newBrowser(h).mutation('auth.login', { email: `${'a'.repeat(300)}@example.test`, password: 'x' });
    expect(long.status).toBe(400);
    expect(long.body.error?.data.fieldErrors?.email).toBeTruthy();
    const longPassword = await newBrowser(h).mutation('auth.login', { email: uniqueEmail(), password: 'p'.repeat(5000) });
    expect(longPassword.status).toBe(400);
  });

  it('malformed JSON bodies are a 400', async () => {
    for (const body of ['{', '{"email":', 'null null', '\u0000']) {
      const res = await a.b.request('/trpc/auth.login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('transport rules for the account mutations', () => {
  it('refuses mutations over GET', async () => {
    const input = encodeURIComponent(JSON.stringify({ email: a.email, password: a.password }));
    const res = await newBrowser(h).request(`/trpc/auth.login?input=${input}`);
    expect(res.status).toBe(405);
  });

  it('refuses a non-JSON body (what a cross-site form can send)', async () => {
    const b = newBrowser(h);
    const res = await b.request('/trpc/auth.login', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ email: a.email, password: a.password }),
    });
    expect(res.status).toBe(415);
    expect(b.cookies.size).toBe(0);
  });

  it('refuses login, signup and account changes from another origin (403, no state change)', async () => {
    const evil = newBrowser(h, { origin: 'https://evil.example' });
    const email = uniqueEmail();
    expect((await evil.mutation('auth.signup', { email, password: GOOD_PASSWORD })).status).toBe(403);
    expect(await h.deps.db.c.users.countDocuments({ email })).toBe(0);
    expect((await evil.mutation('auth.login', { email: a.email, password: a.password })).status).toBe(403);
    expect(evil.cookies.size).toBe(0);

    // The victim's own cookie, sent by a cross-site page.
    const cookie = a.b.cookieHeader();
    const res = await evil.request('/trpc/account.updateProfile', {
      method: 'POST',
      headers: { cookie, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      json: { name: 'Pwned' },
    });
    expect(res.status).toBe(403);
    expect((await h.deps.db.c.users.findOne({ _id: a.userId }))?.name).not.toBe('Pwned');
  });
});
