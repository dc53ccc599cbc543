// Index upkeep through the first migration (docs/decisions/008): the unique indexes our correctness
// rests on exist on every backend; secondary indexes exist on MongoDB and not on FerretDB. And the
// `_id` equality every hot path uses is answered from the `_id` index (docs/decisions/013), and
// a burst of concurrent updates all finish (docs/decisions/016).
import { MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Database, isFerretDB } from '../../src/db/client';
import { testEnv } from '../setup/harness';

const env = testEnv();
const uri = env.MONGODB_URI as string;
let raw: MongoClient;
let ferret: boolean;
const opened: Database[] = [];

beforeAll(async () => {
  raw = new MongoClient(uri);
  await raw.connect();
  ferret = await isFerretDB(raw.db('admin'));
});
afterAll(async () => {
  await Promise.all(opened.map((d) => d.close()));
  await raw?.close();
});

async function open(dbName: string): Promise<Database> {
  const db = await connectDatabase(uri, dbName);
  opened.push(db);
  return db;
}

const names = async (db: Database, collection: string) =>
  (await db.db.collection(collection).listIndexes().toArray()).map((i) => i.name as string).sort();

describe('indexes at startup', () => {
  it('creates the unique indexes, which refuse duplicates, on every backend', async () => {
    const db = await open(`${env.MONGODB_DB}_a`);
    expect(await names(db, 'users')).toContain('email_unique');
    expect(await names(db, 'api_keys')).toContain('hash_unique');
    expect(await names(db, 'sessions')).toContain('public_id_unique');

    const now = new Date();
    const user = {
      email: 'same@example.test',
      emailVerified: true,
      name: 'A',
      passwordHash: null,
      role: 'user' as const,
      disabled: false,
      createdAt: now,
      updatedAt: now,
    };
    await db.c.users.insertOne({ _id: 'u1', ...user });
    await expect(db.c.users.insertOne({ _id: 'u2', ...user })).rejects.toMatchObject({ code: 11000 });
    expect(await db.c.users.countDocuments({})).toBe(1);
  });

  it('keeps secondary indexes to MongoDB, and drops those an older FerretDB database still has', async () => {
    const dbName = `${env.MONGODB_DB}_b`;
    // A database made before decision 008: it has a secondary index.
    await raw
      .db(dbName)
      .collection('usage_events')
      .createIndex({ userId: 1, metric: 1, periodStart: 1 }, { name: 'user_metric_period' });

    const db = await open(dbName);
    const usage = await names(db, 'usage_events');
    if (ferret) {
      expect(usage).toEqual(['_id_']);
    } else {
      expect(usage).toContain('user_metric_period');
      expect(await names(db, 'subscriptions')).toEqual(expect.arrayContaining(['user', 'customer', 'status']));
    }
    // Still unique where it must be.
    expect(await names(db, 'users')).toContain('email_unique');
  });
});

describe('an _id equality', () => {
  it('is read from the _id index, and finds, updates and deletes exactly its row', async () => {
    const coll = raw.db(`${env.MONGODB_DB}_c`).collection<{ _id: string | ObjectId; n: number }>('rows');
    const oid = new ObjectId();
    await coll.insertMany([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 2 },
      { _id: oid, n: 3 },
      { _id: 'c', n: 4 },
    ]);

    const plan = JSON.stringify((await coll.find({ _id: 'b' }).explain()).queryPlanner);
    // FerretDB's plan is SQLite's EXPLAIN QUERY PLAN; its update and delete use the same expression.
    if (ferret) expect(plan).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
    else expect(plan).toMatch(/IDHACK|EXPRESS_IXSCAN|IXSCAN/);

    expect(await coll.findOne({ _id: 'b' })).toEqual({ _id: 'b', n: 2 });
    expect(await coll.findOne({ _id: oid })).toEqual({ _id: oid, n: 3 });
    expect(await coll.findOne({ _id: 'missing' })).toBeNull();
    expect((await coll.updateOne({ _id: oid }, { $set: { n: 30 } })).modifiedCount).toBe(1);
    expect((await coll.updateOne({ _id: 'b' }, { $set: { n: 20 } })).modifiedCount).toBe(1);
    expect((await coll.deleteOne({ _id: 'a' })).deletedCount).toBe(1);
    expect((await coll.deleteOne({ _id: 'a' })).deletedCount).toBe(0);
    expect(await coll.find({}).sort({ n: 1 }).toArray()).toEqual([
      { _id: 'c', n: 4 },
      { _id: 'b', n: 20 },
      { _id: oid, n: 30 },
    ]);
  });
});

describe('a burst of updates', () => {
  it('finishes every one of 300 concurrent updates and find-and-modifies', async () => {
    // More commands in flight than the SQLite backend's pool has connections (100): an update that
    // held its query's connection while taking a second one for its write left all of them waiting.
    const client = new MongoClient(uri, { maxPoolSize: 300 });
    await client.connect();
    try {
      const coll = client.db(`${env.MONGODB_DB}_u`).collection<{ _id: string; n: number }>('rows');
      const ids = Array.from({ length: 300 }, (_, i) => `row-${i}`);
      await coll.insertMany(ids.map((_id) => ({ _id, n: 0 })));
      const updated = await Promise.all(ids.map((_id) => coll.updateOne({ _id }, { $set: { n: 1 } })));
      expect(updated.filter((r) => r.modifiedCount === 1)).toHaveLength(300);
      const modified = await Promise.all(
        ids.map((_id) => coll.findOneAndUpdate({ _id }, { $set: { n: 2 } }, { returnDocument: 'after' })),
      );
      expect(modified.filter((doc) => doc?.n === 2)).toHaveLength(300);
      expect(await coll.countDocuments({ n: 2 })).toBe(300);
    } finally {
      await client.close();
    }
  });
});
