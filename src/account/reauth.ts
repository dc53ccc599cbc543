// Sensitive account changes (email, password, deletion) need the current password, or — for an
// account that has none (OAuth only) — a session started in the last 10 minutes.
import type { AppDeps } from '../deps';
import { limits } from '../auth/limits';
import { verifyPassword } from '../auth/passwords';
import { AppError } from '../lib/errors';
import { hit } from '../lib/rate-limit';
import type { UserDoc } from '../db/collections';

export const FRESH_SESSION_MS = 10 * 60_000;

export async function requireRecentAuth(opts: {
  deps: AppDeps;
  userId: string;
  sessionPublicId: string;
  password: string | undefined;
  field?: string;
}): Promise<UserDoc> {
  const { deps, userId, sessionPublicId, password } = opts;
  const field = opts.field ?? 'currentPassword';
  const user = await deps.db.c.users.findOne({ _id: userId });
  if (!user) throw new AppError('UNAUTHORIZED', 'Please log in.');
  if (user.passwordHash) {
    if (!password) throw new AppError('BAD_REQUEST', 'Enter your current password.', { field });
    // A stolen session must not become an unlimited password oracle.
    await hit(deps, limits.reauthUser, userId);
    if (!(await verifyPassword(user.passwordHash, password))) {
      throw new AppError('BAD_REQUEST', 'Your current password is not right.', { field });
    }
    return user;
  }
  const session = await deps.db.c.sessions.findOne({ userId, publicId: sessionPublicId }, { projection: { createdAt: 1 } });
  if (!session || Date.now() - session.createdAt.getTime() > FRESH_SESSION_MS) {
    throw new AppError('FORBIDDEN', 'For your security, please log in again (within the last 10 minutes) and retry.');
  }
  return user;
}
