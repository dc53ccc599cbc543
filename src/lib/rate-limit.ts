// Rate limits stored in MongoDB, so they hold across every server process. Each limit is a fixed
// window that starts at the first hit: one document per key, counted with atomic single-document
// operations (no transactions, no pipeline updates — both missing on FerretDB 1.24).
import type { Collections } from '../db/collections';
import { AppError } from './errors';

export interface Limit {
  /** Names the limit in keys and logs, e.g. `login:ip`. */
  name: string;
  max: number;
  windowSeconds: number;
  /** Shown to the user in the 429. */
  message?: string;
}

export interface RateLimitDeps {
  db: { c: Pick<Collections, 'rateLimits'> };
  env: { RATE_LIMIT_DISABLED: boolean };
}

const DEFAULT_MESSAGE = 'Too many attempts. Please wait a moment and try again.';

function docId(limit: Limit, key: string): string {
  // Keys may hold emails or IPs; both are bounded by input validation, but cap anyway so a key
  // can never grow a document id without limit.
  return `${limit.name}:${key.slice(0, 320)}`;
}

function tooMany(limit: Limit, expiresAt: Date, now: number): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil((expiresAt.getTime() - now) / 1000));
  return new AppError('TOO_MANY_REQUESTS', limit.message ?? DEFAULT_MESSAGE, { retryAfterSeconds });
}

/**
 * Counts one hit against `limit` for `key`; throws TOO_MANY_REQUESTS (with retryAfterSeconds) when
 * this hit goes over the limit. Over-limit hits still count, so hammering does not shorten the wait.
 */
export async function hit(deps: RateLimitDeps, limit: Limit, key: string, now = Date.now()): Promise<void> {
  if (deps.env.RATE_LIMIT_DISABLED) return;
  const c = deps.db.c.rateLimits;
  const _id = docId(limit, key);
  const nowDate = new Date(now);
  // Three steps, each atomic on its own; a lost race just sends us round the loop again.
  for (let attempt = 0; attempt < 4; attempt++) {
    // 1. The usual case: a live window exists — count the hit in it.
    const live = await c.findOneAndUpdate(
      { _id, expiresAt: { $gt: nowDate } },
      { $inc: { count: 1 } },
      { returnDocument: 'after' },
    );
    if (live) {
      if (live.count > limit.max) throw tooMany(limit, live.expiresAt, now);
      return;
    }
    const fresh = { count: 1, windowStart: nowDate, expiresAt: new Date(now + limit.windowSeconds * 1000) };
    // 2. An expired window (not yet swept): restart it. The filter makes only one racer win.
    const restarted = await c.updateOne({ _id, expiresAt: { $lte: nowDate } }, { $set: fresh });
    if (restarted.modifiedCount === 1) return finishFresh(limit, now);
    // 3. No document: open the window. A duplicate key means someone else just did.
    try {
      await c.insertOne({ _id, ...fresh });
      return finishFresh(limit, now);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
  throw new Error(`rate limit ${limit.name}: could not record a hit`);
}

function finishFresh(limit: Limit, now: number): void {
  if (limit.max < 1) throw tooMany(limit, new Date(now + limit.windowSeconds * 1000), now);
}

/** Throws TOO_MANY_REQUESTS if `key` is already over `limit`, without counting a hit. */
export async function check(deps: RateLimitDeps, limit: Limit, key: string, now = Date.now()): Promise<void> {
  if (deps.env.RATE_LIMIT_DISABLED) return;
  const doc = await deps.db.c.rateLimits.findOne({ _id: docId(limit, key), expiresAt: { $gt: new Date(now) } });
  if (doc && doc.count >= limit.max) throw tooMany(limit, doc.expiresAt, now);
}

/** Forgets every hit of `key` (e.g. after a successful login). */
export async function reset(deps: RateLimitDeps, limit: Limit, key: string): Promise<void> {
  await deps.db.c.rateLimits.deleteOne({ _id: docId(limit, key) });
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
