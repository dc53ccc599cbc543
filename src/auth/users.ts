// Users: creation, look-up and password storage. Shared by signup, OAuth, the admin seed and the
// account settings; no HTTP here.
import type { ServerDeps } from '../deps';
import type { Role, UserDoc } from '../db/collections';
import { isDuplicateKey } from '../db/errors';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { hashPassword } from './passwords';
import { endCredentials } from './account-state';
import { forgetDevices } from './two-factor/second-factor';

/** The only user shape that leaves the server (auth.me, account.updateProfile). */
export interface PublicUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  emailVerified: boolean;
  hasPassword: boolean;
  twoFactorEnabled: boolean;
}

export function toPublicUser(
  u: Pick<UserDoc, '_id' | 'email' | 'name' | 'role' | 'emailVerified' | 'passwordHash' | 'twoFactorEnabledAt'>,
): PublicUser {
  return {
    id: u._id,
    email: u.email,
    name: u.name,
    role: u.role,
    emailVerified: u.emailVerified,
    hasPassword: u.passwordHash !== null,
    twoFactorEnabled: !!u.twoFactorEnabledAt,
  };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Creates a user. The password (if any) is hashed here but not checked against the policy: callers
 * that take a password from a person call validateNewPassword first. Throws CONFLICT when the
 * email is taken (the unique index decides, so two racing signups cannot both win).
 */
export async function createUser(
  deps: Pick<ServerDeps, 'db'>,
  opts: { email: string; password: string | null; name: string; emailVerified: boolean; role?: Role },
): Promise<UserDoc> {
  const now = new Date();
  const user: UserDoc = {
    _id: newId(),
    email: normalizeEmail(opts.email),
    emailVerified: opts.emailVerified,
    name: opts.name.trim(),
    passwordHash: opts.password === null ? null : await hashPassword(opts.password),
    role: opts.role ?? 'user',
    disabled: false,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await deps.db.c.users.insertOne(user);
  } catch (err) {
    if (isDuplicateKey(err)) throw new AppError('CONFLICT', 'An account with this email already exists.', { field: 'email' });
    throw err;
  }
  return user;
}

export function findUserByEmail(deps: Pick<ServerDeps, 'db'>, email: string): Promise<UserDoc | null> {
  return deps.db.c.users.findOne({ email: normalizeEmail(email) });
}

export function findUserById(deps: Pick<ServerDeps, 'db'>, userId: string): Promise<UserDoc | null> {
  return deps.db.c.users.findOne({ _id: userId });
}

/** Stores a new password hash. Does not revoke sessions or send email: the calling flow decides. */
export async function setPassword(
  deps: Pick<ServerDeps, 'db' | 'sessions'>,
  opts: { userId: string; password: string },
): Promise<void> {
  const passwordHash = await hashPassword(opts.password);
  await deps.db.c.users.updateOne({ _id: opts.userId }, { $set: { passwordHash, updatedAt: new Date() } });
  // A remembered device was vouched for under the old password: it asks for the code again.
  await forgetDevices(deps, opts.userId);
  // Sessions carry hasPassword; cached ones must see the change.
  await deps.sessions.userChanged(opts.userId);
}

/** Disables a user and ends every credential (sessions, API keys) at once. */
export async function disableUser(deps: Pick<ServerDeps, 'db' | 'sessions' | 'caches'>, opts: { userId: string }): Promise<void> {
  await deps.db.c.users.updateOne({ _id: opts.userId }, { $set: { disabled: true, updatedAt: new Date() } });
  await endCredentials(deps, opts.userId);
}
