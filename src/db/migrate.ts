// Runs the database's pending migrations (src/db/migrations/), each once per database, and keeps
// their ledger in the `migrations` collection: id, when it was applied, how long it took. Every
// process that opens the database runs this first (connectDatabase), so a fresh database, a test's
// database and a production one after a deploy all reach the code's version the same way.
//
// - One runner at a time: the pending steps run under the `migrations` lease (src/db/lease.ts, a
//   unique insert, exact on FerretDB and MongoDB alike). Others wait for it, then find nothing left.
// - A database ahead of the code (its ledger names a step this code does not have) is refused
//   before anything runs: an older release must not write to data shaped by a newer one.
import type { Db } from 'mongodb';
import type { Logger } from '../log';
import type { Collections, MigrationDoc } from './collections';
import { isDuplicateKey } from './errors';
import { acquireLease } from './lease';
import { migrations as allMigrations } from './migrations/index';
import type { Migration } from './migrations/step';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrateOptions {
  db: Db;
  c: Collections;
  ferretdb: boolean;
  log: Logger;
  /** The code's steps, oldest first (tests pass their own). */
  steps?: readonly Migration[];
  /** How long to wait for another process's run before giving up (default 10 minutes). */
  waitMs?: number;
  /** The lease period; a crashed runner's lease is free again within two (default 30 s). */
  leaseMs?: number;
}

export interface MigrationStatus {
  id: string;
  /** Null while pending. */
  appliedAt: Date | null;
  durationMs: number | null;
}

export interface DatabaseVersion {
  steps: MigrationStatus[];
  pending: string[];
  /** Applied to the database but unknown to this code: the database is ahead of it. */
  unknown: MigrationDoc[];
}

/** Where the database stands against the code's steps, without changing anything. */
export async function databaseVersion(opts: { c: Collections; steps?: readonly Migration[] }): Promise<DatabaseVersion> {
  const steps = opts.steps ?? allMigrations;
  const applied = new Map((await opts.c.migrations.find({}).toArray()).map((row) => [row._id, row]));
  const known = new Set(steps.map((s) => s.id));
  return {
    steps: steps.map((s) => {
      const row = applied.get(s.id);
      return { id: s.id, appliedAt: row?.appliedAt ?? null, durationMs: row?.durationMs ?? null };
    }),
    pending: steps.filter((s) => !applied.has(s.id)).map((s) => s.id),
    unknown: [...applied.values()].filter((row) => !known.has(row._id)).sort((a, b) => a._id.localeCompare(b._id)),
  };
}

function refuseIfAhead(version: DatabaseVersion): void {
  const [first, ...more] = version.unknown;
  if (!first) return;
  const also = more.length ? ` (and ${more.map((m) => `"${m._id}"`).join(', ')})` : '';
  throw new MigrationError(
    `The database has migration "${first._id}"${also}, applied ${first.appliedAt.toISOString()}, which this code does ` +
      'not have: a newer release migrated it. Start that release (or a newer one); this one refuses to run on it.',
  );
}

/**
 * Applies the pending steps in order and records each; returns the ids it applied (none when the
 * database was current, or another process applied them while this one waited).
 */
export async function migrate(opts: MigrateOptions): Promise<string[]> {
  const steps = opts.steps ?? allMigrations;
  const { c, log } = opts;
  let version = await databaseVersion({ c, steps });
  refuseIfAhead(version);
  if (!version.pending.length) return [];

  const waitMs = opts.waitMs ?? 600_000;
  const leaseMs = opts.leaseMs ?? 30_000;
  const waitingSince = Date.now();
  let lease = await acquireLease(c, { name: 'migrations', leaseMs });
  let told = false;
  while (!lease) {
    if (Date.now() - waitingSince > waitMs) {
      throw new MigrationError(
        `Another process has been migrating the database for over ${Math.round(waitMs / 1000)} s; ` +
          'see `npm run db:status`, and start again once it has finished.',
      );
    }
    if (!told) log.info({ pending: version.pending }, 'waiting for another process to finish migrating the database');
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 200));
    lease = await acquireLease(c, { name: 'migrations', leaseMs });
  }

  const applied: string[] = [];
  try {
    // Another process may have run some or all of them while this one waited.
    version = await databaseVersion({ c, steps });
    refuseIfAhead(version);
    const pending = new Set(version.pending);
    for (const step of steps) {
      if (!pending.has(step.id)) continue;
      if (lease.lost) throw new MigrationError(`Lost the migration lease before "${step.id}" (a stalled process?); start again.`);
      const started = Date.now();
      log.info({ migration: step.id }, 'applying migration');
      try {
        await step.up({ db: opts.db, c, ferretdb: opts.ferretdb, log });
      } catch (err) {
        throw new MigrationError(`Migration "${step.id}" failed: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      const durationMs = Date.now() - started;
      try {
        await c.migrations.insertOne({ _id: step.id, appliedAt: new Date(), durationMs });
      } catch (err) {
        if (isDuplicateKey(err)) throw new MigrationError(`Migration "${step.id}" was also applied by another process.`);
        throw err;
      }
      log.info({ migration: step.id, durationMs }, 'applied migration');
      applied.push(step.id);
    }
  } finally {
    await lease.release();
  }
  return applied;
}
