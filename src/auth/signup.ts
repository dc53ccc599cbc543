// Sign-up with email and password. An address that already has an account gets the same answer
// as a new one ({ ok: true }) and its owner gets an email instead, so the form cannot be used to
// find out who has an account. The one observable difference is that a new
// account is logged in (a session cookie is set) while an existing one is not: logging the caller
// into someone else's account is not an option, and the web shows "check your email" either way.
// The per-IP limit keeps that difference from being useful for bulk enumeration.
import type { ServerDeps } from '../deps';
import { sendInBackground } from '../email/send';
import { templates } from '../email/templates';
import { AppError } from '../lib/errors';
import { hit } from '../lib/rate-limit';
import { issueCodeWithLink } from './email-codes';
import { limits } from './limits';
import { loginUser, type SessionTarget } from './login';
import { hashPassword } from './passwords';
import { validateNewPassword } from './password-policy';
import { createUser, findUserByEmail } from './users';

export async function signup(opts: {
  deps: ServerDeps;
  req: SessionTarget;
  email: string;
  password: string;
  name: string;
}): Promise<void> {
  const { deps, req, email, password, name } = opts;
  await hit(deps, limits.signupIp, req.ip);
  validateNewPassword({ password, email });

  const existing = await findUserByEmail(deps, email);
  if (existing) return tellOwner(deps, email, password);
  let userId: string;
  try {
    userId = (await createUser(deps, { email, password, name, emailVerified: false }))._id;
  } catch (err) {
    // Lost a race with another signup for the same address: that one is the "existing" account.
    if (err instanceof AppError && err.code === 'CONFLICT') return tellOwner(deps, email, null);
    throw err;
  }
  await sendVerificationCode({ deps, userId, email });
  await loginUser({ deps, req }, userId);
}

async function tellOwner(deps: ServerDeps, email: string, password: string | null): Promise<void> {
  // A new signup spends one Argon2 hash; spend one here too so timing does not tell the cases apart.
  if (password !== null) await hashPassword(password);
  sendInBackground(deps, { to: email, ...templates.signupAttempt(deps.env) });
}

/**
 * Issues a verification code (and the one-click link that stands for it) for the user's current
 * address and emails both. Starts the resend cooldown (the signup email counts as the first send).
 */
export async function sendVerificationCode(opts: { deps: ServerDeps; userId: string; email: string }): Promise<void> {
  const { deps, userId, email } = opts;
  await hit(deps, limits.sendCodeCooldown, userId);
  await hit(deps, limits.sendCodeUser, userId);
  const { code, token } = await issueCodeWithLink({ deps, userId, purpose: 'verify_email', email });
  sendInBackground(deps, { to: email, ...templates.verificationCode(deps.env, { code, token }) });
}
