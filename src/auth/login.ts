// Logging in and out. `loginUser` is the one way a session starts (password login, signup, OAuth),
// so session fixation is handled in one place: whatever token the browser presented is ended and a
// fresh one is issued.
import type { ServerDeps } from '../deps';
import { AppError } from '../lib/errors';
import { check, hit, type Limit, reset } from '../lib/rate-limit';
import { credentialAllowed } from './account-state';
import { limits } from './limits';
import { verifyDummy, verifyPassword } from './passwords';
import { pendingSecondFactor } from './two-factor/second-factor';
import { findUserByEmail } from './users';

/** What loginUser needs from the request; tRPC's ctx.req fits, and so can a Hono route's values. */
export interface SessionTarget {
  ip: string;
  userAgent: string;
  /** The token the browser presented, if any: it is ended so it can never be the logged-in one. */
  sessionToken?: string | null;
  /** The session cookie is appended here as `Set-Cookie`. */
  resHeaders: Headers;
  /** This browser's remembered-device token (two-factor), if it has one. */
  rememberedDevice?: string | null;
}

/** After the password: signed in, or a second factor is needed first (no session yet). */
export type LoginResult = { twoFactorRequired: false } | { twoFactorRequired: true; pendingToken: string };

/**
 * Starts a new session for `userId` and appends its cookie. Refuses disabled users. `secondFactor`
 * records that the sign-in passed the second factor (what ADMIN_REQUIRE_2FA asks of admins).
 */
export async function loginUser(
  ctx: { deps: Pick<ServerDeps, 'db' | 'sessions'>; req: SessionTarget },
  userId: string,
  opts: { secondFactor?: boolean } = {},
): Promise<void> {
  const { deps, req } = ctx;
  const user = await deps.db.c.users.findOne({ _id: userId }, { projection: { disabled: 1 } });
  if (!user) throw new AppError('NOT_FOUND', 'This account no longer exists.');
  if (!credentialAllowed(user)) throw new AppError('FORBIDDEN', 'This account has been disabled.');
  if (req.sessionToken) await deps.sessions.invalidate(req.sessionToken);
  const { cookie } = await deps.sessions.create(userId, {
    ip: req.ip,
    userAgent: req.userAgent,
    secondFactor: opts.secondFactor ?? false,
  });
  req.resHeaders.append('Set-Cookie', cookie);
}

const INVALID = 'Incorrect email or password.';

/**
 * Email + password login. Unknown email, no password (OAuth-only account) and wrong password all
 * cost one Argon2 verification and answer the same BAD_REQUEST, so neither the answer nor its timing
 * tells whether an account exists.
 */
export async function loginWithPassword(opts: {
  deps: ServerDeps;
  req: SessionTarget;
  email: string;
  password: string;
}): Promise<LoginResult> {
  const { deps, req, email, password } = opts;
  const accountIp = `${email}|${req.ip}`;
  // Attempts are counted before the password is checked, so parallel guesses cannot slip past.
  await hit(deps, limits.loginIp, req.ip);
  await hit(deps, limits.loginAccountIp, accountIp);
  await hit(deps, limits.loginAccountIpLong, accountIp);
  // Past the account-wide failure limit (guessing spread over many addresses) the account is not
  // locked: an address that has not been failing on it still has its password checked, so the owner
  // gets in; an address that has been failing is refused without a check.
  const accountBusy = await isLimited(deps, limits.loginAccountFailures, email);
  if (accountBusy) await check(deps, limits.loginAccountIpFailures, accountIp);

  const user = await findUserByEmail(deps, email);
  const ok = user?.passwordHash ? await verifyPassword(user.passwordHash, password) : await verifyDummy(password);
  if (!user || !ok) {
    await Promise.all([
      countFailure(deps, limits.loginAccountFailures, email),
      countFailure(deps, limits.loginAccountIpFailures, accountIp),
    ]);
    // Guessing stays throttled: past the account limit a wrong password is answered as throttled.
    if (accountBusy) await check(deps, limits.loginAccountFailures, email);
    throw new AppError('BAD_REQUEST', INVALID, { field: 'password' });
  }
  if (!credentialAllowed(user)) throw new AppError('FORBIDDEN', 'This account has been disabled.');
  // With two-factor on, the session starts only after the code step (src/auth/two-factor/login-step.ts).
  const step = await pendingSecondFactor(deps, req, user._id);
  if (step.kind !== 'pending') await loginUser({ deps, req }, user._id, { secondFactor: step.kind === 'remembered' });
  // The owner got in from here: their earlier typos on this device should not count any more.
  await Promise.all([
    reset(deps, limits.loginAccountIp, accountIp),
    reset(deps, limits.loginAccountIpLong, accountIp),
    reset(deps, limits.loginAccountIpFailures, accountIp),
  ]);
  return step.kind === 'pending' ? { twoFactorRequired: true, pendingToken: step.pendingToken } : { twoFactorRequired: false };
}

/** Counts a failed login; the limit bites on the next attempt, this one's answer stays "incorrect". */
async function countFailure(deps: ServerDeps, limit: Limit, key: string): Promise<void> {
  await hit(deps, limit, key).catch((err: unknown) => {
    if (!(err instanceof AppError)) throw err;
  });
}

async function isLimited(deps: ServerDeps, limit: Limit, key: string): Promise<boolean> {
  try {
    await check(deps, limit, key);
    return false;
  } catch (err) {
    if (err instanceof AppError && err.code === 'TOO_MANY_REQUESTS') return true;
    throw err;
  }
}

/** Ends the current session and clears the cookie. */
export async function logout(opts: { deps: Pick<ServerDeps, 'sessions'>; req: SessionTarget }): Promise<void> {
  if (opts.req.sessionToken) await opts.deps.sessions.invalidate(opts.req.sessionToken);
  opts.req.resHeaders.append('Set-Cookie', opts.deps.sessions.blankCookie());
}

/** Ends every session of the user, this one included; returns how many were ended. */
export async function logoutEverywhere(opts: {
  deps: Pick<ServerDeps, 'sessions'>;
  req: SessionTarget;
  userId: string;
}): Promise<number> {
  const revoked = await opts.deps.sessions.invalidateAll(opts.userId);
  opts.req.resHeaders.append('Set-Cookie', opts.deps.sessions.blankCookie());
  return revoked;
}
