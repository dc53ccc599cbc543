// Changing the email address: prove the current password, then prove the new address with a code
// sent there; only then does the account switch, and the old address is told of the change.
import { refreshSubscriberAccount } from '../billing/figures/subscriber-rows';
import type { ServerDeps } from '../deps';
import { consumeCode, issueCode } from '../auth/email-codes';
import { limits } from '../auth/limits';
import { isDuplicateKey } from '../db/errors';
import { sendInBackground } from '../email/send';
import { templates } from '../email/templates';
import { AppError } from '../lib/errors';
import { hit } from '../lib/rate-limit';
import { requireRecentAuth } from './reauth';

/**
 * Sends a code to `newEmail`. If another account already uses that address we answer the same and
 * tell that address's owner instead, so this form cannot probe which addresses have accounts.
 */
export async function requestEmailChange(opts: {
  deps: ServerDeps;
  userId: string;
  sessionPublicId: string;
  newEmail: string;
  currentPassword: string | undefined;
}): Promise<void> {
  const { deps, userId, newEmail } = opts;
  const user = await requireRecentAuth({ deps, userId, sessionPublicId: opts.sessionPublicId, password: opts.currentPassword });
  if (newEmail === user.email) throw new AppError('BAD_REQUEST', 'This is already your email address.', { field: 'newEmail' });
  // Each request emails an address the caller chose: keep that from becoming a spam cannon.
  await hit(deps, limits.sendCodeCooldown, `${userId}:change`);
  await hit(deps, limits.sendCodeUser, `${userId}:change`);
  const taken = await deps.db.c.users.findOne({ email: newEmail }, { projection: { _id: 1 } });
  if (taken) {
    sendInBackground(deps, { to: newEmail, ...templates.addressInUse(deps.env) });
    return;
  }
  const code = await issueCode({ deps, userId, purpose: 'change_email', email: newEmail });
  sendInBackground(deps, { to: newEmail, ...templates.newAddressCode(deps.env, { code }) });
}

export async function confirmEmailChange(opts: { deps: ServerDeps; userId: string; code: string }): Promise<void> {
  const { deps, userId, code } = opts;
  await hit(deps, limits.codeUser, userId);
  const { email: newEmail } = await consumeCode({ deps, userId, purpose: 'change_email', code });
  const before = await deps.db.c.users
    .findOneAndUpdate(
      { _id: userId },
      { $set: { email: newEmail, emailVerified: true, updatedAt: new Date() } },
      { returnDocument: 'before' },
    )
    .catch((err: unknown) => {
      // The unique index is the referee if someone else took the address meanwhile.
      if (isDuplicateKey(err)) {
        throw new AppError('CONFLICT', 'This address is now used by another account.', { field: 'code' });
      }
      throw err;
    });
  if (!before) throw new AppError('UNAUTHORIZED', 'Please log in.');
  await deps.sessions.userChanged(userId);
  // The admin's subscriber list shows and finds the new address.
  await refreshSubscriberAccount(deps, userId, { previousEmail: before.email });
  // Links and codes sent to the old address must not keep working.
  await Promise.all([
    deps.db.c.passwordResets.deleteMany({ userId }),
    deps.db.c.emailCodes.deleteMany({ userId, purpose: 'verify_email' }),
  ]);
  sendInBackground(deps, { to: before.email, ...templates.emailChanged(deps.env, { newEmail }) });
}
