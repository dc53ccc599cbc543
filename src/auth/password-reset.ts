// Forgot password → emailed single-use link → new password.
// Tokens carry 256 bits from the CSPRNG; only their SHA-256 is stored; they live one hour, are
// bound to the user and the address they were sent to, and a newer one replaces older ones.
import type { ServerDeps } from '../deps';
import { endCredentialsOnPasswordChange } from './account-state';
import { consume } from '../db/writes';
import { sendInBackground } from '../email/send';
import { templates } from '../email/templates';
import { AppError } from '../lib/errors';
import { randomToken, sha256 } from '../lib/ids';
import { hit, reset } from '../lib/rate-limit';
import { limits } from './limits';
import { validateNewPassword } from './password-policy';
import { findUserByEmail, setPassword } from './users';

const LIFETIME_MS = 60 * 60_000;

/** Always answers the same: whether an email goes out depends on the account, not the answer. */
export async function requestPasswordReset(opts: { deps: ServerDeps; ip: string; email: string }): Promise<void> {
  const { deps, ip, email } = opts;
  await hit(deps, limits.resetIp, ip);
  await hit(deps, limits.resetEmail, email);
  const user = await findUserByEmail(deps, email);
  if (!user || user.disabled) return;

  const token = randomToken(32);
  const now = new Date();
  const _id = sha256(token);
  await deps.db.c.passwordResets.insertOne({
    _id,
    userId: user._id,
    email: user.email,
    expiresAt: new Date(now.getTime() + LIFETIME_MS),
    createdAt: now,
  });
  // Insert, then drop the older ones: at most one token per user stays valid.
  await deps.db.c.passwordResets.deleteMany({ userId: user._id, _id: { $ne: _id } });
  // The link is built from PUBLIC_URL inside the template, never from the request's Host.
  sendInBackground(deps, { to: user.email, ...templates.passwordResetLink(deps.env, { token }) });
}

const INVALID = 'This reset link is invalid or has expired. Please ask for a new one.';

/**
 * Sets a new password from a reset token. Revokes every session and does not log in (the page
 * sends the person to /login). Of two concurrent uses of one token only one wins: the one that
 * consumed the row (src/db/writes.ts).
 */
export async function resetPassword(opts: { deps: ServerDeps; token: string; password: string }): Promise<void> {
  const { deps, token, password } = opts;
  const _id = sha256(token);
  const now = new Date();
  // Peek first so a password that breaks the policy does not burn the link.
  const pending = await deps.db.c.passwordResets.findOne({ _id, expiresAt: { $gt: now } });
  if (!pending) throw new AppError('BAD_REQUEST', INVALID, { field: 'token' });
  validateNewPassword({ password, email: pending.email });

  if (!(await consume(deps.db.c.passwordResets, { _id }))) throw new AppError('BAD_REQUEST', INVALID, { field: 'token' });
  const row = pending;
  const user = await deps.db.c.users.findOne({ _id: row.userId });
  // Bound to the address it was sent to: after an email change, old links are dead.
  if (!user || user.disabled || user.email !== row.email) throw new AppError('BAD_REQUEST', INVALID, { field: 'token' });

  await setPassword(deps, { userId: user._id, password });
  // Following the emailed link proved the address is theirs.
  if (!user.emailVerified) {
    await deps.db.c.users.updateOne({ _id: user._id }, { $set: { emailVerified: true } });
    await deps.sessions.userChanged(user._id);
  }
  const [ended] = await Promise.all([
    endCredentialsOnPasswordChange(deps, { userId: user._id }),
    deps.db.c.passwordResets.deleteMany({ userId: user._id }),
    // Whoever was guessing the old password no longer keeps the owner out.
    reset(deps, limits.loginAccountFailures, user.email),
  ]);
  sendInBackground(deps, { to: user.email, ...templates.passwordChanged(deps.env, { revokedKeys: ended.revokedKeys }) });
}
