// Per-key rate limits of the REST API, shared by every server process. Each key's minute is cut
// into leases of `chunk` requests; a process takes a lease by inserting its row under a unique id
// (`api:<keyId>:<minute>:<n>`, n < leases), then spends it locally. Of concurrent inserts under one
// unique id exactly one succeeds (src/db/writes.ts), so however many processes serve a key, no
// more than the limit gets through in a minute, for one database write per `chunk` requests.
// A lease a process does not use up is lost to the others until the minute ends: with P processes a
// key may get up to (P - 1) × chunk fewer than its limit, never more.
import type { PlanId } from '../billing/plans';
import type { AppDeps } from '../deps';
import { isDuplicateKey } from '../db/errors';

/** Requests per minute per key, by plan. */
export const API_RATE_PER_MINUTE: Record<PlanId, number> = { free: 60, pro: 600, business: 3_000 };

/** Leases per key and minute: more means fairer sharing across processes, but more writes. */
const LEASES = 20;
const WINDOW_MS = 60_000;

interface Local {
  window: number;
  tokens: number;
  /** The next lease number worth trying: every one below it is taken. */
  next: number;
  /** A lease being taken, so a burst in one process waits for one insert, not one each. */
  taking: Promise<void> | null;
}
/**
 * Per connection, so two servers in one test process keep apart as two processes would; per key,
 * one state per minute. Calls of two minutes overlap at every minute's turn (and a caller may pass
 * its own clock), so each minute keeps its own state: were one replaced by the other, each would
 * drop the other's lease and burn a fresh one, until a burst found every lease gone.
 */
const states = new WeakMap<object, Map<string, Map<number, Local>>>();

export function leaseSize(perMinute: number): { chunk: number; leases: number } {
  const chunk = Math.max(1, Math.ceil(perMinute / LEASES));
  return { chunk, leases: Math.floor(perMinute / chunk) };
}

/** Takes one request from the key's minute; returns 0 when allowed, else the seconds to wait. */
export async function takeToken(deps: AppDeps, keyId: string, perMinute: number, now = Date.now()): Promise<number> {
  const window = Math.floor(now / WINDOW_MS);
  const retryAfter = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
  const { chunk, leases } = leaseSize(perMinute);
  const stateKey = `${keyId}:${perMinute}`;
  let local = states.get(deps.db.c.rateLimits);
  if (!local) {
    local = new Map();
    states.set(deps.db.c.rateLimits, local);
  }
  let minutes = local.get(stateKey);
  if (!minutes) {
    if (local.size > 100_000) local.clear();
    minutes = new Map();
    local.set(stateKey, minutes);
  }
  let s = minutes.get(window);
  if (!s) {
    s = { window, tokens: 0, next: 0, taking: null };
    minutes.set(window, s);
    // Only this minute and the one before can still be asked for.
    for (const w of minutes.keys()) if (w < window - 1) minutes.delete(w);
  }
  for (;;) {
    if (s.tokens > 0) {
      s.tokens -= 1;
      return 0;
    }
    // A lease on its way may still bring tokens, even the last one.
    if (s.taking) {
      await s.taking;
      continue;
    }
    if (s.next >= leases) return retryAfter;
    const state = s;
    state.taking = takeLease(deps, keyId, state, chunk, leases, window).finally(() => {
      state.taking = null;
    });
    await state.taking;
  }
}

async function takeLease(deps: AppDeps, keyId: string, s: Local, chunk: number, leases: number, window: number): Promise<void> {
  const expiresAt = new Date((window + 2) * WINDOW_MS);
  while (s.next < leases) {
    const n = s.next;
    s.next += 1;
    try {
      await deps.db.c.rateLimits.insertOne({ _id: `api:${keyId}:${window}:${n}`, key: `api:${keyId}`, expiresAt });
      s.tokens += chunk;
      return;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Another process holds this lease: try the next.
    }
  }
}
