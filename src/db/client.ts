// Connects the official MongoDB driver. Works the same against MongoDB 6+/Atlas and the local
// FerretDB 1.24: the app stays within what it and MongoDB both support (docs/decisions/001).
import { MongoClient, type Db } from 'mongodb';
import { collections, type Collections } from './collections';
import { ensureIndexes } from './indexes';
import { upgradeData } from './upgrades';

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

export async function connectDatabase(uri: string, dbName: string, opts: { monitorCommands?: boolean } = {}): Promise<Database> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    maxPoolSize: 50,
    monitorCommands: opts.monitorCommands ?? false,
  });
  await client.connect();
  const db = client.db(dbName);
  const c = collections(db);
  await ensureIndexes(c, { secondary: !(await isFerretDB(db)) });
  await upgradeData(c);
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
