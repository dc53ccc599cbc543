// The admin seed and `npm run admin:create`: creates a verified admin, promotes an existing account
// without touching its password, and is safe to run again and in parallel.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../setup/harness';
import { seedAdmin } from '../../src/auth/admin-seed';
import { hashPassword, verifyPassword } from '../../src/auth/passwords';
import { newId } from '../../src/lib/ids';
import { parseArgs } from '../../scripts/admin-create';
import { appRouter } from '../../src/trpc/root';

let h: Harness;
beforeAll(async () => {
  // Session cache on, as in production: a promotion must reach sessions already cached.
  h = await createHarness({ SESSION_CACHE_MS: '5000' });
});
afterAll(() => h.close());

const root = path.resolve(import.meta.dirname, '..', '..');

async function insertUser(email: string, password: string, extra: { disabled?: boolean } = {}) {
  const now = new Date();
  const _id = newId();
  await h.deps.db.c.users.insertOne({
    _id,
    email,
    emailVerified: false,
    name: 'Someone',
    passwordHash: await hashPassword(password),
    role: 'user',
    disabled: extra.disabled ?? false,
    createdAt: now,
    updatedAt: now,
  });
  return _id;
}

function runScript(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/admin-create.ts', ...args],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          NODE_ENV: 'test',
          MONGODB_URI: h.env.MONGODB_URI as string,
          MONGODB_DB: h.env.MONGODB_DB,
          LOG_LEVEL: 'silent',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('seedAdmin', () => {
  it('creates a verified admin with an Argon2id password when the email is new', async () => {
    const res = await seedAdmin(h.deps, '  New.Admin@Example.com ', 'a long enough password');
    expect(res).toMatchObject({ email: 'new.admin@example.com', created: true, promoted: false, disabled: false });
    const doc = await h.deps.db.c.users.findOne({ _id: res.userId });
    expect(doc).toMatchObject({ email: 'new.admin@example.com', role: 'admin', emailVerified: true, disabled: false });
    expect(doc?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(doc?.passwordHash as string, 'a long enough password')).toBe(true);
  });

  it('is idempotent and never changes an existing password', async () => {
    const first = await seedAdmin(h.deps, 'again@example.com', 'first password here');
    const hashBefore = (await h.deps.db.c.users.findOne({ _id: first.userId }))?.passwordHash;
    const second = await seedAdmin(h.deps, 'again@example.com', 'a different password');
    expect(second).toMatchObject({ userId: first.userId, created: false, promoted: false });
    expect((await h.deps.db.c.users.findOne({ _id: first.userId }))?.passwordHash).toBe(hashBefore);
    expect(await h.deps.db.c.users.countDocuments({ email: 'again@example.com' })).toBe(1);
  });

  it('promotes an existing user and keeps their password and verification state', async () => {
    const id = await insertUser('member@example.com', 'members own password');
    const res = await seedAdmin(h.deps, 'MEMBER@example.com', 'ignored password');
    expect(res).toMatchObject({ userId: id, created: false, promoted: true });
    const doc = await h.deps.db.c.users.findOne({ _id: id });
    expect(doc?.role).toBe('admin');
    expect(doc?.emailVerified).toBe(false);
    expect(await verifyPassword(doc?.passwordHash as string, 'members own password')).toBe(true);
  });

  it("a promoted user's open session sees the admin role at once (session cache evicted)", async () => {
    const id = await insertUser('cached@example.com', 'cached user password');
    const { token } = await h.deps.sessions.create(id, { ip: '127.0.0.1', userAgent: 'test' });
    expect((await h.deps.sessions.validate(token)).user?.role).toBe('user'); // now cached
    await seedAdmin(h.deps, 'cached@example.com', 'ignored password');
    expect((await h.deps.sessions.validate(token)).user?.role).toBe('admin');
  });

  it('reports a disabled account instead of silently re-enabling it', async () => {
    const id = await insertUser('disabled@example.com', 'whatever password', { disabled: true });
    const res = await seedAdmin(h.deps, 'disabled@example.com', 'x'.repeat(12));
    expect(res).toMatchObject({ userId: id, promoted: true, disabled: true });
    expect((await h.deps.db.c.users.findOne({ _id: id }))?.disabled).toBe(true);
  });

  it('runs safely in parallel: one account, one admin', async () => {
    const results = await Promise.all([1, 2, 3].map(() => seedAdmin(h.deps, 'racer@example.com', 'parallel password')));
    expect(new Set(results.map((r) => r.userId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await h.deps.db.c.users.countDocuments({ email: 'racer@example.com' })).toBe(1);
  });

  it('refuses a short password for a new account and a malformed email', async () => {
    await expect(seedAdmin(h.deps, 'short@example.com', 'short')).rejects.toThrow(/8 to 1024 characters/);
    expect(await h.deps.db.c.users.countDocuments({ email: 'short@example.com' })).toBe(0);
    await expect(seedAdmin(h.deps, 'not-an-email', 'long enough password')).rejects.toThrow(/Not an email/);
  });

  // Skipped (visibly) until the accounts work adds auth.login.
  it.skipIf(!('auth.login' in appRouter._def.procedures))('lets the new admin log in through the app', async () => {
    await seedAdmin(h.deps, 'login-admin@example.com', 'admin login password');
    const b = h.browser();
    const login = await b.mutation('auth.login', { email: 'login-admin@example.com', password: 'admin login password' });
    expect(login.status).toBe(200);
    const me = await b.query<{ user: { role: string } | null }>('auth.me');
    expect(me.body.result?.data.user?.role).toBe('admin');
  });
});

describe('npm run admin:create', () => {
  it('parses its arguments', () => {
    expect(parseArgs(['a@b.co'])).toEqual({ email: 'a@b.co', password: null });
    expect(parseArgs(['a@b.co', '--password', 'pw pw pw pw'])).toEqual({ email: 'a@b.co', password: 'pw pw pw pw' });
    expect(parseArgs(['--password=pw', 'a@b.co'])).toEqual({ email: 'a@b.co', password: 'pw' });
    expect(parseArgs([])).toEqual({ error: 'the email address is missing' });
    expect(parseArgs(['a@b.co', '--password'])).toEqual({ error: '--password needs a value' });
    expect(parseArgs(['a@b.co', '--force'])).toEqual({ error: 'unknown option --force' });
  });

  it('creates an admin with a generated password printed once, which then works', async () => {
    const run = await runScript(['script-admin@example.com']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const printed = run.stdout.match(/Password \(shown only now[^:]*\): (\S+)/)?.[1];
    expect(printed?.length).toBeGreaterThanOrEqual(20);
    const doc = await h.deps.db.c.users.findOne({ email: 'script-admin@example.com' });
    expect(doc?.role).toBe('admin');
    expect(await verifyPassword(doc?.passwordHash as string, printed as string)).toBe(true);

    const again = await runScript(['script-admin@example.com']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already an admin');
    expect(again.stdout).not.toMatch(/Password/);
  });

  it('takes --password or ADMIN_PASSWORD and does not echo it; promotes existing accounts', async () => {
    const withFlag = await runScript(['flag-admin@example.com', '--password', 'flag password 123']);
    expect(withFlag.code).toBe(0);
    expect(withFlag.stdout).not.toContain('flag password 123');
    const flagDoc = await h.deps.db.c.users.findOne({ email: 'flag-admin@example.com' });
    expect(await verifyPassword(flagDoc?.passwordHash as string, 'flag password 123')).toBe(true);

    const withEnv = await runScript(['env-admin@example.com'], { ADMIN_PASSWORD: 'env password 456' });
    expect(withEnv.code).toBe(0);
    const envDoc = await h.deps.db.c.users.findOne({ email: 'env-admin@example.com' });
    expect(await verifyPassword(envDoc?.passwordHash as string, 'env password 456')).toBe(true);

    await insertUser('promote-me@example.com', 'keep this password');
    const promote = await runScript(['promote-me@example.com']);
    expect(promote.code).toBe(0);
    expect(promote.stdout).toContain('Promoted promote-me@example.com');
    const promoted = await h.deps.db.c.users.findOne({ email: 'promote-me@example.com' });
    expect(promoted?.role).toBe('admin');
    expect(await verifyPassword(promoted?.passwordHash as string, 'keep this password')).toBe(true);
  });

  it('fails with a usage message and no change on bad arguments', async () => {
    const run = await runScript([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('the email address is missing');
  });
});
