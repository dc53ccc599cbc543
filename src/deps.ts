// Everything a job, a request handler or a test needs, built once at startup. `AppDeps` is what a
// job needs (the reconciler, scripts): no HTTP and no sessions, so the reconciler's bundle carries
// no auth code. The server adds its sessions (`ServerDeps`, built in server.ts).
import type { Env } from './env';
import { createLogger, type Logger } from './log';
import { connectDatabase, type Database } from './db/client';
import { createMailer, type Mailer } from './email/mailer';
import type { Sessions } from './auth/sessions';
import { createStripe, type Stripe } from './billing/stripe';
import { createCaches, type Caches } from './caches';

export interface AppDeps {
  env: Env;
  db: Database;
  mailer: Mailer;
  log: Logger;
  /** Null when no Stripe key is configured (some tests); billing procedures then answer 503. */
  stripe: Stripe | null;
  /** This instance's own in-memory caches and work in flight, never shared with another instance. */
  caches: Caches;
}

/** What request handlers add: the session store behind cookies, logins and revocations. */
export interface ServerDeps extends AppDeps {
  sessions: Sessions;
}

export async function createDeps(env: Env): Promise<AppDeps> {
  // Readable lines for a person running it locally (npm start); JSON lines in production and tests.
  const log = createLogger(env.LOG_LEVEL, { pretty: env.NODE_ENV === 'development' && env.LOG_LEVEL !== 'silent' });
  if (!env.MONGODB_URI) throw new Error('MONGODB_URI is not set');
  if (!env.SMTP_URL) throw new Error('SMTP_URL is not set');
  const db = await connectDatabase(env.MONGODB_URI, env.MONGODB_DB, { log, monitorCommands: env.MONGODB_MONITOR_COMMANDS });
  const mailer = createMailer(env.SMTP_URL, env.MAIL_FROM, log);
  const stripe = env.STRIPE_SECRET_KEY ? createStripe(env) : null;
  return { env, db, mailer, log, stripe, caches: createCaches() };
}
