// `npm run admin:create -- <email> [--password <pw>]`: creates an admin, or promotes an existing
// account (whose password is left alone). Prompts for nothing. A new account takes its password
// from --password or ADMIN_PASSWORD; without either, a strong one is generated and printed once.
// Uses MONGODB_URI; locally, when it is unset, opens the same FerretDB data `npm start` uses.
import path from 'node:path';
import { EnvError, parseEnv } from '../src/env';
import { connectDatabase, type Database } from '../src/db/client';
import { seedAdmin } from '../src/auth/admin-seed';
import { createSessions } from '../src/auth/sessions';
import { AppError } from '../src/lib/errors';
import { randomToken } from '../src/lib/ids';
import { startFerretDB, type Service } from './services';
import { root } from './tools';

const USAGE = `Usage: npm run admin:create -- <email> [--password <password>]

Creates the admin <email>, or promotes that existing account to admin (its password is kept).
For a new account the password comes from --password, else ADMIN_PASSWORD, else a strong one is
generated and printed once.`;

interface Args {
  email: string;
  password: string | null;
}

export function parseArgs(argv: string[]): Args | { help: true } | { error: string } {
  let email: string | null = null;
  let password: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return { help: true };
    if (arg === '--password') {
      const next = argv[++i];
      if (next === undefined) return { error: '--password needs a value' };
      password = next;
    } else if (arg.startsWith('--password=')) {
      password = arg.slice('--password='.length);
    } else if (arg.startsWith('-')) {
      return { error: `unknown option ${arg}` };
    } else if (email === null) {
      email = arg;
    } else {
      return { error: `unexpected argument ${arg}` };
    }
  }
  if (!email) return { error: 'the email address is missing' };
  return { email, password };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if ('help' in args) {
    console.log(USAGE);
    return 0;
  }
  if ('error' in args) {
    console.error(`admin:create: ${args.error}\n\n${USAGE}`);
    return 2;
  }
  const env = parseEnv();

  let ferret: Service | null = null;
  let uri = env.MONGODB_URI;
  if (!uri) {
    if (env.NODE_ENV === 'production') throw new EnvError(['MONGODB_URI is required in production']);
    const dataDir = path.resolve(process.env.DROPIN_DATA_DIR ?? path.join(root, '.data'));
    ferret = await startFerretDB({ dataDir: path.join(dataDir, 'ferretdb'), log: (l) => console.log(l) });
    uri = ferret.url;
    const shown = path.relative(process.cwd(), dataDir);
    console.log(`Using the local database in ${shown.startsWith('..') ? dataDir : shown || '.'}/ferretdb`);
  }

  let db: Database | null = null;
  try {
    db = await connectDatabase(uri, env.MONGODB_DB);
    const given = args.password ?? env.ADMIN_PASSWORD ?? null;
    // 144 random bits, URL-safe: strong, and easy to paste.
    const password = given ?? randomToken(18);
    // A sessions object only to announce a promotion to running servers' session caches.
    const sessions = createSessions(env, db.c);
    const result = await seedAdmin({ db, sessions }, args.email, password);
    if (result.created) {
      console.log(`Created admin ${result.email}.`);
      if (!given) {
        console.log(`Password (shown only now; change it after logging in): ${password}`);
      }
    } else if (result.promoted) {
      console.log(`Promoted ${result.email} to admin. Its password is unchanged.`);
    } else {
      console.log(`${result.email} is already an admin. Nothing changed.`);
    }
    if (result.disabled) console.warn(`Warning: ${result.email} is disabled and cannot log in until re-enabled.`);
    return 0;
  } finally {
    await db?.close();
    await ferret?.stop();
  }
}

// Runs only as a script, so tests can import parseArgs.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main()
    .then((code) => process.exit(code))
    .catch((err) => {
      const message =
        err instanceof EnvError || err instanceof AppError ? err.message : err instanceof Error ? err.message : String(err);
      console.error(`admin:create failed: ${message}`);
      process.exit(1);
    });
}
