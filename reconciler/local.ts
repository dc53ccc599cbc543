// Where `npm start` put its local services. scripts/start.ts writes .data/local-services.json once
// FerretDB, Mailpit and the Stripe emulator are up (and removes it when it stops), so
// `npm run reconcile` reaches the same database and emulator with no setup. Variables that are set
// always win; against real Stripe nothing is read from here.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface LocalServices {
  mongodbUri: string | null;
  stripeApiBase: string | null;
  stripeSecretKey: string | null;
  smtpUrl: string | null;
}

export function localServicesFile(root = path.resolve(import.meta.dirname, '..')): string {
  return path.resolve(process.env.DROPIN_DATA_DIR ?? path.join(root, '.data'), 'local-services.json');
}

/** process.env completed from the state file where a variable is unset (never in production). */
export function withLocalServices(source: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const env = { ...source };
  if (env.NODE_ENV === 'production') return env;
  const missing = !env.MONGODB_URI || !env.STRIPE_SECRET_KEY || !env.SMTP_URL;
  const file = localServicesFile();
  if (!missing || !existsSync(file)) return env;
  const local = JSON.parse(readFileSync(file, 'utf8')) as LocalServices;
  if (!env.MONGODB_URI && local.mongodbUri) env.MONGODB_URI = local.mongodbUri;
  if (!env.SMTP_URL && local.smtpUrl) env.SMTP_URL = local.smtpUrl;
  if (!env.STRIPE_SECRET_KEY && local.stripeSecretKey) {
    env.STRIPE_SECRET_KEY = local.stripeSecretKey;
    env.STRIPE_API_BASE = local.stripeApiBase ?? undefined;
  }
  return env;
}
