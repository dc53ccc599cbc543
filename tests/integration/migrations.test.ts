// The migration ledger on the real database: every process that opens it applies what is pending,
// each step once (however many start together) and recorded; a database ahead of the code is
// refused, by the web process too, before anything runs.
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Database, isFerretDB } from '../../src/db/client';
import { databaseVersion, migrate, MigrationError } from '../../src/db/migrate';
import { migrations } from '../../src/db/migrations/index';
import type { Migration } from '../../src/db/migrations/step';
import { createServerDeps } from '../../src/server';
import { formatStatus } from '../../scripts/db-migrate';
import { testEnv } from '../setup/harness';

const env = testEnv();
const uri = env.MONGODB_URI as string;
const opened: Database[] = [];
let n = 0;

afterAll(async () => {
  await Promise.all(opened.map((d) => d.db.dropDatabase().catch(() => {})));
  await Promise.all(opened.map((d) => d.close()));
});

/** A connection to a fresh database of this file's, without migrating it. */
async function freshDatabase(name = `${env.MONGODB_DB}_${++n}`): Promise<Database> {
  const db = await connectDatabase(uri, name, { migrate: false });
  opened.push(db);
  return db;
}

/** A logger whose lines the test can read. */
function recordingLog() {
  const lines: { msg: string; migration?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('migrations', () => {
  it('a fresh database gets every step once at connect, each recorded with when and how long', async () => {
    const name = `${env.MONGODB_DB}_${++n}`;
    const before = new Date();
    const db = await connectDatabase(uri, name);
    opened.push(db);
    const rows = await db.c.migrations.find({}).sort({ _id: 1 }).toArray();
    expect(rows.map((r) => r._id)).toEqual(migrations.map((m) => m.id));
    for (const row of rows) {
      expect(row.appliedAt.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1_000);
      expect(row.durationMs).toBeGreaterThanOrEqual(0);
    }
    // What the steps did: the unique indexes exist.
    const userIndexes = (await db.c.users.listIndexes().toArray()).map((i) => i.name);
    expect(userIndexes).toContain('email_unique');

    // A second start applies nothing and leaves the ledger as it was.
    const again = await connectDatabase(uri, name);
    opened.push(again);
    expect(await again.c.migrations.find({}).sort({ _id: 1 }).toArray()).toEqual(rows);
    const version = await databaseVersion({ c: again.c });
    expect(version.pending).toEqual([]);
    expect(formatStatus(version).at(-1)).toBe(`${migrations.length} of ${migrations.length} applied: up to date.`);
  });

  it('runs a step once: a later run applies only the new step', async () => {
    const db = await freshDatabase();
    const ferretdb = await isFerretDB(db.db);
    const runs: string[] = [];
    const step = (id: string): Migration => ({
      id,
      up: async ({ c }) => {
        runs.push(id);
        await c.claims.insertOne({ _id: `ran:${id}`, owner: 'test', at: new Date() });
      },
    });
    const { log } = recordingLog();
    const first = [step('0001-a'), step('0002-b')];
    expect(await migrate({ db: db.db, c: db.c, ferretdb, log, steps: first })).toEqual(['0001-a', '0002-b']);
    expect(await migrate({ db: db.db, c: db.c, ferretdb, log, steps: first })).toEqual([]);
    // The next release adds a step.
    expect(await migrate({ db: db.db, c: db.c, ferretdb, log, steps: [...first, step('0003-c')] })).toEqual(['0003-c']);
    expect(runs).toEqual(['0001-a', '0002-b', '0003-c']);
  });

  it('a step that fails is not recorded, stops the ones after it, and runs again at the next start', async () => {
    const db = await freshDatabase();
    const { log } = recordingLog();
    let attempts = 0;
    const steps: Migration[] = [
      {
        id: '0001-flaky',
        up: async () => {
          attempts++;
          if (attempts === 1) throw new Error('disk full');
        },
      },
      { id: '0002-after', up: async () => {} },
    ];
    await expect(migrate({ db: db.db, c: db.c, ferretdb: false, log, steps })).rejects.toThrow(
      'Migration "0001-flaky" failed: disk full',
    );
    expect(await db.c.migrations.countDocuments({})).toBe(0);
    expect(await migrate({ db: db.db, c: db.c, ferretdb: false, log, steps })).toEqual(['0001-flaky', '0002-after']);
    expect(attempts).toBe(2);
  });

  it('starters racing on one database: one runs each step, the others wait for it and apply nothing', async () => {
    const name = `${env.MONGODB_DB}_${++n}`;
    // Five processes' connections.
    const dbs = await Promise.all(Array.from({ length: 5 }, () => freshDatabase(name)));
    const { log, lines } = recordingLog();
    let runs = 0;
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const steps: Migration[] = [
      {
        id: '0001-slow',
        up: async () => {
          runs++;
          await gate; // held until every other starter is waiting
        },
      },
    ];
    const results = dbs.map((db) => migrate({ db: db.db, c: db.c, ferretdb: false, log, steps }));
    await until(() => lines.filter((l) => l.msg.startsWith('waiting for another process')).length === 4, 'four waiting starters');
    open();
    const applied = await Promise.all(results);
    expect(runs).toBe(1);
    expect(applied.filter((a) => a.length === 1)).toEqual([['0001-slow']]);
    expect(applied.filter((a) => a.length === 0)).toHaveLength(4);
    expect(await dbs[0]!.c.migrations.countDocuments({})).toBe(1);
    // The lease is given back.
    expect(await dbs[0]!.c.claims.countDocuments({ _id: { $regex: '^migrations:' } })).toBe(0);
  });

  it('a database ahead of the code is refused by name, and nothing pending runs on it', async () => {
    const name = `${env.MONGODB_DB}_${++n}`;
    const db = await freshDatabase(name);
    await db.c.migrations.insertOne({ _id: '9999-from-a-newer-release', appliedAt: new Date(), durationMs: 3 });

    const refused = connectDatabase(uri, name);
    await expect(refused).rejects.toBeInstanceOf(MigrationError);
    await expect(refused).rejects.toThrow(/"9999-from-a-newer-release".*which this code does not have/);
    // A web process on it does not start.
    await expect(createServerDeps({ ...env, MONGODB_DB: name })).rejects.toThrow(/9999-from-a-newer-release/);
    // Nothing ran: the code's own steps are still pending.
    expect(await db.c.migrations.find({}).toArray()).toEqual([expect.objectContaining({ _id: '9999-from-a-newer-release' })]);
    const status = formatStatus(await databaseVersion({ c: db.c }));
    expect(status).toContain(`  pending  ${migrations[0]!.id}`);
    expect(status.at(-1)).toBe('The database is ahead of this code by 1 migration(s).');
  });
});
