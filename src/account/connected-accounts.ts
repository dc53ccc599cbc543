// OAuth accounts linked to the user (GitHub, Google): list and unlink, never removing the last way
// to log in.
import type { AppDeps } from '../deps';
import type { OAuthProvider } from '../db/collections';
import { AppError } from '../lib/errors';

export interface ConnectedAccountView {
  provider: OAuthProvider;
  username: string | null;
  email: string | null;
  createdAt: string;
}

export async function listConnectedAccounts(opts: {
  deps: AppDeps;
  userId: string;
}): Promise<{ accounts: ConnectedAccountView[]; canUnlink: boolean }> {
  const { deps, userId } = opts;
  const [docs, user] = await Promise.all([
    deps.db.c.oauthAccounts.find({ userId }).sort({ createdAt: 1 }).toArray(),
    deps.db.c.users.findOne({ _id: userId }, { projection: { passwordHash: 1 } }),
  ]);
  const hasPassword = Boolean(user?.passwordHash);
  return {
    accounts: docs.map((d) => ({
      provider: d.provider,
      username: d.username,
      email: d.email,
      createdAt: d.createdAt.toISOString(),
    })),
    canUnlink: hasPassword || docs.length > 1,
  };
}

const LAST_WAY = 'This is your only way to log in. Set a password or connect another account first.';

export async function unlinkProvider(opts: { deps: AppDeps; userId: string; provider: OAuthProvider }): Promise<void> {
  const { deps, userId, provider } = opts;
  const c = deps.db.c;
  const user = await c.users.findOne({ _id: userId }, { projection: { passwordHash: 1 } });
  if (!user) throw new AppError('UNAUTHORIZED', 'Please log in.');
  const link = await c.oauthAccounts.findOne({ userId, provider });
  if (!link) throw new AppError('NOT_FOUND', 'This provider is not connected to your account.', { field: 'provider' });
  if (!user.passwordHash && (await c.oauthAccounts.countDocuments({ userId })) <= 1) {
    throw new AppError('BAD_REQUEST', LAST_WAY, { field: 'provider' });
  }
  await c.oauthAccounts.deleteOne({ _id: link._id, userId });
  // Without transactions two concurrent unlinks could each see "another one is left". Re-check
  // afterwards and put ours back if nothing is left, so the account is never stranded.
  if (!user.passwordHash && (await c.oauthAccounts.countDocuments({ userId })) === 0) {
    await c.oauthAccounts.insertOne(link).catch(() => {});
    throw new AppError('BAD_REQUEST', LAST_WAY, { field: 'provider' });
  }
}
