// Everything a request handler, a job or a test needs, built once at startup.
import type { Env } from './env';
import type { Database } from './db/client';
import type { Mailer } from './email/mailer';
import type { Logger } from './log';
import type { Sessions } from './auth/sessions';
import type { Stripe } from './billing/stripe';
import type { Caches } from './caches';

export interface AppDeps {
  env: Env;
  db: Database;
  mailer: Mailer;
  log: Logger;
  sessions: Sessions;
  /** Null when no Stripe key is configured (some tests); billing procedures then answer 503. */
  stripe: Stripe | null;
  /** This instance's own in-memory caches and work in flight, never shared with another instance. */
  caches: Caches;
}
