// Connects the official MongoDB driver and brings the database to the code's version (its pending
// migrations, src/db/migrate.ts). Works the same against MongoDB 6+/Atlas and the local FerretDB
// 1.24: the app stays within what it and MongoDB both support (docs/decisions/001).
import { MongoClient, type Db } from 'mongodb';
import { createLogger, type Logger } from '../log';
import { collections, type Collections } from './collections';
import { migrate } from './migrate';

export interface Database {
  client: MongoClient;
  db: Db;
  c: Collections;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** FerretDB answers buildInfo with its own version beside MongoDB's. */
export async function isFerretDB(db: Db): Promise<boolean> {
  const info = await db.admin().command({ buildInfo: 1 });
  return typeof info.ferretdbVersion === 'string';
}

export interface ConnectOptions {
  /**
   * Run pending migrations, refusing a database ahead of the code (the default: every process
   * does). False only to look without changing anything (`npm run db:status`).
   */
  migrate?: boolean;
  log?: Logger;
  /** Record each command's time (the benchmarks' database profile). */
  monitorCommands?: boolean;
}

export async function connectDatabase(uri: string, dbName: string, opts: ConnectOptions = {}): Promise<Database> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    maxPoolSize: 50,
    monitorCommands: opts.monitorCommands ?? false,
  });
  await client.connect();
  const db = client.db(dbName);
  const c = collections(db);
  if (opts.migrate !== false) {
    try {
      await migrate({ db, c, ferretdb: await isFerretDB(db), log: opts.log ?? createLogger('silent') });
    } catch (err) {
      await client.close();
      throw err;
    }
  }
  return {
    client,
    db,
    c,
    async ping() {
      try {
        await db.command({ ping: 1 }, { timeoutMS: 2_000 });
        return true;
      } catch {
        return false;
      }
    },
    close: () => client.close(),
  };
}
