// Creates or promotes an admin: used by the local start (ADMIN_EMAIL / ADMIN_PASSWORD) and by
// `npm run admin:create`. Idempotent: an existing account is promoted and keeps its password, so
// re-running the seed never resets anyone's credentials.
import type { AppDeps } from '../deps';
import type { UserDoc } from '../db/collections';
import { isDuplicateKey } from '../db/errors';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { PASSWORD_MAX, PASSWORD_MIN, hashPassword } from './passwords';
import type { Sessions } from './sessions';

export interface SeedAdminResult {
  userId: string;
  email: string;
  /** A new account was created with the given password. */
  created: boolean;
  /** An existing account was turned into an admin (its password untouched). */
  promoted: boolean;
  /** The account exists but is disabled: it stays disabled, and cannot log in. */
  disabled: boolean;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * `deps.sessions`, when given, is told about a promotion so cached sessions (on every process)
 * pick up the new role at once; without it they do within the session cache's few seconds.
 */
export async function seedAdmin(
  deps: Pick<AppDeps, 'db'> & { sessions?: Pick<Sessions, 'userChanged'> },
  email: string,
  password: string,
): Promise<SeedAdminResult> {
  const address = email.trim().toLowerCase();
  if (!EMAIL.test(address) || address.length > 254) {
    throw new AppError('BAD_REQUEST', `Not an email address: ${JSON.stringify(email)}`, { field: 'email' });
  }
  const users = deps.db.c.users;

  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = await users.findOne({ email: address }, { projection: { role: 1, disabled: 1 } });
    if (existing) {
      const res = await users.updateOne(
        { _id: existing._id, role: { $ne: 'admin' } },
        { $set: { role: 'admin', updatedAt: new Date() } },
      );
      const promoted = res.modifiedCount > 0;
      if (promoted) await deps.sessions?.userChanged(existing._id);
      return { userId: existing._id, email: address, created: false, promoted, disabled: existing.disabled };
    }

    // Only a new account needs the password, so only then is it checked. The operator chose it on
    // purpose (the local default is printed in the banner): the common-password list, meant for
    // people signing up, is not applied; the length rules are.
    const length = [...password.normalize('NFKC')].length;
    if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
      throw new AppError('BAD_REQUEST', `The admin password needs ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`, {
        field: 'password',
      });
    }
    const now = new Date();
    const user: UserDoc = {
      _id: newId(),
      email: address,
      emailVerified: true,
      name: 'Admin',
      passwordHash: await hashPassword(password),
      role: 'admin',
      disabled: false,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await users.insertOne(user);
      return { userId: user._id, email: address, created: true, promoted: false, disabled: false };
    } catch (err) {
      // Another process (a second server, a parallel script) created it first: promote that one.
      if (!isDuplicateKey(err)) throw err;
    }
  }
  throw new Error(`Could not create or promote ${address}: the account changed while seeding. Try again.`);
}
