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

/** Gives a slot back, so it can be taken again (a key revoked); only while `owner` still holds it. */
export async function releaseSlot(c: Collections, key: string, owner: string): Promise<void> {
  await c.slots.deleteOne({ _id: key, owner });
}

/**
 * Takes one of `max` numbered slots under `prefix` (`<prefix>:0` … `<prefix>:<max-1>`) for `owner`
 * (the id of the thing that will hold it), or null when all are taken. How a count-limited thing is
 * taken: each one holds a slot, so however many callers race, no more than `max` win, where
 * counting and then inserting would let several through. The owner lets a sweep free the slots of
 * things that never came to be (a crash between the slot and the insert) or are gone.
 */
export async function claimSlot(c: Collections, prefix: string, max: number, owner: string): Promise<number | null> {
  for (let n = 0; n < max; n++) {
    try {
      await c.slots.insertOne({ _id: `${prefix}:${n}`, owner, at: new Date() });
      return n;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
  return null;
}

/**
 * When `key` was first claimed: now for the first caller, the first caller's time for every later
 * one. Lets a repeated request answer what the first one did (the same signed URL).
 */
export async function firstClaimedAt(c: Collections, key: string, now = new Date()): Promise<Date> {
  try {
    await c.claims.insertOne({ _id: key, owner: processId, at: now });
    return now;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const held = await c.claims.findOne({ _id: key });
    if (!held) throw err;
    return held.at;
  }
}
