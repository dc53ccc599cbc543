// Changing the password from settings: needs the current one (or a fresh session for an account
// without one), keeps this session, ends the others and revokes every API key, and tells the owner
// by email.
import type { ServerDeps } from '../deps';
import { validateNewPassword } from '../auth/password-policy';
import { endCredentialsOnPasswordChange } from '../auth/account-state';
import { setPassword } from '../auth/users';
import { sendInBackground } from '../email/send';
import { templates } from '../email/templates';
import { requireRecentAuth } from './reauth';

export async function changePassword(opts: {
  deps: ServerDeps;
  userId: string;
  sessionPublicId: string;
  /** Optional only for accounts without a password, which need a fresh session instead. */
  currentPassword: string | undefined;
  newPassword: string;
}): Promise<{ revokedSessions: number; revokedKeys: number }> {
  const { deps, userId, sessionPublicId, newPassword } = opts;
  const user = await requireRecentAuth({ deps, userId, sessionPublicId, password: opts.currentPassword });
  validateNewPassword({ password: newPassword, email: user.email, field: 'newPassword' });
  await setPassword(deps, { userId, password: newPassword });
  const ended = await endCredentialsOnPasswordChange(deps, { userId, keepSessionPublicId: sessionPublicId });
  await deps.db.c.passwordResets.deleteMany({ userId });
  sendInBackground(deps, { to: user.email, ...templates.passwordChanged(deps.env, { revokedKeys: ended.revokedKeys }) });
  return ended;
}
