// How index definitions are applied; the definitions themselves are migrations
// (src/db/migrations/), so each one is applied once and recorded. A new or changed index is a new
// migration that calls `applyIndexes`. Uniqueness is how we stay correct without multi-document
// transactions (FerretDB 1.24 has none), so the unique ones are load-bearing everywhere.
//
// The others serve queries, and only MongoDB uses them: FerretDB 1.24's SQLite backend pushes no
// filter but `_id` equality down to SQLite (backends/sqlite/collection.go), so a secondary index
// there is never read, while every insert and update pays for it (it re-parses the document's JSON
// for each indexed field: an insert into usage_events cost 383 µs of FerretDB CPU with its one
// secondary index and 270 µs without). On FerretDB we keep the unique indexes only and drop the
// others a database made earlier still has (docs/decisions/008).
//
// No TTL indexes: FerretDB 1.24 has none, so expired rows are deleted by the server's housekeeping
// job (startHousekeeping) on every database.
import type { Collection, CreateIndexesOptions, IndexSpecification } from 'mongodb';

/** What index upkeep needs of a collection, whatever its document type. */
type Indexed = Pick<Collection, 'createIndex' | 'listIndexes' | 'dropIndex'>;
export type IndexDef = [Indexed, IndexSpecification, CreateIndexesOptions & { name: string }];

/**
 * Creates `defs`: all of them on MongoDB (`secondary: true`); on FerretDB the unique ones only,
 * dropping any of the others a database made earlier still has.
 */
export async function applyIndexes(opts: { defs: IndexDef[]; secondary: boolean }): Promise<void> {
  const { defs, secondary } = opts;
  const wanted = secondary ? defs : defs.filter(([, , o]) => o.unique);
  await Promise.all(wanted.map(([coll, keys, o]) => coll.createIndex(keys, o)));
  if (secondary) return;
  const unused = defs.filter(([, , o]) => !o.unique);
  await Promise.all(
    [...new Set(unused.map(([coll]) => coll))].map(async (coll) => {
      const names = new Set(
        (
          await coll
            .listIndexes()
            .toArray()
            .catch(() => [])
        ).map((i) => i.name as string),
      );
      for (const [other, , o] of unused) if (other === coll && names.has(o.name)) await coll.dropIndex(o.name);
    }),
  );
}
