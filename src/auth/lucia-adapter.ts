// Lucia v3 adapter for MongoDB, written here (the upstream adapters are unmaintained).
// Lucia hands us the raw session token as `sessionId`; we store and look up only its SHA-256,
// so the sessions collection never contains a usable token.
import type { Adapter, DatabaseSession, DatabaseUser } from 'lucia';
import { newId, sha256 } from '../lib/ids';
import type { Collections, SessionDoc } from '../db/collections';
import type { SessionCache } from './session-cache';
import { credentialAllowed } from './account-state';

export class MongoSessionAdapter implements Adapter {
  constructor(
    private readonly c: Collections,
    private readonly cache: SessionCache,
  ) {}

  async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const hash = sha256(sessionId);
    const cached = this.cache.get(hash);
    if (cached) return [{ ...cached.session, id: sessionId }, cached.user];
    const doc = await this.c.sessions.findOne({ _id: hash });
    if (!doc) return [null, null];
    const user = await this.c.users.findOne({ _id: doc.userId });
    if (!user || !credentialAllowed(user)) return [null, null];
    const result: [DatabaseSession, DatabaseUser] = [
      toDatabaseSession(sessionId, doc),
      {
        id: user._id,
        attributes: {
          email: user.email,
          name: user.name,
          role: user.role,
          emailVerified: user.emailVerified,
          hasPassword: user.passwordHash !== null,
          twoFactorEnabled: !!user.twoFactorEnabledAt,
          twoFactorEnabledAt: user.twoFactorEnabledAt ?? null,
          createdAt: user.createdAt,
        },
      },
    ];
    this.cache.set(hash, ...result);
    return result;
  }

  async getUserSessions(userId: string): Promise<DatabaseSession[]> {
    // Raw tokens are not recoverable from hashes, so the ids returned here are hashes; only our
    // own session listing (by publicId) is used by the app.
    const docs = await this.c.sessions.find({ userId }).toArray();
    return docs.map((d) => toDatabaseSession(d._id, d));
  }

  async setSession(session: DatabaseSession): Promise<void> {
    const now = new Date();
    const attrs = session.attributes;
    await this.c.sessions.insertOne({
      _id: sha256(session.id),
      publicId: newId(),
      userId: session.userId,
      expiresAt: minDate(session.expiresAt, attrs.absoluteExpiresAt),
      absoluteExpiresAt: attrs.absoluteExpiresAt,
      createdAt: now,
      lastSeenAt: now,
      ip: attrs.ip,
      userAgent: attrs.userAgent,
      secondFactorAt: attrs.secondFactorAt,
    });
  }

  async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
    const doc = await this.c.sessions.findOne({ _id: sha256(sessionId) }, { projection: { absoluteExpiresAt: 1 } });
    if (!doc) return;
    // Sliding renewal never passes the absolute limit.
    await this.c.sessions.updateOne({ _id: doc._id }, { $set: { expiresAt: minDate(expiresAt, doc.absoluteExpiresAt) } });
    await this.cache.revoke({ tokenHash: doc._id });
  }

  async deleteSession(sessionId: string): Promise<void> {
    const hash = sha256(sessionId);
    await this.c.sessions.deleteOne({ _id: hash });
    await this.cache.revoke({ tokenHash: hash });
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await this.c.sessions.deleteMany({ userId });
    await this.cache.revoke({ userId });
  }

  async deleteExpiredSessions(): Promise<void> {
    const now = new Date();
    await this.c.sessions.deleteMany({ $or: [{ expiresAt: { $lte: now } }, { absoluteExpiresAt: { $lte: now } }] });
  }
}

function toDatabaseSession(id: string, doc: SessionDoc): DatabaseSession {
  return {
    id,
    userId: doc.userId,
    expiresAt: minDate(doc.expiresAt, doc.absoluteExpiresAt),
    attributes: {
      publicId: doc.publicId,
      absoluteExpiresAt: doc.absoluteExpiresAt,
      ip: doc.ip,
      userAgent: doc.userAgent,
      secondFactorAt: doc.secondFactorAt ?? null,
    },
  };
}

function minDate(a: Date, b: Date): Date {
  return a.getTime() <= b.getTime() ? a : b;
}
