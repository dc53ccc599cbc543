// Per-key rate limits of the REST API: a token bucket per key, per process. This limit is about
// fairness and load, not about secrets (keys are 192-bit random), so a per-process bucket is
// enough; what is billed is counted exactly in MongoDB by src/usage. With N server processes a key
// gets up to N times the rate.
import type { PlanId } from '../billing/plans';

/** Requests per minute per key, by plan (bursts up to one minute's worth). */
export const API_RATE_PER_MINUTE: Record<PlanId, number> = { free: 60, pro: 600, business: 3_000 };

const buckets = new Map<string, { tokens: number; at: number; capacity: number }>();

/** Takes one token; returns 0 when allowed, else the seconds to wait. */
export function takeToken(keyId: string, perMinute: number, now = Date.now()): number {
  const rate = perMinute / 60_000;
  let b = buckets.get(keyId);
  if (!b || b.capacity !== perMinute) {
    b = { tokens: perMinute, at: now, capacity: perMinute };
    buckets.set(keyId, b);
    if (buckets.size > 100_000) buckets.clear();
  }
  b.tokens = Math.min(perMinute, b.tokens + (now - b.at) * rate);
  b.at = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
}
