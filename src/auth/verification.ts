// Email verification after signup: submit the emailed code, open the emailed link, or ask for a
// new one (60 s cooldown).
import type { ServerDeps } from '../deps';
import { AppError } from '../lib/errors';
import { hit } from '../lib/rate-limit';
import { consumeCode, consumeLink, LINK_INVALID } from './email-codes';
import { limits, RESEND_COOLDOWN_SECONDS } from './limits';
import { sendVerificationCode } from './signup';
import { findUserById } from './users';

export async function verifyEmail(opts: { deps: ServerDeps; userId: string; code: string }): Promise<void> {
  const { deps, userId, code } = opts;
  await hit(deps, limits.codeUser, userId);
  const user = await findUserById(deps, userId);
  if (!user) throw new AppError('UNAUTHORIZED', 'Please log in.');
  if (user.emailVerified) return;
  const { email } = await consumeCode({ deps, userId, purpose: 'verify_email', code });
  // The code proves ownership of the address it was sent to, and only while that is still the
  // account's address.
  const res = await deps.db.c.users.updateOne({ _id: userId, email }, { $set: { emailVerified: true, updatedAt: new Date() } });
  if (res.matchedCount !== 1) {
    throw new AppError('BAD_REQUEST', 'This code was sent to a different address. Please ask for a new one.', {
      field: 'code',
    });
  }
  await deps.sessions.userChanged(userId);
}

/**
 * Verifies the address an emailed link was sent to, without a session: the link is often opened in
 * another browser or on another device. The web page behind the link asks for a button press that
 * calls this (a POST), so mail scanners and link prefetchers that only GET never spend it.
 * Returns whose account it was, so the caller can tell whether that is the signed-in user.
 */
export async function verifyEmailByLink(opts: { deps: ServerDeps; ip: string; token: string }): Promise<{ userId: string }> {
  const { deps, ip, token } = opts;
  await hit(deps, limits.verifyLinkIp, ip);
  const { userId, email } = await consumeLink({ deps, purpose: 'verify_email', token });
  // As for the code: it proves ownership of the address it was sent to, while that is still the
  // account's address (and of an account that can still sign in).
  const res = await deps.db.c.users.updateOne(
    { _id: userId, email, disabled: { $ne: true } },
    { $set: { emailVerified: true, updatedAt: new Date() } },
  );
  if (res.matchedCount !== 1) {
    throw new AppError('BAD_REQUEST', LINK_INVALID, { field: 'token' });
  }
  await deps.sessions.userChanged(userId);
  return { userId };
}

export async function resendVerification(opts: { deps: ServerDeps; userId: string }): Promise<{ cooldownSeconds: number }> {
  const user = await findUserById(opts.deps, opts.userId);
  if (!user) throw new AppError('UNAUTHORIZED', 'Please log in.');
  if (user.emailVerified) throw new AppError('BAD_REQUEST', 'Your email address is already verified.');
  await sendVerificationCode({ deps: opts.deps, userId: user._id, email: user.email });
  return { cooldownSeconds: RESEND_COOLDOWN_SECONDS };
}
