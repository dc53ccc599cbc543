// Writes that stay exact when several processes race on one document, on MongoDB and on the local
// FerretDB 1.24 alike. FerretDB 1.24 (SQLite backend) does not apply `$inc`, conditional updates,
// findOneAndUpdate/findOneAndDelete or upserts atomically when several connections write the same
// document (measured: 50 parallel `$inc`s left a counter at 5; 20 conditional claims had 4 winners).
// Two primitives were exact every time, and everything that must happen once is built on them
// (docs/decisions/006):
// - an insert under a unique `_id` or unique index: one insert wins, the others get a duplicate key
//   (`claim` in claims.ts, `isDuplicateKey` in errors.ts);
// - the `deletedCount` of `deleteOne`: of concurrent deletes of one row, one counts it;
// and, for logs of inserted rows (rate limits, usage), a count sees every committed insert.
import type { Collection, Filter } from 'mongodb';
import { isDuplicateKey, refusedRows } from './errors';

/**
 * Deletes the row matching `filter` and tells whether this call deleted it: of concurrent callers,
 * exactly one gets true. How single-use rows (codes, tokens) are spent.
 */
export async function consume<T extends { _id: string }>(coll: Collection<T>, filter: Filter<T>): Promise<boolean> {
  return (await coll.deleteOne(filter)).deletedCount === 1;
}

/**
 * Writes `doc` under its `_id`, replacing the row or creating it. Two writers racing to create the
 * row both succeed, and the row then holds one of their documents whole.
 */
export async function replaceOrInsert<T extends { _id: string }>(coll: Collection<T>, doc: T): Promise<void> {
  const filter = { _id: doc._id } as Filter<T>;
  try {
    await coll.replaceOne(filter, doc, { upsert: true });
  } catch (err) {
    // The upsert found no row, then lost the insert to the other writer: write over theirs.
    if (!isDuplicateKey(err)) throw err;
    await coll.replaceOne(filter, doc);
  }
}

/**
 * Like `replaceOrInsert`, for a row that is usually new: tries the insert first and replaces only
 * when the row exists. On FerretDB 1.24 an insert costs the same whatever the collection's size
 * (the unique `_id` index answers it) while a replace or an upsert reads the whole collection
 * (docs/decisions/013), so a new row costs milliseconds where an upsert would cost seconds at
 * 100,000 rows.
 */
export async function insertOrReplace<T extends { _id: string }>(coll: Collection<T>, doc: T): Promise<void> {
  try {
    await coll.insertOne(doc as never);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    await coll.replaceOne({ _id: doc._id } as Filter<T>, doc);
  }
}

/** `insertOrReplace` for many rows: one unordered insert, then a replace for each row that existed. */
export async function insertOrReplaceMany<T extends { _id: string }>(coll: Collection<T>, docs: T[]): Promise<void> {
  if (!docs.length) return;
  let existing: T[] = [];
  try {
    await coll.insertMany(docs as never, { ordered: false });
  } catch (err) {
    const refused = refusedRows(err);
    if (!refused || refused.some((r) => !r.duplicate)) throw err;
    existing = refused.map((r) => docs[r.index] as T);
  }
  if (existing.length)
    await coll.bulkWrite(
      existing.map((d) => ({ replaceOne: { filter: { _id: d._id } as Filter<T>, replacement: d } })) as never,
      { ordered: false },
    );
}
