// Deleting an account: needs the current password (or a fresh login for password-less accounts),
// then removes sessions, API keys, codes, reset tokens, OAuth links and the user, and says goodbye by email.
import { cancelBillingForDeletion, detachBillingAfterDeletion } from '../billing/account-deletion';
import type { ServerDeps } from '../deps';
import { sendInBackground } from '../email/send';
import { templates } from '../email/templates';
import { requireRecentAuth } from './reauth';
import { removeTwoFactor } from '../auth/two-factor/enrolment';
import type { UserDoc } from '../db/collections';
import { endCredentials } from '../auth/account-state';
import { keySlotPrefix } from '../api/keys';

/**
 * Runs before any data is removed: cancels the user's Stripe subscriptions. Throwing stops the
 * deletion with nothing removed.
 */
export async function beforeAccountDeletion(opts: { deps: ServerDeps; user: UserDoc }): Promise<void> {
  await cancelBillingForDeletion(opts.deps, opts.user);
}

export async function deleteAccount(opts: {
  deps: ServerDeps;
  userId: string;
  sessionPublicId: string;
  password: string | undefined;
}): Promise<void> {
  const { deps, userId } = opts;
  const user = await requireRecentAuth({
    deps,
    userId,
    sessionPublicId: opts.sessionPublicId,
    password: opts.password,
    field: 'password',
  });
  await beforeAccountDeletion({ deps, user });
  const c = deps.db.c;
  // No transactions: sessions go first, so whatever happens next the account is logged out
  // everywhere; if a later step fails the user can log in again and retry. The user row goes last,
  // so nothing is left pointing at a missing user.
  await endCredentials(deps, userId);
  await Promise.all([
    c.apiKeys.deleteMany({ userId }),
    c.slots.deleteMany({ _id: { $regex: `^${keySlotPrefix(userId)}:` } }),
    c.emailCodes.deleteMany({ userId }),
    c.passwordResets.deleteMany({ userId }),
    c.oauthAccounts.deleteMany({ userId }),
    removeTwoFactor(deps, userId),
  ]);
  await c.users.deleteOne({ _id: userId });
  await detachBillingAfterDeletion(deps, user);
  deps.log.info({ userId }, 'account deleted');
  sendInBackground(deps, { to: user.email, ...templates.accountDeleted(deps.env) });
}
