// The second factor at sign-in: which logins need it, the pending login that waits for it, the
// check of a code (authenticator or recovery, each usable once), and remembered devices.
import type { AppDeps } from '../../deps';
import type { Env } from '../../env';
import { claim } from '../../db/claims';
import { AppError } from '../../lib/errors';
import { randomToken, sha256 } from '../../lib/ids';
import { hit, takeBack } from '../../lib/rate-limit';
import { readCookie } from '../../http/cookies';
import { limits } from '../limits';
import { matchRecoveryCode } from './recovery-codes';
import { matchTotp } from './totp';

/** How long the code step may follow the password. */
export const PENDING_LOGIN_MS = 10 * 60_000;
export const REMEMBER_DEVICE_DAYS = 30;

export const ADMIN_TWO_FACTOR_MESSAGE = 'Turn on two-factor authentication in Settings to use the admin area.';
export const ADMIN_SIGN_IN_AGAIN_MESSAGE =
  'Sign in again with your two-factor code to use the admin area: this session started without it.';

/** Whether a session passed the second factor of its user's current enrolment. */
export function sessionPassedSecondFactor(
  user: { twoFactorEnabledAt: Date | null },
  session: { secondFactorAt: Date | null },
): boolean {
  // A session verified before two-factor was (re-)enabled proved a factor that no longer counts.
  return !!user.twoFactorEnabledAt && !!session.secondFactorAt && session.secondFactorAt >= user.twoFactorEnabledAt;
}

/**
 * What ADMIN_REQUIRE_2FA still asks of an admin's session before the admin area opens: 'enrol' (the
 * account has no second factor), 'sign-in' (this session did not pass it at sign-in), or null.
 */
export function adminTwoFactorGate(
  env: Pick<Env, 'ADMIN_REQUIRE_2FA'>,
  user: { twoFactorEnabledAt: Date | null },
  session: { secondFactorAt: Date | null },
): 'enrol' | 'sign-in' | null {
  if (!env.ADMIN_REQUIRE_2FA) return null;
  if (!user.twoFactorEnabledAt) return 'enrol';
  return sessionPassedSecondFactor(user, session) ? null : 'sign-in';
}

/** The refusal for a gate adminTwoFactorGate closed. */
export function adminTwoFactorMessage(gate: 'enrol' | 'sign-in'): string {
  return gate === 'enrol' ? ADMIN_TWO_FACTOR_MESSAGE : ADMIN_SIGN_IN_AGAIN_MESSAGE;
}

// ---- Pending logins

/** What a sign-in needs after its first factor. */
export type SecondFactorStep =
  /** The user has two-factor off: a session may start. */
  | { kind: 'none' }
  /** This browser is remembered for the user: a session may start, counted as having passed it. */
  | { kind: 'remembered' }
  /** A code is needed first; the token names the pending login. */
  | { kind: 'pending'; pendingToken: string };

/**
 * Called once the first factor (password, OAuth) is accepted: a pending login (and its token) when
 * the user has two-factor on and this browser is not remembered for them.
 */
export async function pendingSecondFactor(
  deps: Pick<AppDeps, 'db'>,
  req: { rememberedDevice?: string | null },
  userId: string,
): Promise<SecondFactorStep> {
  const { c } = deps.db;
  const user = await c.users.findOne({ _id: userId }, { projection: { twoFactorEnabledAt: 1 } });
  if (!user?.twoFactorEnabledAt) return { kind: 'none' };
  if (await isRememberedDevice(deps, userId, req.rememberedDevice ?? null)) return { kind: 'remembered' };
  const token = randomToken();
  const now = Date.now();
  await c.pendingLogins.insertOne({
    _id: sha256(token),
    userId,
    createdAt: new Date(now),
    expiresAt: new Date(now + PENDING_LOGIN_MS),
  });
  return { kind: 'pending', pendingToken: token };
}

const EXPIRED = 'This sign-in has expired. Please log in again.';

/** The user a pending login is for; counts the attempt against the token's own small limit. */
export async function pendingLoginUser(deps: Pick<AppDeps, 'db' | 'env'>, token: string): Promise<string> {
  const _id = sha256(token);
  await hit(deps, limits.twoFactorPending, _id);
  const pending = await deps.db.c.pendingLogins.findOne({ _id });
  if (!pending || pending.expiresAt.getTime() <= Date.now()) throw new AppError('UNAUTHORIZED', EXPIRED);
  return pending.userId;
}

/**
 * Ends a pending login; true for exactly one caller, and only while its row is still there: a
 * password change or two-factor turned off while the code was checked deletes it, and then no
 * session may start from it.
 */
export async function consumePendingLogin(deps: Pick<AppDeps, 'db'>, token: string): Promise<boolean> {
  const _id = sha256(token);
  const won = await claim(deps.db.c, `pending-login:${_id}`);
  const { deletedCount } = await deps.db.c.pendingLogins.deleteOne({ _id });
  return won && deletedCount === 1;
}

// ---- Codes

export interface SecondFactorInput {
  code?: string | undefined;
  recoveryCode?: string | undefined;
}

/**
 * Checks a second factor of `userId` and uses it up: an authenticator code is accepted once per
 * 30-second step (a unique claim on user + step), a recovery code once ever (a claim on the code,
 * then its row is deleted). Each attempt is counted against the per-user limit before anything is
 * compared, and taken back when it succeeds: only wrong codes use the limit up.
 */
export async function verifySecondFactor(
  deps: Pick<AppDeps, 'db' | 'env'>,
  userId: string,
  input: SecondFactorInput,
  opts: { allowRecoveryCode?: boolean } = {},
): Promise<'totp' | 'recovery'> {
  if (!input.recoveryCode || opts.allowRecoveryCode === false) {
    if (!input.code) throw new AppError('BAD_REQUEST', 'Enter the 6-digit code from your authenticator app.', { field: 'code' });
  }
  const attempt = await hit(deps, limits.twoFactorUser, userId);
  const used = await checkSecondFactor(deps, userId, input, opts);
  await takeBack(deps, attempt);
  return used;
}

async function checkSecondFactor(
  deps: Pick<AppDeps, 'db'>,
  userId: string,
  input: SecondFactorInput,
  opts: { allowRecoveryCode?: boolean },
): Promise<'totp' | 'recovery'> {
  const { c } = deps.db;
  if (input.recoveryCode && opts.allowRecoveryCode !== false) {
    const rows = await c.recoveryCodes.find({ userId }).toArray();
    const row =
      rows[
        await matchRecoveryCode(
          rows.map((r) => r.hash),
          input.recoveryCode,
        )
      ];
    if (!row || !(await claim(c, `recovery:${row._id}`))) {
      throw new AppError('BAD_REQUEST', 'That recovery code is not right, or it was already used.', { field: 'recoveryCode' });
    }
    await c.recoveryCodes.deleteOne({ _id: row._id });
    return 'recovery';
  }
  const secret = await c.twoFactorSecrets.findOne({ _id: userId, confirmedAt: { $ne: null } });
  if (!secret) throw new AppError('BAD_REQUEST', 'Two-factor authentication is not turned on.', { field: 'code' });
  await acceptTotp(deps, userId, secret.secret, input.code ?? '');
  return 'totp';
}

/** Accepts `code` for `secret` once within its step, or throws a field error on `code`. */
export async function acceptTotp(deps: Pick<AppDeps, 'db'>, userId: string, secret: string, code: string): Promise<void> {
  const step = matchTotp(secret, code.replace(/\s/g, ''));
  if (step === null)
    throw new AppError('BAD_REQUEST', 'That code is not right. Check your app and try again.', { field: 'code' });
  if (!(await claim(deps.db.c, `totp:${userId}:${step}`))) {
    throw new AppError('BAD_REQUEST', 'That code was already used. Wait for the next one in your app.', { field: 'code' });
  }
}

// ---- Remembered devices

export function rememberCookieName(env: Pick<Env, 'NODE_ENV'>): string {
  // __Host- (Secure, Path=/, no Domain) stops a sibling subdomain from planting one.
  return env.NODE_ENV === 'production' ? '__Host-dropin_device' : 'dropin_device';
}

/** The remembered-device token from a Cookie header. Never throws, whatever else the header holds. */
export function readRememberedDevice(env: Pick<Env, 'NODE_ENV'>, cookieHeader: string | null | undefined): string | null {
  const value = readCookie(cookieHeader, rememberCookieName(env));
  return value && /^[A-Za-z0-9_-]{32,100}$/.test(value) ? value : null;
}

function rememberCookie(env: Pick<Env, 'NODE_ENV'>, value: string, maxAgeSeconds: number): string {
  const secure = env.NODE_ENV === 'production' ? '; Secure' : '';
  return `${rememberCookieName(env)}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}

async function isRememberedDevice(deps: Pick<AppDeps, 'db'>, userId: string, token: string | null): Promise<boolean> {
  if (!token) return false;
  const row = await deps.db.c.rememberedDevices.findOne({ _id: sha256(token), userId }, { projection: { expiresAt: 1 } });
  return !!row && row.expiresAt.getTime() > Date.now();
}

/** Lets this browser skip the second factor for `userId` for 30 days (a random token, bound to the user). */
export async function rememberDevice(
  deps: Pick<AppDeps, 'db' | 'env'>,
  req: { userAgent: string; resHeaders: Headers },
  userId: string,
): Promise<void> {
  const token = randomToken();
  const now = Date.now();
  const seconds = REMEMBER_DEVICE_DAYS * 86_400;
  await deps.db.c.rememberedDevices.insertOne({
    _id: sha256(token),
    userId,
    userAgent: req.userAgent.slice(0, 300),
    createdAt: new Date(now),
    expiresAt: new Date(now + seconds * 1000),
  });
  req.resHeaders.append('Set-Cookie', rememberCookie(deps.env, token, seconds));
}

/**
 * Every remembered browser of the user asks for the second factor again; pending logins end too.
 * Called when the password changes and when two-factor is turned off or reset.
 */
export async function forgetDevices(deps: Pick<AppDeps, 'db'>, userId: string): Promise<number> {
  const { c } = deps.db;
  const [devices] = await Promise.all([c.rememberedDevices.deleteMany({ userId }), c.pendingLogins.deleteMany({ userId })]);
  return devices.deletedCount;
}

/** Clears this browser's remembered-device cookie (it is useless once its row is gone). */
export function clearRememberCookie(deps: Pick<AppDeps, 'env'>, resHeaders: Headers): void {
  resHeaders.append('Set-Cookie', rememberCookie(deps.env, '', 0));
}
