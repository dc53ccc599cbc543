// Decides which DropIn user an OAuth profile belongs to, linking or creating as needed.
// Accounts are keyed on provider + provider user id, never on email; an email match links only
// when the provider says it verified that address. No transactions: unique indexes (users.email,
// oauthAccounts._id) settle races, and the loser re-reads what the winner wrote.
import type { ServerDeps } from '../../deps';
import type { Collections, OAuthAccountDoc, UserDoc } from '../../db/collections';
import { isDuplicateKey } from '../../db/errors';
import { newId } from '../../lib/ids';
import type { OAuthProfile } from './providers';

export type OAuthOutcome =
  | { ok: true; userId: string; created: boolean; linked: boolean }
  | {
      ok: false;
      reason:
        | 'email_unverified' // an account has this email, but the provider did not verify it
        | 'no_email' // no link, no email: nothing to create an account with
        | 'disabled'
        | 'linked_elsewhere' // (linking) this provider account belongs to another user
        | 'provider_already_linked'; // (linking) the user already has another account of this provider
    };

export function oauthAccountId(provider: string, providerUserId: string): string {
  return `${provider}:${providerUserId}`;
}

/** Login (or sign-up) with an OAuth profile. */
type Deps = Pick<ServerDeps, 'db' | 'sessions'>;

export async function resolveOAuthLogin(opts: { deps: Deps; profile: OAuthProfile }, attempt = 0): Promise<OAuthOutcome> {
  const { deps, profile } = opts;
  const c = deps.db.c;
  const linkId = oauthAccountId(profile.provider, profile.providerUserId);

  const link = await c.oauthAccounts.findOne({ _id: linkId });
  if (link) return loginExisting(c, link.userId, false);

  if (!profile.email) return { ok: false, reason: 'no_email' };
  const existing = await c.users.findOne({ email: profile.email });
  if (existing) {
    if (!profile.emailVerified) return { ok: false, reason: 'email_unverified' };
    if (existing.disabled) return { ok: false, reason: 'disabled' };
    const linked = await insertLink(c, profile, existing._id);
    if (linked !== existing._id) return loginExisting(c, linked, false);
    await claimUnverifiedAccount(deps, existing);
    return { ok: true, userId: existing._id, created: false, linked: true };
  }

  const now = new Date();
  const user: UserDoc = {
    _id: newId(),
    email: profile.email,
    emailVerified: profile.emailVerified,
    name: profile.name.slice(0, 100),
    passwordHash: null,
    role: 'user',
    disabled: false,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await c.users.insertOne(user);
  } catch (err) {
    // Someone took the email between our read and write (a parallel signup or callback): start over.
    if (isDuplicateKey(err) && attempt === 0) return resolveOAuthLogin(opts, 1);
    throw err;
  }
  const linked = await insertLink(c, profile, user._id);
  if (linked !== user._id) {
    // A parallel callback for the same provider account won; drop our orphan user.
    await c.users.deleteOne({ _id: user._id });
    return loginExisting(c, linked, false);
  }
  return { ok: true, userId: user._id, created: true, linked: true };
}

/** Links the provider account to `userId` (the signed-in user who asked for it). */
export async function linkToUser(opts: { deps: Deps; profile: OAuthProfile; userId: string }): Promise<OAuthOutcome> {
  const { deps, profile, userId } = opts;
  const c = deps.db.c;
  const linkId = oauthAccountId(profile.provider, profile.providerUserId);
  const link = await c.oauthAccounts.findOne({ _id: linkId });
  if (link && link.userId !== userId) return { ok: false, reason: 'linked_elsewhere' };
  if (link) return loginExisting(c, userId, false);
  const other = await c.oauthAccounts.findOne({ userId, provider: profile.provider });
  if (other) return { ok: false, reason: 'provider_already_linked' };
  const owner = await insertLink(c, profile, userId);
  if (owner !== userId) return { ok: false, reason: 'linked_elsewhere' };
  return loginExisting(c, userId, true);
}

async function loginExisting(c: Collections, userId: string, linked: boolean): Promise<OAuthOutcome> {
  const user = await c.users.findOne({ _id: userId }, { projection: { disabled: 1 } });
  if (!user || user.disabled) return { ok: false, reason: 'disabled' };
  return { ok: true, userId, created: false, linked };
}

/** Inserts the link; returns the user id that owns it afterwards (ours, or a parallel winner's). */
async function insertLink(c: Collections, profile: OAuthProfile, userId: string): Promise<string> {
  const doc: OAuthAccountDoc = {
    _id: oauthAccountId(profile.provider, profile.providerUserId),
    provider: profile.provider,
    providerUserId: profile.providerUserId,
    userId,
    email: profile.email,
    username: profile.username,
    createdAt: new Date(),
  };
  try {
    await c.oauthAccounts.insertOne(doc);
    return userId;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const winner = await c.oauthAccounts.findOne({ _id: doc._id });
    if (!winner) throw err;
    return winner.userId;
  }
}

/**
 * The provider just proved this person owns the address. If our account never proved it, whoever
 * created it may not be this person (pre-registration hijack): mark the address verified, drop the
 * password they set and end their sessions, so only the address owner keeps access.
 */
async function claimUnverifiedAccount(deps: Deps, user: UserDoc): Promise<void> {
  if (user.emailVerified) return;
  await deps.db.c.users.updateOne(
    { _id: user._id, emailVerified: false },
    { $set: { emailVerified: true, passwordHash: null, updatedAt: new Date() } },
  );
  // Through the sessions module, so cached sessions are evicted on every process too.
  await deps.sessions.invalidateAll(user._id);
}
