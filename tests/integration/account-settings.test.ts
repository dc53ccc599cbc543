// Account settings over HTTP: profile, email change, password change, connected accounts and
// deletion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkToUser } from '../../src/auth/oauth/accounts';
import type { OAuthProvider } from '../../src/db/collections';
import { createHarness, type Harness } from '../setup/harness';
import { codeFrom, inbox, sendsSettled, waitForEmail, watchSends } from '../setup/mailpit';
import { createAccount, errorOf, login, me, newBrowser, uniqueEmail, type Account } from '../fixtures/accounts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  watchSends(h.deps.mailer);
});
afterAll(() => h.close());

const NEW_PASSWORD = 'second-harbour-lamp-88';

async function link(userId: string, provider: OAuthProvider) {
  const outcome = await linkToUser({
    deps: h.deps,
    userId,
    profile: {
      provider,
      providerUserId: crypto.randomUUID(),
      email: uniqueEmail(),
      emailVerified: true,
      name: 'Linked',
      username: `${provider}-user`,
    },
  });
  expect(outcome.ok).toBe(true);
}

/** Makes the current session look older than the 10-minute "fresh login" window. */
async function ageSessions(userId: string, minutes: number) {
  await h.deps.db.c.sessions.updateMany({ userId }, { $set: { createdAt: new Date(Date.now() - minutes * 60_000) } });
}

describe('profile', () => {
  it('updates the display name and returns the public user shape only', async () => {
    const { b, email, userId } = await createAccount(h);
    const res = await b.mutation('account.updateProfile', { name: '  Ada Lovelace ' });
    expect(res.body).toEqual({
      result: {
        data: {
          user: {
            id: userId,
            email,
            name: 'Ada Lovelace',
            role: 'user',
            emailVerified: true,
            hasPassword: true,
            twoFactorEnabled: false,
          },
        },
      },
    });
    expect(((await me(b)) as { name?: string } | null)?.name).toBe('Ada Lovelace');
  });

  it('rejects an empty or overlong name with a field error', async () => {
    const { b } = await createAccount(h);
    for (const name of ['   ', 'n'.repeat(101)]) {
      const res = await b.mutation('account.updateProfile', { name });
      expect(res.status).toBe(400);
      expect(errorOf(res.body).data.fieldErrors?.name).toBeTruthy();
    }
  });

  it('needs a session', async () => {
    expect((await newBrowser(h).mutation('account.updateProfile', { name: 'X' })).status).toBe(401);
  });
});

describe('changing the email address', () => {
  async function requestChange(a: Account, newEmail: string, currentPassword = a.password) {
    return a.b.mutation('account.requestEmailChange', { newEmail, currentPassword });
  }

  it('sends a code to the new address; confirming switches, verifies and notifies the old address', async () => {
    const a = await createAccount(h, { verified: false });
    const next = uniqueEmail();
    expect((await requestChange(a, next)).body).toEqual({ result: { data: { ok: true } } });
    const code = codeFrom(await waitForEmail(next, /Confirm your new DropIn email/));
    expect(await inbox(a.email)).toHaveLength(0);

    const res = await a.b.mutation('account.confirmEmailChange', { code });
    expect(res.body).toEqual({ result: { data: { ok: true } } });
    expect(await me(a.b)).toMatchObject({ email: next, emailVerified: true });
    const notice = await waitForEmail(a.email, /email address was changed/);
    expect(notice.text).toContain(next);

    await login(newBrowser(h), next, a.password);
    expect((await newBrowser(h).mutation('auth.login', { email: a.email, password: a.password })).status).toBe(400);
  });

  it('requires the current password', async () => {
    const a = await createAccount(h);
    const next = uniqueEmail();
    const wrong = await requestChange(a, next, 'not-my-password-1');
    expect(wrong.status).toBe(400);
    expect(errorOf(wrong.body).data.fieldErrors?.currentPassword).toMatch(/not right/);
    const missing = await a.b.mutation('account.requestEmailChange', { newEmail: next });
    expect(missing.status).toBe(400);
    expect(errorOf(missing.body).data.fieldErrors?.currentPassword).toBeTruthy();
    await sendsSettled(h.deps.mailer);
    expect(await inbox(next)).toHaveLength(0);
  });

  it('answers the same for an address that has an account, tells its owner, and changes nothing', async () => {
    const a = await createAccount(h);
    const owner = await createAccount(h);
    const res = await requestChange(a, owner.email);
    expect(res.body).toEqual({ result: { data: { ok: true } } });
    const notice = await waitForEmail(owner.email, /tried to move a DropIn account to your address/);
    expect(notice.text).not.toMatch(/\b\d{6}\b/);
    expect((await a.b.mutation('account.confirmEmailChange', { code: '123456' })).status).toBe(400);
    expect((await me(a.b))?.email).toBe(a.email);
  });

  it('binds the code to the address: a newer request replaces the older code', async () => {
    const a = await createAccount(h);
    const first = uniqueEmail();
    await requestChange(a, first);
    const firstCode = codeFrom(await waitForEmail(first, /Confirm your new/));
    await h.deps.db.c.rateLimits.deleteMany({ key: `code-send:cooldown:${a.userId}:change` });
    const second = uniqueEmail();
    await requestChange(a, second);
    const secondCode = codeFrom(await waitForEmail(second, /Confirm your new/));
    if (firstCode !== secondCode) {
      expect((await a.b.mutation('account.confirmEmailChange', { code: firstCode })).status).toBe(400);
    }
    expect((await a.b.mutation('account.confirmEmailChange', { code: secondCode })).status).toBe(200);
    expect((await me(a.b))?.email).toBe(second);
  });

  it('a change code cannot verify the signup address, and codes of one user do not work for another', async () => {
    const a = await createAccount(h, { verified: false });
    const other = await createAccount(h);
    const next = uniqueEmail();
    await requestChange(a, next);
    const code = codeFrom(await waitForEmail(next, /Confirm your new/));
    expect((await a.b.mutation('auth.verifyEmail', { code })).status).toBe(400);
    expect((await other.b.mutation('account.confirmEmailChange', { code })).status).toBe(400);
    expect((await me(other.b))?.email).toBe(other.email);
    expect((await a.b.mutation('account.confirmEmailChange', { code })).status, 'still valid for its owner').toBe(200);
  });

  it('refuses an expired code', async () => {
    const a = await createAccount(h);
    const next = uniqueEmail();
    await requestChange(a, next);
    const code = codeFrom(await waitForEmail(next, /Confirm your new/));
    await h.deps.db.c.emailCodes.updateMany({ userId: a.userId }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await a.b.mutation('account.confirmEmailChange', { code })).status).toBe(400);
    expect((await me(a.b))?.email).toBe(a.email);
  });

  it('kills reset links that were sent to the old address', async () => {
    const a = await createAccount(h);
    await newBrowser(h).mutation('auth.requestPasswordReset', { email: a.email });
    const token = (await waitForEmail(a.email, /Reset your DropIn password/)).text.match(/token=([\w-]+)/)?.[1] as string;
    const next = uniqueEmail();
    await requestChange(a, next);
    await a.b.mutation('account.confirmEmailChange', { code: codeFrom(await waitForEmail(next, /Confirm your new/)) });
    expect((await newBrowser(h).mutation('auth.resetPassword', { token, password: NEW_PASSWORD })).status).toBe(400);
  });

  it('refuses the current address', async () => {
    const a = await createAccount(h);
    const res = await requestChange(a, a.email.toUpperCase());
    expect(res.status).toBe(400);
    expect(errorOf(res.body).data.fieldErrors?.newEmail).toMatch(/already your email/);
  });
});

describe('changing the password', () => {
  it('needs the current password, keeps this session, revokes the others and sends a notice', async () => {
    const a = await createAccount(h);
    const phone = newBrowser(h);
    await login(phone, a.email, a.password);
    const tablet = newBrowser(h);
    await login(tablet, a.email, a.password);

    const res = await a.b.mutation('account.changePassword', { currentPassword: a.password, newPassword: NEW_PASSWORD });
    expect(res.body).toEqual({ result: { data: { ok: true, revokedSessions: 2, revokedKeys: 0 } } });
    expect(await me(a.b)).not.toBeNull();
    expect(await me(phone)).toBeNull();
    expect(await me(tablet)).toBeNull();
    await waitForEmail(a.email, /password was changed/);
    await login(newBrowser(h), a.email, NEW_PASSWORD);
    expect((await newBrowser(h).mutation('auth.login', { email: a.email, password: a.password })).status).toBe(400);
  });

  it('refuses a wrong current password and changes nothing', async () => {
    const a = await createAccount(h);
    const res = await a.b.mutation('account.changePassword', { currentPassword: 'wrong-password-00', newPassword: NEW_PASSWORD });
    expect(res.status).toBe(400);
    expect(errorOf(res.body).data.fieldErrors?.currentPassword).toMatch(/not right/);
    await login(newBrowser(h), a.email, a.password);
  });

  it('rejects a common or email-equal new password on the newPassword field', async () => {
    const a = await createAccount(h);
    for (const [newPassword, message] of [
      ['1q2w3e4r5t', /too common/],
      [a.email, /cannot be your email/],
    ] as const) {
      const res = await a.b.mutation('account.changePassword', { currentPassword: a.password, newPassword });
      expect(res.status).toBe(400);
      expect(errorOf(res.body).data.fieldErrors?.newPassword).toMatch(message);
    }
  });

  it('limits current-password guesses from a stolen session', async () => {
    const a = await createAccount(h);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push(
        (await a.b.mutation('account.changePassword', { currentPassword: `guess-number-${i}`, newPassword: NEW_PASSWORD }))
          .status,
      );
    }
    expect(statuses.slice(0, 10).every((s) => s === 400)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it('an account without a password sets one from a fresh session, not from an old one', async () => {
    const a = await createAccount(h, { password: null });
    await link(a.userId, 'github');
    const b = newBrowser(h);
    await h.deps.sessions.create(a.userId, { ip: '10.1.1.1', userAgent: 'x' }).then(({ cookie }) => {
      b.cookies.set('dropin_session', (cookie.split(';')[0] as string).split('=')[1] as string);
    });
    await ageSessions(a.userId, 11);
    const stale = await b.mutation('account.changePassword', { newPassword: NEW_PASSWORD });
    expect(stale.status).toBe(403);
    await ageSessions(a.userId, 1);
    const fresh = await b.mutation('account.changePassword', { newPassword: NEW_PASSWORD });
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(200);
    expect((await me(b))?.hasPassword).toBe(true);
    await login(newBrowser(h), a.email, NEW_PASSWORD);
  });
});

/** An OAuth-only account with a logged-in browser (session made by the sessions module). */
async function oauthOnly(): Promise<Account> {
  const a = await createAccount(h, { password: null });
  await h.deps.sessions.create(a.userId, { ip: '10.2.2.2', userAgent: 'x' }).then(({ cookie }) => {
    a.b.cookies.set('dropin_session', (cookie.split(';')[0] as string).split('=')[1] as string);
  });
  return a;
}

describe('connected accounts', () => {
  it('lists linked providers with an explicit shape', async () => {
    const a = await createAccount(h);
    await link(a.userId, 'github');
    const res = await a.b.query<{ accounts: Record<string, unknown>[]; canUnlink: boolean }>('account.connectedAccounts');
    const data = res.body.result?.data;
    expect(data?.canUnlink).toBe(true);
    expect(data?.accounts).toHaveLength(1);
    expect(Object.keys(data?.accounts[0] ?? {}).sort()).toEqual(['createdAt', 'email', 'provider', 'username']);
    expect(data?.accounts[0]).toMatchObject({ provider: 'github', username: 'github-user' });
  });

  it('refuses to unlink the only way to log in', async () => {
    const a = await oauthOnly();
    await link(a.userId, 'google');
    const list = await a.b.query<{ canUnlink: boolean }>('account.connectedAccounts');
    expect(list.body.result?.data.canUnlink).toBe(false);
    const res = await a.b.mutation('account.unlinkProvider', { provider: 'google' });
    expect(res.status).toBe(400);
    expect(errorOf(res.body).message).toMatch(/only way to log in/);
    expect(await h.deps.db.c.oauthAccounts.countDocuments({ userId: a.userId })).toBe(1);
  });

  it('unlinks when another provider or a password remains', async () => {
    const a = await oauthOnly();
    await link(a.userId, 'google');
    await link(a.userId, 'github');
    expect((await a.b.mutation('account.unlinkProvider', { provider: 'google' })).body).toEqual({
      result: { data: { ok: true } },
    });
    expect((await a.b.mutation('account.unlinkProvider', { provider: 'github' })).status).toBe(400);

    const p = await createAccount(h);
    await link(p.userId, 'github');
    expect((await p.b.mutation('account.unlinkProvider', { provider: 'github' })).status).toBe(200);
    expect(await h.deps.db.c.oauthAccounts.countDocuments({ userId: p.userId })).toBe(0);
  });

  it("never touches another user's link", async () => {
    const alice = await createAccount(h);
    const bob = await createAccount(h);
    await link(bob.userId, 'github');
    const res = await alice.b.mutation('account.unlinkProvider', { provider: 'github' });
    expect(res.status).toBe(404);
    expect(await h.deps.db.c.oauthAccounts.countDocuments({ userId: bob.userId })).toBe(1);
  });
});

describe('deleting the account', () => {
  it('needs the password and DELETE; then removes everything, clears the cookie and says goodbye', async () => {
    const a = await createAccount(h);
    await link(a.userId, 'github');
    const other = newBrowser(h);
    await login(other, a.email, a.password);
    await newBrowser(h).mutation('auth.requestPasswordReset', { email: a.email });
    await waitForEmail(a.email, /Reset your DropIn password/);

    const wrong = await a.b.mutation('account.deleteAccount', { password: 'not-my-password-9', confirm: 'DELETE' });
    expect(wrong.status).toBe(400);
    expect(errorOf(wrong.body).data.fieldErrors?.password).toMatch(/not right/);
    const unconfirmed = await a.b.mutation('account.deleteAccount', { password: a.password, confirm: 'delete' });
    expect(unconfirmed.status).toBe(400);
    expect(await h.deps.db.c.users.countDocuments({ _id: a.userId })).toBe(1);

    const res = await a.b.mutation('account.deleteAccount', { password: a.password, confirm: 'DELETE' });
    expect(res.body).toEqual({ result: { data: { ok: true } } });
    expect(res.res.headers.getSetCookie().join()).toMatch(/dropin_session=;.*Max-Age=0/i);
    const c = h.deps.db.c;
    const left = await Promise.all([
      c.users.countDocuments({ _id: a.userId }),
      c.sessions.countDocuments({ userId: a.userId }),
      c.emailCodes.countDocuments({ userId: a.userId }),
      c.passwordResets.countDocuments({ userId: a.userId }),
      c.oauthAccounts.countDocuments({ userId: a.userId }),
    ]);
    expect(left).toEqual([0, 0, 0, 0, 0]);
    expect(await me(other)).toBeNull();
    await waitForEmail(a.email, /account was deleted/);
    expect((await newBrowser(h).mutation('auth.login', { email: a.email, password: a.password })).status).toBe(400);
    // The address is free again.
    expect((await newBrowser(h).mutation('auth.signup', { email: a.email, password: a.password })).status).toBe(200);
  });

  it('an account without a password needs a login from the last 10 minutes', async () => {
    const a = await oauthOnly();
    await ageSessions(a.userId, 11);
    const stale = await a.b.mutation('account.deleteAccount', { confirm: 'DELETE' });
    expect(stale.status).toBe(403);
    expect(await h.deps.db.c.users.countDocuments({ _id: a.userId })).toBe(1);
    await ageSessions(a.userId, 2);
    expect((await a.b.mutation('account.deleteAccount', { confirm: 'DELETE' })).status).toBe(200);
    expect(await h.deps.db.c.users.countDocuments({ _id: a.userId })).toBe(0);
  });

  it('an account with a password cannot skip it, however fresh the session', async () => {
    const a = await createAccount(h);
    const res = await a.b.mutation('account.deleteAccount', { confirm: 'DELETE' });
    expect(res.status).toBe(400);
    expect(await h.deps.db.c.users.countDocuments({ _id: a.userId })).toBe(1);
  });
});
