// A named lease that keeps a job to one runner at a time across processes and machines: the
// reconciler's runs, and database migrations at startup.
// Ownership is decided by inserting a row keyed by the lease period (`<name>:<epoch>`, epoch =
// floor(now / leaseMs)) into `claims`: of concurrent inserts under one unique _id exactly one
// succeeds, which conditional updates do not promise (src/db/writes.ts). The owner
// renews by inserting the next period's row before the current one ends; a crashed owner stops
// renewing, so its lease is gone at most two periods later.
import { randomUUID } from 'node:crypto';
import type { Collections } from './collections';
import { isDuplicateKey } from './errors';

export interface Lease {
  owner: string;
  /** Set when a renewal found the next period taken (clock skew, a stall): the run must stop. */
  readonly lost: boolean;
  release(): Promise<void>;
}

export interface LeaseOptions {
  name?: string;
  leaseMs?: number;
  now?: () => number;
}

/** Takes the lease, or returns null when another runner holds it. */
export async function acquireLease(c: Collections, opts: LeaseOptions = {}): Promise<Lease | null> {
  const name = opts.name ?? 'reconciler';
  const leaseMs = opts.leaseMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const owner = randomUUID();
  const held = new Set<number>();
  let lost = false;
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  /** A renewal in flight: release waits for it, or its row would outlive the lease. */
  let renewing: Promise<void> | null = null;

  const key = (epoch: number) => `${name}:${epoch}`;
  /** true: ours (inserted now or before); false: someone else's. */
  const take = async (epoch: number): Promise<boolean> => {
    if (held.has(epoch)) return true;
    try {
      await c.claims.insertOne({ _id: key(epoch), owner, at: new Date() });
      held.add(epoch);
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const row = await c.claims.findOne({ _id: key(epoch) }, { projection: { owner: 1 } });
      return row?.owner === owner;
    }
  };
  const release = async () => {
    released = true;
    clearInterval(timer);
    await renewing;
    if (held.size) await c.claims.deleteMany({ _id: { $in: [...held].map(key) }, owner });
    held.clear();
  };

  const epoch = Math.floor(now() / leaseMs);
  // The current period and the next: a runner that starts just after the boundary must find the
  // next one taken too, or two runs could overlap across it.
  if (!(await take(epoch))) return null;
  if (!(await take(epoch + 1))) {
    await release();
    return null;
  }

  const renew = async () => {
    if (lost || released || renewing) return;
    renewing = (async () => {
      try {
        if (!(await take(Math.floor(now() / leaseMs) + 1))) lost = true;
      } catch {
        // A database hiccup: try again on the next tick; the lease still covers a whole period.
      }
    })();
    await renewing;
    renewing = null;
  };
  timer = setInterval(() => void renew(), Math.max(50, Math.floor(leaseMs / 4)));
  timer.unref();

  return {
    owner,
    get lost() {
      return lost;
    },
    release,
  };
}
