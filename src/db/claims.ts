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

/** Gives a claim back, so the key can be claimed again (a slot freed by a revocation). */
export async function release(c: Collections, key: string): Promise<void> {
  await c.claims.deleteOne({ _id: key });
}

/**
 * Takes one of `max` numbered slots under `prefix` (`<prefix>:0` … `<prefix>:<max-1>`), or null when
 * all are taken. How a count-limited thing is taken: each one holds a slot, so however many callers
 * race, no more than `max` win, where counting and then inserting would let several through.
 */
export async function claimSlot(c: Collections, prefix: string, max: number): Promise<number | null> {
  for (let n = 0; n < max; n++) if (await claim(c, `${prefix}:${n}`)) return n;
  return null;
}
