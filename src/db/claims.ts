// "Exactly one of us does this": an insert under a unique key. Exact on MongoDB and on FerretDB
// 1.24, whose concurrent updates to one document are not atomic (docs/decisions/006).
import { randomUUID } from 'node:crypto';
import type { Collections } from './collections';
import { isDuplicateKey } from './errors';

const processId = randomUUID();

/** True for exactly one caller per key, across processes. */
export async function claim(c: Collections, key: string): Promise<boolean> {
  try {
    await c.claims.insertOne({ _id: key, owner: processId, at: new Date() });
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}
