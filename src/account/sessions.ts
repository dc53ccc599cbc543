// The user's own sessions: list them (device, IP, last seen) and revoke any. Sessions are
// addressed by their public id, never by the token or its hash, and always within the user's own
// rows, so another user's id is simply not found: a user lists and revokes only their own sessions.
import type { ServerDeps } from '../deps';
import { AppError } from '../lib/errors';

export interface SessionView {
  id: string;
  current: boolean;
  ip: string;
  userAgent: string;
  createdAt: string;
  lastSeenAt: string;
}

export async function listSessions(opts: { deps: ServerDeps; userId: string; currentPublicId: string }): Promise<SessionView[]> {
  const now = new Date();
  const docs = await opts.deps.db.c.sessions
    .find({ userId: opts.userId, expiresAt: { $gt: now }, absoluteExpiresAt: { $gt: now } })
    .sort({ lastSeenAt: -1 })
    .limit(200)
    .toArray();
  return docs.map((d) => ({
    id: d.publicId,
    current: d.publicId === opts.currentPublicId,
    ip: d.ip,
    userAgent: d.userAgent,
    createdAt: d.createdAt.toISOString(),
    lastSeenAt: d.lastSeenAt.toISOString(),
  }));
}

/** Revokes one of the user's sessions; returns whether it was the current one. */
export async function revokeSession(opts: {
  deps: ServerDeps;
  userId: string;
  publicId: string;
  currentPublicId: string;
}): Promise<{ wasCurrent: boolean }> {
  // Through the sessions module, which also evicts the session from every process's cache.
  const found = await opts.deps.sessions.invalidateByPublicId(opts.userId, opts.publicId);
  if (!found) throw new AppError('NOT_FOUND', 'This session was not found. It may have ended already.');
  return { wasCurrent: opts.publicId === opts.currentPublicId };
}
