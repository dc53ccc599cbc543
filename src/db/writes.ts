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
import { isDuplicateKey } from './errors';

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
