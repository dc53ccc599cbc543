// What opening the database costs now that it runs migrations (src/db/migrate.ts): a fresh
// database (what each test file's harness pays: every step under the lease) and an up-to-date one
// (every later process start: one read of the ledger). For comparison, what each start did before
// the ledger: all index definitions and the usage fix-up, every time.
// `npx tsx bench/db-connect.ts [rounds] [--quick]` against a private FerretDB (or TEST_MONGODB_URI);
// --quick makes 3 rounds of each (10 otherwise). Figures, no goals.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startFerretDB } from '../scripts/services';
import { connectDatabase, isFerretDB } from '../src/db/client';
import { collections } from '../src/db/collections';
import { migrations } from '../src/db/migrations/index';
import { createLogger } from '../src/log';
import { type BenchFigure, isQuick, reportFigures } from './lib';

const rounds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? (isQuick() ? 3 : 10));
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dropin-bench-db-'));
const ferret = process.env.TEST_MONGODB_URI ? null : await startFerretDB({ dataDir });
const uri = process.env.TEST_MONGODB_URI ?? (ferret as { url: string }).url;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const figures: BenchFigure[] = [];
async function time(label: string, run: (i: number) => Promise<void>) {
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await run(i);
    ms.push(performance.now() - t);
  }
  console.log(`${label.padEnd(58)} median ${median(ms).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`);
  figures.push({
    name: label,
    value: +median(ms).toFixed(1),
    unit: 'ms',
    note: `median of ${rounds}, max ${Math.max(...ms).toFixed(1)} ms`,
  });
}

const raw = new MongoClient(uri);
await raw.connect();
const ferretdb = await isFerretDB(raw.db('admin'));
const log = createLogger('silent');
try {
  await time('connect + migrate, fresh database (a test file)', async (i) => {
    const db = await connectDatabase(uri, `bench_fresh_${i}`, { log });
    await db.close();
  });
  await time('connect + migrate, up-to-date database (a process start)', async () => {
    const db = await connectDatabase(uri, 'bench_fresh_0', { log });
    await db.close();
  });
  await time('connect only (no migration)', async () => {
    const db = await connectDatabase(uri, 'bench_fresh_0', { migrate: false });
    await db.close();
  });
  await time('the steps alone, without the ledger or lease, fresh database', async (i) => {
    const db = raw.db(`bench_steps_${i}`);
    for (const step of migrations) await step.up({ db, c: collections(db), ferretdb, log });
  });
  reportFigures('db-connect', figures);
} finally {
  for (const name of (await raw.db('admin').admin().listDatabases()).databases.map((d) => d.name))
    if (name.startsWith('bench_')) await raw.db(name).dropDatabase();
  await raw.close();
  await ferret?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
