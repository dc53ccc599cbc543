// The display name.
import type { ServerDeps } from '../deps';
import { toPublicUser, type PublicUser } from '../auth/users';
import { AppError } from '../lib/errors';

export async function updateProfile(opts: { deps: ServerDeps; userId: string; name: string }): Promise<PublicUser> {
  const user = await opts.deps.db.c.users.findOneAndUpdate(
    { _id: opts.userId },
    { $set: { name: opts.name, updatedAt: new Date() } },
    { returnDocument: 'after' },
  );
  if (!user) throw new AppError('UNAUTHORIZED', 'Please log in.');
  await opts.deps.sessions.userChanged(opts.userId);
  return toPublicUser(user);
}
