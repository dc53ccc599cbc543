// The router walker. It lists every procedure of appRouter and, over HTTP:
//   - sends garbage (wrong types, huge strings, 50-deep objects, {"$ne": null} operators, arrays,
//     extra privileged fields) anonymously and as a logged-in user: always 4xx, never 5xx;
//   - checks every admin procedure answers 401 anonymous / 403 to a normal user;
//   - checks anonymous callers get 401 from everything not deliberately public;
//   - checks a disabled user's session gets 401 from every procedure not deliberately public, and a
//     demoted admin's session 403 from every admin procedure (account state binds the session).
// A procedure added tomorrow is walked tomorrow; a guard test makes sure the walk is not empty.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../../src/trpc/root';
import { seedAdmin } from '../../src/auth/admin-seed';
import { createUser } from '../../src/auth/users';
import { createInnerContext } from '../../src/trpc/context';
import { adminProcedure, createCallerFactory, protectedProcedure, router } from '../../src/trpc/trpc';
import { GOOD_PASSWORD, uniqueEmail } from '../fixtures/accounts';
import { createHarness, startTestServer, type Browser, type Harness } from '../setup/harness';

interface Walked {
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  /** Field names when the input is an object schema. */
  fields: string[] | null;
  hasInput: boolean;
  middlewares: unknown[];
  /**
   * True when the procedure's own input schema accepts `value`. Such a value is not garbage for
   * this procedure (a number for a number field, anything for z.any()): it must still never cause
   * a 5xx, but a 2xx is then correct.
   */
  accepts(value: unknown): boolean;
}

interface Schema {
  shape?: Record<string, unknown>;
  safeParse?(value: unknown): { success: boolean };
}
type Def = { _def: { type: Walked['type']; inputs?: Schema[]; middlewares: unknown[] } };

function walk(): Walked[] {
  const registry = appRouter._def.procedures as unknown as Record<string, Def>;
  return Object.entries(registry).map(([name, p]) => {
    const inputs = p._def.inputs ?? [];
    const shape = inputs[0]?.shape;
    return {
      name,
      type: p._def.type,
      fields: shape && typeof shape === 'object' ? Object.keys(shape) : null,
      hasInput: inputs.length > 0,
      middlewares: p._def.middlewares,
      accepts: (value) =>
        inputs.length > 0 &&
        inputs.every((schema) => {
          try {
            // JSON round trip: the server sees what JSON can carry (no undefined, no lone objects' prototypes).
            return schema.safeParse?.(JSON.parse(JSON.stringify(value) ?? 'null')).success === true;
          } catch {
            return false; // async refinements and the like: treat as a rejection
          }
        }),
    };
  });
}

const procedures = walk();
const builderMiddlewares = (b: unknown) => (b as { _def: { middlewares: unknown[] } })._def.middlewares;
/** The guard middleware each builder adds last: a procedure built from it carries the same function. */
const adminGuard = builderMiddlewares(adminProcedure).at(-1);
const loginGuard = builderMiddlewares(protectedProcedure).at(-1);
const isAdminBuilt = (p: Walked) => p.middlewares.includes(adminGuard);
const isProtectedBuilt = (p: Walked) => p.middlewares.includes(loginGuard);

/**
 * Procedures anyone may call without logging in. Adding one here is a security decision: the
 * test below fails for any other procedure that answers an anonymous caller with anything but 401.
 */
const PUBLIC = new Set([
  'auth.me',
  'auth.providers',
  'auth.signup',
  'auth.login',
  'auth.verifyTwoFactor', // the code step of a login: there is no session yet, only a pending-login token
  'auth.logout',
  'auth.requestPasswordReset',
  'auth.resetPassword',
  'auth.verifyEmailLink', // the emailed one-click link, opened where nobody may be signed in
  'billing.plans', // the pricing catalog: plan names and prices, no user data
  'content.list', // the library catalog: titles, summaries, plan locks; never bodies or files
]);

function deep(levels: number, leaf: unknown = 'x'): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = { a: v, $ne: null };
  return v;
}
function deepArray(levels: number): unknown {
  let v: unknown = ['x'];
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

const MB = 'a'.repeat(1024 * 1024);
const BIG = 'b'.repeat(60_000); // under the 64 KB body limit, so it reaches the validators

/** Garbage for the whole input. All of it is invalid for any procedure that declares an input. */
const WHOLE: [string, unknown][] = [
  ['a string', 'hello'],
  ['a number', 12345],
  ['a boolean', true],
  ['an array', [1, 'two', { three: 3 }]],
  ['an empty array', []],
  ['an operator object', { $ne: null }],
  ['a $where', { $where: 'sleep(1000)' }],
  ['a 50-deep object', deep(50)],
  ['a 50-deep array', deepArray(50)],
  ['a 1 MB string', MB],
  ['a 60 KB string', BIG],
  ['privileged extra fields only', { role: 'admin', emailVerified: true, passwordHash: 'x', _id: 'x', disabled: false }],
  ['a __proto__ key', JSON.parse('{"__proto__": {"role": "admin"}}')],
];

/** Garbage put into every field of an object input at once. All invalid for any field we have. */
const PER_FIELD: [string, unknown][] = [
  ['numbers', 42],
  ['booleans', false],
  ['nulls in required fields', null],
  ['arrays', ['a', 'b']],
  ['operator objects', { $ne: null }],
  ['$gt operators', { $gt: '' }],
  ['$regex operators', { $regex: '.*' }],
  ['50-deep objects', deep(50)],
  ['60 KB strings', BIG],
];

let h: Harness;

/** A logged-in caller the walker sends garbage as. */
interface Caller {
  label: string;
  b: Browser;
  userId: string;
  role: 'user' | 'admin';
}
let user: Caller;
let admin: Caller;
/** Normal users and admins both: admin procedures only parse input once the role check passes. */
let callers: Caller[];

beforeAll(async () => {
  h = await createHarness();
  const b = h.browser({ ip: '198.51.100.77' });
  const email = uniqueEmail();
  const res = await b.mutation('auth.signup', { email, password: GOOD_PASSWORD, name: 'Walker' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  user = { label: 'user', b, userId: (await h.deps.db.c.users.findOne({ email }))?._id as string, role: 'user' };
  expect(user.userId).toBeTruthy();
  const seeded = await seedAdmin(h.deps, uniqueEmail(), GOOD_PASSWORD);
  admin = { label: 'admin', b: h.browser({ ip: '198.51.100.76' }), userId: seeded.userId, role: 'admin' };
  callers = [user, admin];
});
afterAll(() => h.close());

/** Garbage can be valid for "no input" procedures (logout with null): keep the caller logged in. */
async function ensureLoggedIn(caller: Caller = user): Promise<Browser> {
  const me = await caller.b.query<{ user: unknown }>('auth.me');
  if (me.body.result?.data.user) return caller.b;
  const doc = await h.deps.db.c.users.findOne({ _id: caller.userId });
  expect(doc, `a garbage call deleted the walking ${caller.label}`).not.toBeNull();
  expect(doc?.role, `a garbage call changed the ${caller.label}'s role`).toBe(caller.role);
  const { token } = await h.deps.sessions.create(caller.userId, { ip: '198.51.100.77', userAgent: 'walker' });
  caller.b.cookies.set(h.deps.sessions.cookieName, token);
  return caller.b;
}

/** Sends `input` the way the web would: queries over GET ?input=, mutations as a JSON POST. */
async function call(b: Browser, p: Walked, input: unknown): Promise<Response> {
  if (p.type === 'query') {
    return b.request(`/trpc/${p.name}?input=${encodeURIComponent(JSON.stringify(input))}`);
  }
  // A JSON body always (like the web client): an absent body is a 415 before any guard runs.
  return b.request(`/trpc/${p.name}`, { method: 'POST', json: input ?? null });
}

/** How many answers had to be a 4xx (not just "not 5xx"): checked at the end, so it cannot erode. */
let strictChecks = 0;

/** 4xx when `p` rejects `input` (the garbage case), else at least no 5xx. */
async function expectRefused(p: Walked, res: Response, input: unknown, what: string) {
  if (!p.accepts(input)) return expect4xx(res, what);
  const text = await res.text();
  expect(res.status, `${what} (accepted by the schema) → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
}

async function expect4xx(res: Response, what: string) {
  strictChecks += 1;
  const text = await res.text();
  expect(res.status, `${what} → ${res.status} ${text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  // Errors never echo our internals.
  expect(text, what).not.toMatch(/MongoServerError|at .*\.ts:\d+|stack/);
}

describe('router walker: the walk is real', () => {
  it('finds the procedures we know exist (so it can never silently walk nothing)', () => {
    const names = procedures.map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'auth.me',
        'auth.signup',
        'auth.login',
        'auth.logout',
        'auth.verifyEmail',
        'account.connectedAccounts',
        'account.unlinkProvider',
      ]),
    );
    expect(procedures.length).toBeGreaterThanOrEqual(15);
    expect(procedures.filter((p) => p.type === 'mutation').length).toBeGreaterThanOrEqual(10);
    expect(procedures.filter((p) => p.fields && p.fields.length > 0).length).toBeGreaterThanOrEqual(8);
    // The guard detection works: a known protected procedure is seen as protected, a public one not.
    const byName = new Map(procedures.map((p) => [p.name, p]));
    expect(isProtectedBuilt(byName.get('account.connectedAccounts') as Walked)).toBe(true);
    expect(isProtectedBuilt(byName.get('auth.login') as Walked)).toBe(false);
  });

  it('every public procedure on the list still exists (a stale list would hide a rename)', () => {
    const names = new Set(procedures.map((p) => p.name));
    for (const name of PUBLIC) expect(names.has(name), name).toBe(true);
  });
});

describe('router walker: garbage in → 4xx, never 5xx (36, 37)', () => {
  const withInput = procedures.filter((p) => p.hasInput);
  const withFields = procedures.filter((p) => p.fields && p.fields.length > 0);

  it.each(withInput.map((p) => [p.name, p] as const))(
    '%s: whole-input garbage, anonymous, as a user, as an admin',
    async (_n, p) => {
      for (const [what, input] of WHOLE) {
        await expectRefused(p, await call(h.browser({ ip: '198.51.100.78' }), p, input), input, `${p.name} anonymous ${what}`);
        for (const caller of callers) {
          await expectRefused(
            p,
            await call(await ensureLoggedIn(caller), p, input),
            input,
            `${p.name} as ${caller.label}: ${what}`,
          );
        }
      }
    },
  );

  it.each(withFields.map((p) => [p.name, p] as const))('%s: garbage in every field, as a user and as an admin', async (_n, p) => {
    for (const [what, value] of PER_FIELD) {
      const input = Object.fromEntries((p.fields as string[]).map((f) => [f, value]));
      for (const caller of callers) {
        await expectRefused(
          p,
          await call(await ensureLoggedIn(caller), p, input),
          input,
          `${p.name} as ${caller.label}: fields=${what}`,
        );
      }
    }
  });

  it.each(procedures.map((p) => [p.name, p] as const))('%s: survives odd but maybe-valid input without a 5xx', async (_n, p) => {
    const odd: unknown[] = [null, {}, '', '\ud800', { '': '' }, 0, -1, 1e308];
    if (p.fields) {
      odd.push(Object.fromEntries(p.fields.map((f) => [f, '\ud800\u0000\u202e'])));
      odd.push(Object.fromEntries(p.fields.map((f) => [f, ''])));
    }
    for (const input of odd) {
      for (const caller of callers) {
        const res = await call(await ensureLoggedIn(caller), p, input);
        const text = await res.text();
        expect(res.status, `${p.name} as ${caller.label} ${JSON.stringify(input)} → ${text.slice(0, 300)}`).toBeLessThan(500);
      }
    }
  });

  it('privileged extra fields next to valid ones are rejected and change nothing', async () => {
    await ensureLoggedIn(user);
    const before = await h.deps.db.c.users.findOne({ _id: user.userId });
    const res = await user.b.mutation('account.updateProfile', { name: 'Renamed', role: 'admin', emailVerified: true, _id: 'x' });
    expect(res.status).toBe(400);
    const doc = await h.deps.db.c.users.findOne({ _id: user.userId });
    expect(doc).toMatchObject({ role: 'user', emailVerified: false, name: before?.name });

    const signup = await h.browser({ ip: '198.51.100.79' }).mutation('auth.signup', {
      email: uniqueEmail(),
      password: GOOD_PASSWORD,
      role: 'admin',
      emailVerified: true,
    });
    expect(signup.status).toBe(400);
  });

  it('operator objects never match an account (login with {"$ne": null})', async () => {
    const res = await h
      .browser({ ip: '198.51.100.80' })
      .mutation('auth.login', { email: { $ne: null }, password: { $ne: null } });
    expect(res.status).toBe(400);
    expect(res.res.headers.getSetCookie()).toEqual([]);
  });

  it('broken JSON, wrong batch shapes and unknown procedures are 4xx', async () => {
    const b = h.browser({ ip: '198.51.100.81' });
    const cases: [string, Promise<Response>][] = [
      [
        'broken JSON',
        b.request('/trpc/auth.login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' }),
      ],
      ['batch with a non-object body', b.request('/trpc/auth.login,auth.signup?batch=1', { method: 'POST', json: 'x' })],
      ['batch of garbage', b.request('/trpc/auth.login,auth.signup?batch=1', { method: 'POST', json: { 0: { $ne: 1 }, 1: [] } })],
      ['unknown procedure', b.request('/trpc/admin.nothingHere', { method: 'POST', json: {} })],
      ['prototype path', b.request('/trpc/__proto__', { method: 'POST', json: {} })],
      ['constructor path', b.request('/trpc/auth.constructor')],
      ['a 1 MB body', b.request('/trpc/auth.login', { method: 'POST', json: { email: MB, password: MB } })],
    ];
    for (const [what, pending] of cases) await expect4xx(await pending, what);
    // Queries without an input never parse it, so broken input there is ignored, not an error.
    expect((await b.request('/trpc/auth.me?input=%7B')).status).toBeLessThan(500);
  });

  it('over a real socket too: a 1 MB body and a 1 MB URL are refused with 4xx', async () => {
    const server = await startTestServer();
    try {
      const body = await fetch(`${server.url}/trpc/auth.signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.env.PUBLIC_URL },
        body: JSON.stringify({ email: MB, password: MB }),
      });
      expect(body.status).toBe(413);
      const url = await fetch(`${server.url}/trpc/auth.me?input=${encodeURIComponent(JSON.stringify(MB))}`);
      expect(url.status).toBeGreaterThanOrEqual(400);
      expect(url.status).toBeLessThan(500);
    } finally {
      await server.close();
    }
  });
});

describe('router walker: the garbage checks were strict', () => {
  it('most answers had to be a 4xx (schemas that accept "garbage" are the exception, not the rule)', () => {
    // Runs after the garbage tests above (vitest runs a file's tests in order).
    expect(strictChecks).toBeGreaterThanOrEqual(300);
  });
});

describe('router walker: access control (35)', () => {
  const adminProcedures = procedures.filter((p) => p.name.startsWith('admin.') || isAdminBuilt(p));

  it('every procedure under admin. is built with adminProcedure (and vice versa)', () => {
    for (const p of procedures) {
      expect(isAdminBuilt(p), `${p.name}: admin. prefix and adminProcedure must go together`).toBe(p.name.startsWith('admin.'));
    }
  });

  it(`admin procedures answer 401 anonymous and 403 to a normal user (${adminProcedures.length} found today)`, async () => {
    // With no admin procedures yet this loop is empty, and the test above and the guard test keep
    // it honest: when the first admin.* procedure lands, it is checked here without any edit.
    for (const p of adminProcedures) {
      for (const input of [{}, undefined]) {
        const anon = await call(h.browser({ ip: '198.51.100.82' }), p, input);
        expect(anon.status, `${p.name} anonymous`).toBe(401);
        const normal = await call(await ensureLoggedIn(user), p, input);
        expect(normal.status, `${p.name} as a normal user`).toBe(403);
        // And the guard lets an admin through (a 400 for a bad input is fine, a 401/403 is not).
        const asAdmin = await call(await ensureLoggedIn(admin), p, input);
        expect([401, 403], `${p.name} as an admin`).not.toContain(asAdmin.status);
        expect(asAdmin.status, `${p.name} as an admin`).toBeLessThan(500);
      }
    }
  });

  it('adminProcedure sees a promotion or demotion on the very next request (no stale cached role)', async () => {
    // No admin.* procedure exists yet, so probe the builder itself, with the session cache on as in
    // production and contexts built from real session validation.
    const cached = await createHarness({ SESSION_CACHE_MS: '5000' });
    try {
      const probe = router({ admin: router({ ping: adminProcedure.query(() => 'pong') }) });
      const callAs = async (token: string) => {
        const auth = await cached.deps.sessions.validate(token);
        return createCallerFactory(probe)(createInnerContext({ deps: cached.deps, user: auth.user, session: auth.session }));
      };
      const email = uniqueEmail();
      const created = await seedAdmin(cached.deps, email, GOOD_PASSWORD);
      const { token } = await cached.deps.sessions.create(created.userId, { ip: '127.0.0.1', userAgent: 'probe' });
      expect(await (await callAs(token)).admin.ping()).toBe('pong');

      // Demote (what a future admin tool will do: update the role, then tell the sessions module).
      await cached.deps.db.c.users.updateOne({ _id: created.userId }, { $set: { role: 'user' } });
      await cached.deps.sessions.userChanged(created.userId);
      await expect((await callAs(token)).admin.ping()).rejects.toMatchObject({ code: 'FORBIDDEN' });

      await seedAdmin(cached.deps, email, GOOD_PASSWORD);
      expect(await (await callAs(token)).admin.ping()).toBe('pong');
      await expect(createCallerFactory(probe)(createInnerContext({ deps: cached.deps })).admin.ping()).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
      });
    } finally {
      await cached.close();
    }
  });

  it.each(procedures.filter((p) => !PUBLIC.has(p.name)).map((p) => [p.name, p] as const))(
    '%s answers 401 to an anonymous caller',
    async (_n, p) => {
      const fields = p.fields ? Object.fromEntries(p.fields.map((f) => [f, 'x'])) : undefined;
      const res = await call(h.browser({ ip: '198.51.100.83' }), p, fields);
      expect(res.status, `${p.name} is not on the PUBLIC list but answered ${res.status} to an anonymous caller`).toBe(401);
      expect(isProtectedBuilt(p), `${p.name} should be built from protectedProcedure or adminProcedure`).toBe(true);
    },
  );
});

describe('router walker: account state binds the session', () => {
  /** A session made before its account changed: only the account state can refuse it. */
  async function staleSession(change: (userId: string) => Promise<void>, role: 'user' | 'admin'): Promise<Browser> {
    const userId =
      role === 'admin'
        ? (await seedAdmin(h.deps, uniqueEmail(), GOOD_PASSWORD)).userId
        : (await createUser(h.deps, { email: uniqueEmail(), password: null, name: 'Stale', emailVerified: true }))._id;
    const b = h.browser({ ip: '198.51.100.85' });
    const { token } = await h.deps.sessions.create(userId, { ip: '198.51.100.85', userAgent: 'walker' });
    b.cookies.set(h.deps.sessions.cookieName, token);
    await change(userId);
    await h.deps.sessions.userChanged(userId);
    return b;
  }

  it.each(procedures.filter((p) => !PUBLIC.has(p.name)).map((p) => [p.name, p] as const))(
    "%s answers 401 to a disabled user's session",
    async (_n, p) => {
      const b = await staleSession(async (id) => {
        await h.deps.db.c.users.updateOne({ _id: id }, { $set: { disabled: true } });
      }, 'user');
      const fields = p.fields ? Object.fromEntries(p.fields.map((f) => [f, 'x'])) : undefined;
      expect((await call(b, p, fields)).status, p.name).toBe(401);
    },
  );

  it.each(procedures.filter((p) => isAdminBuilt(p)).map((p) => [p.name, p] as const))(
    "%s answers 403 to a demoted admin's session",
    async (_n, p) => {
      const b = await staleSession(async (id) => {
        await h.deps.db.c.users.updateOne({ _id: id }, { $set: { role: 'user' } });
      }, 'admin');
      const fields = p.fields ? Object.fromEntries(p.fields.map((f) => [f, 'x'])) : undefined;
      expect((await call(b, p, fields)).status, p.name).toBe(403);
    },
  );
});
