// Forgot password → emailed link → new password.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/lib/ids';
import { createHarness, startTestServer, type Harness } from '../setup/harness';
import { inbox, linkFrom, sendsSettled, waitForEmail, watchSends } from '../setup/mailpit';
import { createAccount, errorOf, GOOD_PASSWORD, login, me, newBrowser, sessionCookie, uniqueEmail } from '../fixtures/accounts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  watchSends(h.deps.mailer);
});
afterAll(() => h.close());

const NEW_PASSWORD = 'fresh-meadow-compass-77';
const RESET_SUBJECT = /Reset your DropIn password/;

async function requestReset(email: string): Promise<void> {
  const res = await newBrowser(h).mutation('auth.requestPasswordReset', { email });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** The token from the newest reset email (skip = how many older ones to pass over). */
async function resetToken(email: string, skip = 0): Promise<string> {
  const link = linkFrom(await waitForEmail(email, RESET_SUBJECT, { skip }), `${h.env.PUBLIC_URL}/reset-password?token=`);
  return new URL(link).searchParams.get('token') as string;
}

describe('requesting a reset', () => {
  it('answers the same for an existing and an unknown address, and mails only the existing one', async () => {
    const { email } = await createAccount(h);
    const unknown = uniqueEmail();
    const a = await newBrowser(h).mutation('auth.requestPasswordReset', { email });
    const b = await newBrowser(h).mutation('auth.requestPasswordReset', { email: unknown });
    expect(a.status).toBe(200);
    expect(b.status).toBe(a.status);
    expect(b.body).toEqual(a.body);
    await waitForEmail(email, RESET_SUBJECT);
    await sendsSettled(h.deps.mailer);
    expect(await inbox(unknown)).toHaveLength(0);
  });

  it('emails a link on PUBLIC_URL with a ≥128-bit token, stored only as a hash, living ≤ 1 h', async () => {
    const { email, userId } = await createAccount(h);
    await requestReset(email);
    const token = await resetToken(email);
    expect(Buffer.from(token, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    const rows = await h.deps.db.c.passwordResets.find({ userId }).toArray();
    expect(rows).toHaveLength(1);
    expect(rows[0]?._id).toBe(sha256(token));
    expect(JSON.stringify(rows)).not.toContain(token);
    const row = rows[0] as { expiresAt: Date; createdAt: Date };
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBeLessThanOrEqual(3600_000);
  });

  it('refuses a forged Host (421) and builds the link from PUBLIC_URL whatever X-Forwarded-Host says', async () => {
    const server = await startTestServer({ PUBLIC_URL: 'http://dropin.test' });
    try {
      const { email } = await createAccount({ ...h, deps: server.deps } as Harness, { password: null });
      const url = new URL(server.url);
      const send = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = http.request(
            {
              host: url.hostname,
              port: url.port,
              path: '/trpc/auth.requestPasswordReset',
              method: 'POST',
              headers: { host, 'x-forwarded-host': 'evil.example', 'content-type': 'application/json' },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.end(JSON.stringify({ email }));
        });
      expect(await send('evil.example')).toBe(421);
      const status = await send('dropin.test');
      expect(status).toBe(200);
      const mail = await waitForEmail(email, RESET_SUBJECT);
      expect(mail.text).not.toContain('evil.example');
      expect(mail.html).not.toContain('evil.example');
      expect(linkFrom(mail, 'http://dropin.test/reset-password?token=')).toBeTruthy();
    } finally {
      await server.close();
    }
  });
});

describe('using the link', () => {
  it('sets the new password, revokes every session, does not log in, and tells the owner', async () => {
    const { b, email } = await createAccount(h);
    const other = newBrowser(h);
    await login(other, email, GOOD_PASSWORD);
    await requestReset(email);
    const token = await resetToken(email);

    const page = newBrowser(h);
    const res = await page.mutation('auth.resetPassword', { token, password: NEW_PASSWORD });
    expect(res.body).toEqual({ result: { data: { ok: true } } });
    expect(sessionCookie(page), 'reset does not log in').toBeUndefined();
    expect(await me(b)).toBeNull();
    expect(await me(other)).toBeNull();
    await waitForEmail(email, /password was changed/);

    expect((await newBrowser(h).mutation('auth.login', { email, password: GOOD_PASSWORD })).status).toBe(400);
    await login(newBrowser(h), email, NEW_PASSWORD);
  });

  it('works once', async () => {
    const { email } = await createAccount(h);
    await requestReset(email);
    const token = await resetToken(email);
    expect((await newBrowser(h).mutation('auth.resetPassword', { token, password: NEW_PASSWORD })).status).toBe(200);
    const again = await newBrowser(h).mutation('auth.resetPassword', { token, password: 'another-new-secret-9' });
    expect(again.status).toBe(400);
    expect(errorOf(again.body).data.fieldErrors?.token).toMatch(/invalid or has expired/);
  });

  it('of two concurrent uses, exactly one wins', async () => {
    const { email, userId } = await createAccount(h);
    await requestReset(email);
    const token = await resetToken(email);
    const results = await Promise.all(
      ['concurrent-one-aaa1', 'concurrent-two-bbb2', 'concurrent-three-c3'].map((password) =>
        newBrowser(h).mutation('auth.resetPassword', { token, password }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400]);
    expect(await h.deps.db.c.passwordResets.countDocuments({ userId })).toBe(0);
  });

  it('a newer link invalidates the older one', async () => {
    const { email } = await createAccount(h);
    await requestReset(email);
    const first = await resetToken(email);
    await requestReset(email);
    const second = await resetToken(email, 1);
    expect(second).not.toBe(first);
    expect((await newBrowser(h).mutation('auth.resetPassword', { token: first, password: NEW_PASSWORD })).status).toBe(400);
    expect((await newBrowser(h).mutation('auth.resetPassword', { token: second, password: NEW_PASSWORD })).status).toBe(200);
  });

  it('refuses an expired link', async () => {
    const { email, userId } = await createAccount(h);
    await requestReset(email);
    const token = await resetToken(email);
    await h.deps.db.c.passwordResets.updateMany({ userId }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await newBrowser(h).mutation('auth.resetPassword', { token, password: NEW_PASSWORD })).status).toBe(400);
  });

  it('is bound to the address it was sent to', async () => {
    const { email, userId } = await createAccount(h);
    await requestReset(email);
    const token = await resetToken(email);
    await h.deps.db.c.users.updateOne({ _id: userId }, { $set: { email: uniqueEmail() } });
    expect((await newBrowser(h).mutation('auth.resetPassword', { token, password: NEW_PASSWORD })).status).toBe(400);
  });

  it('rejects a common password without burning the link', async () => {
    const { email } = await createAccount(h);
    await requestReset(email);
    const token = await resetToken(email);
    const weak = await newBrowser(h).mutation('auth.resetPassword', { token, password: 'qwertyuiop' });
    expect(weak.status).toBe(400);
    expect(errorOf(weak.body).data.fieldErrors?.password).toMatch(/too common/);
    expect((await newBrowser(h).mutation('auth.resetPassword', { token, password: NEW_PASSWORD })).status).toBe(200);
  });

  it('refuses a made-up token', async () => {
    const res = await newBrowser(h).mutation('auth.resetPassword', { token: 'A'.repeat(43), password: NEW_PASSWORD });
    expect(res.status).toBe(400);
  });

  it('lets an OAuth-only account set its first password, and marks the address verified', async () => {
    const { email, userId } = await createAccount(h, { password: null, verified: false });
    await requestReset(email);
    const token = await resetToken(email);
    expect((await newBrowser(h).mutation('auth.resetPassword', { token, password: NEW_PASSWORD })).status).toBe(200);
    const user = await h.deps.db.c.users.findOne({ _id: userId });
    expect(user?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user?.emailVerified).toBe(true);
  });
});
