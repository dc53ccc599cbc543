// Sessions: the only module that talks to Lucia (feature-frozen upstream; see
// docs/decisions/002-lucia-and-arctic.md). Callers use these functions and never import `lucia`.
import { Lucia, TimeSpan } from 'lucia';
import type { Env } from '../env';
import type { Collections, Role } from '../db/collections';
import { MongoSessionAdapter } from './lucia-adapter';
import { SessionCache } from './session-cache';
import { sha256 } from '../lib/ids';
import { readCookie } from '../http/cookies';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  emailVerified: boolean;
  hasPassword: boolean;
  twoFactorEnabled: boolean;
  /** When two-factor sign-in was (last) turned on; a session's second factor counts only after it. */
  twoFactorEnabledAt: Date | null;
  createdAt: Date;
}

export interface SessionInfo {
  publicId: string;
  expiresAt: Date;
  absoluteExpiresAt: Date;
  /** When this session's sign-in passed the second factor (code or remembered device); null if it did not. */
  secondFactorAt: Date | null;
}

export interface SessionMeta {
  ip: string;
  userAgent: string;
  /** The sign-in passed the second factor (src/auth/two-factor/second-factor.ts). */
  secondFactor?: boolean;
}

export type Sessions = ReturnType<typeof createSessions>;

export function createSessions(env: Env, c: Collections) {
  const production = env.NODE_ENV === 'production';
  const absoluteMs = env.SESSION_ABSOLUTE_HOURS * 3600_000;
  const cache = new SessionCache(c, env.SESSION_CACHE_MS);

  // lastSeen is for the user's session list: a minute of precision is enough, so each process
  // writes it at most once a minute per session instead of on every request.
  const lastTouched = new Map<string, number>();
  const touchLastSeen = (publicId: string) => {
    const now = Date.now();
    if ((lastTouched.get(publicId) ?? 0) > now - 60_000) return;
    if (lastTouched.size > 50_000) lastTouched.clear();
    lastTouched.set(publicId, now);
    void c.sessions
      .updateOne({ publicId, lastSeenAt: { $lt: new Date(now - 60_000) } }, { $set: { lastSeenAt: new Date(now) } })
      .catch(() => {});
  };
  const idle = new TimeSpan(Math.round(env.SESSION_IDLE_HOURS * 60), 'm');
  const lucia = new Lucia(new MongoSessionAdapter(c, cache), {
    sessionExpiresIn: idle,
    sessionCookie: {
      // __Host- needs Secure, which needs HTTPS: production only.
      name: production ? '__Host-dropin_session' : 'dropin_session',
      expires: true,
      attributes: { secure: production, sameSite: 'lax', path: '/' },
    },
    getUserAttributes: (a) => a,
    getSessionAttributes: (a) => ({
      publicId: a.publicId,
      absoluteExpiresAt: a.absoluteExpiresAt,
      secondFactorAt: a.secondFactorAt,
    }),
  });

  /**
   * The answer for a session this process read from the database moments ago (the session cache),
   * without Lucia's validation, which costs more than the rest of a small tRPC call: only while the
   * session is nowhere near an end, so Lucia would give the same answer — not expired (idle or
   * absolute) and not yet due for its sliding renewal (the last half of the idle period), which
   * Lucia still handles. Revocations evict the cache entry, so they take effect here at once too.
   */
  function recentlyValidated(token: string) {
    const hit = cache.get(sha256(token));
    if (!hit) return null;
    const now = Date.now();
    const { expiresAt, attributes } = hit.session;
    if (now >= expiresAt.getTime() - idle.milliseconds() / 2 || now >= attributes.absoluteExpiresAt.getTime()) return null;
    touchLastSeen(attributes.publicId);
    return {
      user: { ...hit.user.attributes, id: hit.user.id },
      session: {
        publicId: attributes.publicId,
        expiresAt,
        absoluteExpiresAt: attributes.absoluteExpiresAt,
        secondFactorAt: attributes.secondFactorAt,
      },
      setCookie: null,
    };
  }

  return {
    cookieName: lucia.sessionCookieName,

    /** Starts a new session (a fresh token: never reuses one presented before login). */
    async create(userId: string, meta: SessionMeta): Promise<{ token: string; cookie: string }> {
      const session = await lucia.createSession(userId, {
        absoluteExpiresAt: new Date(Date.now() + absoluteMs),
        ip: meta.ip.slice(0, 64),
        userAgent: meta.userAgent.slice(0, 300),
        publicId: '',
        secondFactorAt: meta.secondFactor ? new Date() : null,
      });
      return { token: session.id, cookie: lucia.createSessionCookie(session.id).serialize() };
    },

    /**
     * Validates a token. Returns the user and session, plus a cookie to set when the session was
     * renewed (sliding expiry) or must be cleared.
     */
    async validate(
      token: string | null,
    ): Promise<{ user: SessionUser | null; session: SessionInfo | null; setCookie: string | null }> {
      if (!token) return { user: null, session: null, setCookie: null };
      const recent = recentlyValidated(token);
      if (recent) return recent;
      const { user, session } = await lucia.validateSession(token);
      if (!user || !session) {
        return { user: null, session: null, setCookie: lucia.createBlankSessionCookie().serialize() };
      }
      if (session.absoluteExpiresAt.getTime() <= Date.now()) {
        await lucia.invalidateSession(token);
        return { user: null, session: null, setCookie: lucia.createBlankSessionCookie().serialize() };
      }
      touchLastSeen(session.publicId);
      return {
        user: { ...user },
        session: {
          publicId: session.publicId,
          expiresAt: session.expiresAt,
          absoluteExpiresAt: session.absoluteExpiresAt,
          secondFactorAt: session.secondFactorAt,
        },
        setCookie: session.fresh ? lucia.createSessionCookie(token).serialize() : null,
      };
    },

    /** The session token in a Cookie header; never throws on another cookie's bad encoding. */
    readCookie(cookieHeader: string | undefined | null): string | null {
      return readCookie(cookieHeader, lucia.sessionCookieName);
    },

    blankCookie(): string {
      return lucia.createBlankSessionCookie().serialize();
    },

    async invalidate(token: string): Promise<void> {
      await lucia.invalidateSession(token);
    },

    /** Ends every session of the user, optionally keeping the current one. */
    async invalidateAll(userId: string, keepPublicId?: string): Promise<number> {
      const filter = keepPublicId ? { userId, publicId: { $ne: keepPublicId } } : { userId };
      const res = await c.sessions.deleteMany(filter);
      await cache.revoke({ userId });
      return res.deletedCount;
    },

    /** Ends one session of the user by its public id; false when it is not theirs or not found. */
    async invalidateByPublicId(userId: string, publicId: string): Promise<boolean> {
      const doc = await c.sessions.findOneAndDelete({ userId, publicId });
      if (!doc) return false;
      await cache.revoke({ tokenHash: doc._id });
      return true;
    },

    /**
     * Call after changing anything a session carries about its user (role, email, name, verified,
     * disabled, password): cached sessions of that user are dropped on every process.
     * Never delete from the sessions collection directly; use these functions.
     */
    userChanged: (userId: string) => cache.revoke({ userId }),

    /** Starts the cross-process eviction poller (servers only, not one-shot scripts). */
    startCache: (onError: (err: unknown) => void) => cache.start(onError),
    stopCache: () => cache.stop(),

    deleteExpired: () => lucia.deleteExpiredSessions(),
    tokenHash: (token: string) => sha256(token),
  };
}

declare module 'lucia' {
  interface Register {
    Lucia: Lucia<{ publicId: string; absoluteExpiresAt: Date; secondFactorAt: Date | null }, Omit<SessionUser, 'id'>>;
    DatabaseUserAttributes: Omit<SessionUser, 'id'>;
    DatabaseSessionAttributes: {
      publicId: string;
      absoluteExpiresAt: Date;
      ip: string;
      userAgent: string;
      secondFactorAt: Date | null;
    };
  }
}
