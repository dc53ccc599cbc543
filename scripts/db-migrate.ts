// `npm run db:migrate`: applies the database's pending migrations (src/db/migrations/) and prints
// where it stands. `npm run db:migrate -- status` (or `npm run db:status`) only prints: each step
// with when it was applied and how long it took, or "pending"; steps the code does not know (the
// database is ahead of it) are listed too, and make the exit code 1.
// Uses MONGODB_URI; locally, when it is unset, the database of a running `npm start`, else the
// same FerretDB data `npm start` uses.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { withLocalServices } from '../reconciler/local';
import { connectDatabase, type Database } from '../src/db/client';
import { type DatabaseVersion, databaseVersion, MigrationError } from '../src/db/migrate';
import { EnvError, parseEnv } from '../src/env';
import { createLogger } from '../src/log';
import { startFerretDB, type Service } from './services';
import { root } from './tools';

const USAGE = `Usage: npm run db:migrate [-- status]

  (no command)  apply the pending migrations, then print the status
  status        print each migration and whether it is applied, changing nothing`;

export function formatStatus(version: DatabaseVersion): string[] {
  const lines = version.steps.map((s) =>
    s.appliedAt ? `  applied  ${s.id}  ${s.appliedAt.toISOString()}  ${s.durationMs} ms` : `  pending  ${s.id}`,
  );
  for (const u of version.unknown)
    lines.push(`  UNKNOWN  ${u._id}  ${u.appliedAt.toISOString()}  (applied by a newer release; this code refuses to start)`);
  const applied = version.steps.length - version.pending.length;
  lines.push(
    version.unknown.length
      ? `The database is ahead of this code by ${version.unknown.length} migration(s).`
      : `${applied} of ${version.steps.length} applied${version.pending.length ? `, ${version.pending.length} pending` : ': up to date'}.`,
  );
  return lines;
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const command = positionals[0] ?? 'up';
  if (!['up', 'status'].includes(command) || positionals.length > 1) {
    console.error(`db:migrate: unknown command ${positionals.join(' ')}\n\n${USAGE}`);
    return 2;
  }
  const source = withLocalServices();
  const env = parseEnv({ ...source, LOG_LEVEL: source.LOG_LEVEL ?? 'info' });

  let ferret: Service | null = null;
  let uri = env.MONGODB_URI;
  if (!uri) {
    if (env.NODE_ENV === 'production') throw new EnvError(['MONGODB_URI is required in production']);
    const dataDir = path.resolve(process.env.DROPIN_DATA_DIR ?? path.join(root, '.data'));
    ferret = await startFerretDB({ dataDir: path.join(dataDir, 'ferretdb') });
    uri = ferret.url;
    const shown = path.relative(process.cwd(), dataDir);
    console.log(`Using the local database in ${shown.startsWith('..') ? dataDir : shown || '.'}/ferretdb`);
  }
  let db: Database | null = null;
  try {
    const log = createLogger(env.LOG_LEVEL, { pretty: env.NODE_ENV !== 'production' });
    db = await connectDatabase(uri, env.MONGODB_DB, { migrate: command === 'up', log });
    const version = await databaseVersion({ c: db.c });
    console.log(`Database ${env.MONGODB_DB}:`);
    for (const line of formatStatus(version)) console.log(line);
    return version.unknown.length ? 1 : 0;
  } finally {
    await db?.close();
    await ferret?.stop();
  }
}

// Runs only as a script, so tests can import formatStatus.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main()
    .then((code) => process.exit(code))
    .catch((err) => {
      const known = err instanceof EnvError || err instanceof MigrationError;
      console.error(`db:migrate failed: ${known || err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
