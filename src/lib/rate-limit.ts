// Rate limits stored in MongoDB, so they hold across every server process.
//
// Each limit is a sliding-window log: a hit inserts one row {key, expiresAt}, then counts the live
// rows for its key. Only two primitives are relied on — an insert is atomic, and a count sees every
// committed insert — not `$inc`, conditional updates or findOneAndUpdate/findOneAndDelete, which
// may not be atomic under concurrency (src/db/writes.ts). With insert-then-count, the k-th
// concurrent hit counts at least k rows, so no more than `max` hits are ever let through in a
// window; a burst can only err on the strict side.
import type { Collections } from '../db/collections';
import type { Env } from '../env';
import { AppError } from './errors';
import { newId } from './ids';
import { tooManyMessage } from './try-again';

export interface Limit {
  /** Names the limit in keys and logs, e.g. `login:ip`. */
  name: string;
  max: number;
  /**
   * The max under NODE_ENV=development (`npm start`), where one person tries the product and
   * signs up test accounts from one address. Production and tests always use `max`.
   */
  developmentMax?: number;
  windowSeconds: number;
  /** What happened, one sentence; the 429 adds when to try again ("Try again in 45 minutes."). */
  message?: string;
}

export interface RateLimitDeps {
  db: { c: Pick<Collections, 'rateLimits'> };
  env: Pick<Env, 'NODE_ENV' | 'RATE_LIMIT_DISABLED'>;
}

const DEFAULT_MESSAGE = 'Too many attempts.';

/** How many hits `limit` allows per window in this mode. */
export function maxFor(limit: Limit, env: Pick<Env, 'NODE_ENV'>): number {
  return env.NODE_ENV === 'development' ? (limit.developmentMax ?? limit.max) : limit.max;
}

export function limitKey(limit: Limit, key: string): string {
  // Keys hold emails or IPs, both bounded by input validation; cap anyway.
  return `${limit.name}:${key.slice(0, 320)}`;
}

/**
 * Counts one hit against `limit` for `key`; throws TOO_MANY_REQUESTS (with retryAfterSeconds) when
 * the window already holds `maxFor` hits. A refused hit is not kept, so the log of a hammered key
 * stays at that many rows, and the wait ends when its oldest counted hit leaves the window.
 * Returns the hit's id (null when limits are off), for `takeBack`.
 */
export async function hit(deps: RateLimitDeps, limit: Limit, key: string, now = Date.now()): Promise<string | null> {
  if (deps.env.RATE_LIMIT_DISABLED) return null;
  const c = deps.db.c.rateLimits;
  const k = limitKey(limit, key);
  const _id = newId();
  await c.insertOne({ _id, key: k, expiresAt: new Date(now + limit.windowSeconds * 1000) });
  const count = await c.countDocuments({ key: k, expiresAt: { $gt: new Date(now) } });
  if (count <= maxFor(limit, deps.env)) return _id;
  await c.deleteOne({ _id });
  throw await tooMany(deps, limit, k, now);
}

/**
 * Uncounts one hit. For limits that count failures only: the attempt is counted before it is
 * checked (so parallel attempts cannot slip past the limit), and taken back once it succeeded.
 */
export async function takeBack(deps: RateLimitDeps, hitId: string | null): Promise<void> {
  if (hitId) await deps.db.c.rateLimits.deleteOne({ _id: hitId });
}

/** Throws TOO_MANY_REQUESTS if `key` has no room left in `limit`, without counting a hit. */
export async function check(deps: RateLimitDeps, limit: Limit, key: string, now = Date.now()): Promise<void> {
  if (deps.env.RATE_LIMIT_DISABLED) return;
  const k = limitKey(limit, key);
  const count = await deps.db.c.rateLimits.countDocuments({ key: k, expiresAt: { $gt: new Date(now) } });
  if (count >= maxFor(limit, deps.env)) throw await tooMany(deps, limit, k, now);
}

/** Forgets every hit of `key` (e.g. after a successful login). */
export async function reset(deps: RateLimitDeps, limit: Limit, key: string): Promise<void> {
  await deps.db.c.rateLimits.deleteMany({ key: limitKey(limit, key) });
}

async function tooMany(deps: RateLimitDeps, limit: Limit, k: string, now: number): Promise<AppError> {
  const oldest = await deps.db.c.rateLimits
    .find({ key: k, expiresAt: { $gt: new Date(now) } })
    .sort({ expiresAt: 1 })
    .limit(1)
    .next();
  const until = oldest?.expiresAt.getTime() ?? now + limit.windowSeconds * 1000;
  const retryAfterSeconds = Math.max(1, Math.ceil((until - now) / 1000));
  return new AppError('TOO_MANY_REQUESTS', tooManyMessage(limit.message ?? DEFAULT_MESSAGE, retryAfterSeconds), {
    retryAfterSeconds,
  });
}
