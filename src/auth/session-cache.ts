// A short-lived in-memory cache of validated sessions. Without it every authenticated request
// costs two database reads (session, user), which capped an authenticated endpoint at a tenth of a
// bare one locally (docs/decisions/004). Correctness comes from eviction, not from the TTL alone:
// - every revocation path (logout, revoke, log out everywhere, password change, disable, delete,
//   role change) evicts locally at once and writes a row to `session_events`;
// - every process polls `session_events` each second and evicts what other processes revoked.
// So a revoked cookie is refused at once on the process that revoked it and within about a second
// everywhere else. SESSION_CACHE_MS=0 turns the cache off.
import type { DatabaseSession, DatabaseUser } from 'lucia';
import type { Collections } from '../db/collections';
import { newId } from '../lib/ids';

interface Entry {
  session: DatabaseSession;
  user: DatabaseUser;
  until: number;
}

const MAX_ENTRIES = 20_000;
const POLL_MS = 1_000;

export class SessionCache {
  private readonly byHash = new Map<string, Entry>();
  private lastPoll = new Date();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(
    private readonly c: Collections,
    private readonly ttlMs: number,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get(tokenHash: string): Entry | null {
    const e = this.byHash.get(tokenHash);
    if (!e) return null;
    if (e.until <= Date.now()) {
      this.byHash.delete(tokenHash);
      return null;
    }
    return e;
  }

  set(tokenHash: string, session: DatabaseSession, user: DatabaseUser): void {
    if (!this.enabled) return;
    if (this.byHash.size >= MAX_ENTRIES) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.byHash.keys().next().value;
      if (oldest !== undefined) this.byHash.delete(oldest);
    }
    this.byHash.set(tokenHash, { session, user, until: Date.now() + this.ttlMs });
  }

  /** Evicts locally and tells the other processes. */
  async revoke(target: { userId?: string; tokenHash?: string }): Promise<void> {
    this.evict(target);
    if (!this.enabled) return;
    await this.c.sessionEvents.insertOne({
      _id: newId(),
      userId: target.userId ?? null,
      tokenHash: target.tokenHash ?? null,
      at: new Date(),
    });
  }

  private evict(target: { userId?: string | null; tokenHash?: string | null }): void {
    if (target.tokenHash) this.byHash.delete(target.tokenHash);
    if (target.userId) {
      for (const [hash, e] of this.byHash) if (e.user.id === target.userId) this.byHash.delete(hash);
    }
  }

  /** Starts polling for other processes' revocations. */
  start(onError: (err: unknown) => void): void {
    if (!this.enabled || this.timer) return;
    this.timer = setInterval(() => {
      if (this.polling) return;
      // Overlap windows by a few seconds: evicting twice is harmless, missing one is not.
      const since = new Date(this.lastPoll.getTime() - 3_000);
      this.lastPoll = new Date();
      this.polling = this.c.sessionEvents
        .find({ at: { $gte: since } })
        .toArray()
        .then((rows) => {
          for (const r of rows) this.evict(r);
        })
        .catch(onError)
        .finally(() => {
          this.polling = null;
        });
    }, POLL_MS);
    this.timer.unref();
  }

  /** Stops polling; resolves once a poll in flight has finished, so the database can close after it. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }
}
