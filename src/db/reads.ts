// Reads that every database the app runs on answers from an index. Only an `_id` equality is sure
// to be: FerretDB 1.24 (SQLite backend) pushes no other filter down to SQLite, so another field's
// equality, `$in` (each id checked against every row), `$or`, `_id` with a second condition,
// ranges, sorts and counts scan the whole collection there (a count or sorted page over 10,000
// rows ≈ 230 ms on a busy two-core machine; docs/decisions/006, 008). A bare `_id` equality — read,
// update or delete — uses the `_id` index there (our build of FerretDB is patched for it,
// docs/decisions/013): a few milliseconds at 100,000 rows. MongoDB uses the indexes in indexes.ts
// for all of them. So hot paths read and write by bare `_id`, and the admin panel's lists are built
// in memory from snapshots (src/admin/cache.ts).
import type { Collection, Filter, FindOptions, WithId } from 'mongodb';

/**
 * The rows with these ids, in the order of `ids`, leaving out ids with no row: one `_id` read each
 * (in parallel), never an `$in`, so each read uses the `_id` index whatever the database.
 */
export async function findByIds<T extends { _id: string }>(
  coll: Collection<T>,
  ids: readonly string[],
  options?: FindOptions,
): Promise<WithId<T>[]> {
  const rows = await Promise.all(ids.map((id) => coll.findOne({ _id: id } as Filter<T>, options)));
  return rows.filter((r) => r !== null) as WithId<T>[];
}
