// The display name.
import type { ServerDeps } from '../deps';
import { toPublicUser, type PublicUser } from '../auth/users';
import { AppError } from '../lib/errors';
import { refreshSubscriberAccount } from '../billing/figures/subscriber-rows';

export async function updateProfile(opts: { deps: ServerDeps; userId: string; name: string }): Promise<PublicUser> {
  const user = await opts.deps.db.c.users.findOneAndUpdate(
    { _id: opts.userId },
    { $set: { name: opts.name, updatedAt: new Date() } },
    { returnDocument: 'after' },
  );
  if (!user) throw new AppError('UNAUTHORIZED', 'Please log in.');
  await opts.deps.sessions.userChanged(opts.userId);
  // The admin's subscriber list shows and searches the new name.
  await refreshSubscriberAccount(opts.deps, opts.userId);
  return toPublicUser(user);
}
