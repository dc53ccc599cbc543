// Typed collections. Every document shape the app stores is declared here, so a reader can see the
// whole data model in one place. Ids are strings we generate (not ObjectIds) so they travel safely
// through URLs, Stripe metadata and the web app.
import type { Collection, Db } from 'mongodb';

export type Role = 'user' | 'admin';

export interface UserDoc {
  _id: string;
  /** Lower-cased and trimmed; unique. */
  email: string;
  emailVerified: boolean;
  name: string;
  /** Argon2id PHC string; null for accounts created through OAuth that never set a password. */
  passwordHash: string | null;
  role: Role;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Set when the account is first sent to Stripe (billing). */
  stripeCustomerId?: string;
}

export interface SessionDoc {
  /** SHA-256 of the session token: a leaked sessions collection logs no one in. */
  _id: string;
  /** Random id shown to the user to list and revoke sessions; never the token. */
  publicId: string;
  userId: string;
  /** Idle expiry; slides forward on use but never past `absoluteExpiresAt`. */
  expiresAt: Date;
  absoluteExpiresAt: Date;
  createdAt: Date;
  lastSeenAt: Date;
  ip: string;
  userAgent: string;
}

export type EmailCodePurpose = 'verify_email' | 'change_email';

export interface EmailCodeDoc {
  _id: string;
  userId: string;
  purpose: EmailCodePurpose;
  /** The address the code was sent to; the code only proves ownership of this address. */
  email: string;
  codeHash: string;
  expiresAt: Date;
  attempts: number;
  createdAt: Date;
}

export interface PasswordResetDoc {
  /** SHA-256 of the emailed token. */
  _id: string;
  userId: string;
  email: string;
  expiresAt: Date;
  createdAt: Date;
}

export interface RateLimitDoc {
  /** Random: one row per counted hit, a sliding-window log (see src/lib/rate-limit.ts for why). */
  _id: string;
  /** e.g. `login:ip:1.2.3.4` or `login:acct-ip:a@b.c|1.2.3.4` */
  key: string;
  /** When this hit leaves the window; rows past it are deleted by a cleanup job. */
  expiresAt: Date;
}

export type OAuthProvider = 'github' | 'google';

export interface OAuthAccountDoc {
  /** `${provider}:${providerUserId}` — accounts are keyed on the provider's id, never on email. */
  _id: string;
  provider: OAuthProvider;
  providerUserId: string;
  userId: string;
  email: string | null;
  username: string | null;
  createdAt: Date;
}

/**
 * A session or user whose cached sessions must be dropped. Every server process polls these so a
 * logout, revocation, demotion or disabled account on one process takes effect on all of them.
 */
export interface SessionEventDoc {
  _id: string;
  userId: string | null;
  tokenHash: string | null;
  at: Date;
}

export interface Collections {
  users: Collection<UserDoc>;
  sessions: Collection<SessionDoc>;
  emailCodes: Collection<EmailCodeDoc>;
  passwordResets: Collection<PasswordResetDoc>;
  rateLimits: Collection<RateLimitDoc>;
  oauthAccounts: Collection<OAuthAccountDoc>;
  sessionEvents: Collection<SessionEventDoc>;
}

export function collections(db: Db): Collections {
  return {
    users: db.collection<UserDoc>('users'),
    sessions: db.collection<SessionDoc>('sessions'),
    emailCodes: db.collection<EmailCodeDoc>('email_codes'),
    passwordResets: db.collection<PasswordResetDoc>('password_resets'),
    rateLimits: db.collection<RateLimitDoc>('rate_limits'),
    oauthAccounts: db.collection<OAuthAccountDoc>('oauth_accounts'),
    sessionEvents: db.collection<SessionEventDoc>('session_events'),
  };
}
