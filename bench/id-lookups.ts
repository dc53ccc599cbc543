// What an `_id` equality costs as a collection grows: findOne, updateOne and deleteOne by `_id`
// (one connection, one at a time) at 100, 10,000 and 100,000 rows, and the plan the database
// reports for the find. On FerretDB these should stay flat: the `_id` index answers them
// (docs/decisions/013). `npx tsx bench/id-lookups.ts [--quick]` against a private FerretDB (or
// TEST_MONGODB_URI); quick stops at 10,000 rows. BENCH_ROUNDS sets the operations per figure.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Document, MongoClient } from 'mongodb';
import { startFerretDB } from '../scripts/services';
import { type BenchFigure, isQuick, reportFigures } from './lib';

const sizes = isQuick() ? [100, 10_000] : [100, 10_000, 100_000];
const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dropin-bench-id-'));
const ferret = process.env.TEST_MONGODB_URI ? null : await startFerretDB({ dataDir });
const uri = process.env.TEST_MONGODB_URI ?? (ferret as { url: string }).url;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const idOf = (i: number) => `sub_bench${String(i).padStart(7, '0')}`;
/** About the size of a subscription mirror row. */
function row(i: number): Document & { _id: string } {
  return {
    _id: idOf(i),
    customerId: `cus_bench${i}`,
    userId: `user_bench${i}`,
    status: 'active',
    priceId: 'price_pro_monthly',
    currentPeriodStart: new Date(1_780_000_000_000 + i),
    currentPeriodEnd: new Date(1_782_600_000_000 + i),
    cancelAtPeriodEnd: false,
    items: [{ id: `si_bench${i}`, price: 'price_pro_monthly', quantity: 1 }],
    latestInvoice: { id: `in_bench${i}`, status: 'paid', amountPaid: 1900, currency: 'usd' },
    fetchedAt: new Date(),
  };
}

const client = new MongoClient(uri);
await client.connect();
const db = client.db('bench_id_lookups');
const coll = db.collection<Document & { _id: string }>('subscriptions');
const figures: BenchFigure[] = [];
try {
  await coll.drop().catch(() => {});
  let count = 0;
  for (const size of sizes) {
    // Grow to `size` rows (deleted rows of the previous size are not replaced: a few dozen at most).
    for (let from = count; from < size; from += 1000) {
      const batch = Array.from({ length: Math.min(1000, size - from) }, (_, k) => row(from + k));
      await coll.insertMany(batch, { ordered: false });
    }
    count = size;
    // Spread over the whole table, so a scan would be paid in full on average.
    const ids = Array.from({ length: rounds }, (_, k) => idOf(Math.floor(((k + 0.5) * size) / rounds)));
    const time = async (op: string, fn: (id: string) => Promise<unknown>) => {
      const ms: number[] = [];
      for (const id of ids) {
        const t = performance.now();
        await fn(id);
        ms.push(performance.now() - t);
      }
      const value = Number(median(ms).toFixed(1));
      console.log(
        `${op.padEnd(10)} by _id, ${size.toLocaleString('en')} rows: median ${value} ms, max ${Math.max(...ms).toFixed(1)} ms`,
      );
      figures.push({ name: `${op} by _id, ${size.toLocaleString('en')} rows`, value, unit: 'ms', note: `median of ${rounds}` });
    };
    await time('findOne', (id) => coll.findOne({ _id: id }));
    await time('updateOne', (id) => coll.updateOne({ _id: id }, { $set: { fetchedAt: new Date() } }));
    await time('deleteOne', (id) => coll.deleteOne({ _id: id }));
    const explain = await db.command({ explain: { find: 'subscriptions', filter: { _id: idOf(1) } } });
    console.log(`  plan: ${JSON.stringify(explain.queryPlanner)}`);
  }
} finally {
  await db.dropDatabase().catch(() => {});
  await client.close();
  await ferret?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
reportFigures('id-lookups', figures);
