// Account state binds every credential. A session, an API key and a signed download URL (which
// needs its owner's session) are each honoured only while `credentialAllowed` says so for the
// account behind them, and `endCredentials` is how a change of state (disabled, deleted) takes
// effect on all of them at once: sessions end everywhere, API keys stop answering in this process
// at once and in every other one within the key cache's few seconds (src/api/keys.ts).
// A password change or reset goes through `endCredentialsOnPasswordChange`: every other session
// ends and every API key is revoked, since whoever knew the old password may have made one.
// Demotion reaches sessions through `sessions.userChanged`; a session carries the role, so a demoted
// admin's next request is a user's.
// Structural deps, not AppDeps: the session adapter uses this module, and deps is built from sessions.
import type { Collections, UserDoc } from '../db/collections';

interface StateDeps {
  db: { c: Pick<Collections, 'users'> };
}
interface EndDeps {
  sessions: { invalidateAll(userId: string, keepPublicId?: string): Promise<number> };
  caches: { apiKeys: { validated: Map<string, { key: { userId: string } | null }> } };
}
interface PasswordEndDeps extends EndDeps {
  db: { c: Pick<Collections, 'apiKeys'> };
}

/** The one check: a credential of this account may be used. A missing account allows nothing. */
export function credentialAllowed(user: Pick<UserDoc, 'disabled'> | null | undefined): boolean {
  return !!user && !user.disabled;
}

/** Reads the account and applies `credentialAllowed`. */
export async function accountAllowsCredentials(deps: StateDeps, userId: string): Promise<boolean> {
  return credentialAllowed(await deps.db.c.users.findOne({ _id: userId }, { projection: { disabled: 1 } }));
}

/** Ends every credential of the account: its sessions, and its API keys' validated cache entries. */
export async function endCredentials(deps: EndDeps, userId: string): Promise<number> {
  forgetKeysOf(deps, userId);
  return deps.sessions.invalidateAll(userId);
}

/**
 * After a password change or reset: sessions end (but the one that made the change, if named) and
 * every live API key is revoked; their plan slots are freed when the account next makes a key.
 */
export async function endCredentialsOnPasswordChange(
  deps: PasswordEndDeps,
  opts: { userId: string; keepSessionPublicId?: string },
): Promise<{ revokedSessions: number; revokedKeys: number }> {
  const keys = await deps.db.c.apiKeys.updateMany({ userId: opts.userId, revokedAt: null }, { $set: { revokedAt: new Date() } });
  forgetKeysOf(deps, opts.userId);
  const revokedSessions = await deps.sessions.invalidateAll(opts.userId, opts.keepSessionPublicId);
  return { revokedSessions, revokedKeys: keys.modifiedCount };
}

function forgetKeysOf(deps: EndDeps, userId: string): void {
  const keyCache = deps.caches.apiKeys.validated;
  for (const [presented, entry] of keyCache) if (entry.key?.userId === userId) keyCache.delete(presented);
}
