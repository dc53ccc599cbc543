// What a migration is: one step of the database's history, run once per database under the
// migration lease and recorded in the `migrations` collection (src/db/migrate.ts).
import type { Db } from 'mongodb';
import type { Logger } from '../../log';
import type { Collections } from '../collections';

export interface MigrationContext {
  db: Db;
  c: Collections;
  /** FerretDB 1.24 locally and in tests; MongoDB 6+/Atlas in production (docs/decisions/008). */
  ferretdb: boolean;
  log: Logger;
}

export interface Migration {
  /** The file's name without `.ts`: a four-digit sequence number and a few words. Never changes. */
  id: string;
  /**
   * The change. A step that fails is not recorded and runs again at the next start, so it must be
   * safe to run over its own partial work. It must also leave the database usable by the previous
   * release: during a rolling reload both run against it (docs/deployment.md).
   */
  up(ctx: MigrationContext): Promise<void>;
}
