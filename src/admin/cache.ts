// Read models for the admin panel at scale. Sorts, ranges, counts and $in may each scan the whole
// collection (src/db/reads.ts: a sorted page or a count over 10,000 rows ≈ 230 ms, ten times that
// at 100,000). So the overview and the subscriber list's order/filters come from compact snapshots
// held in memory per process, rebuilt in the background once they are a minute old (or ten times
// their build time, whichever is longer) and after any admin action; the rows shown are always
// read fresh by _id. (Where the database answers those from indexes, the snapshot simply costs less
// to build.)
import type { AppDeps } from '../deps';

interface Entry<T> {
  value: T;
  at: number;
}

/** A value that is served stale while a rebuild runs, and rebuilt synchronously once invalidated. */
export class StaleCache<T> {
  private entry: Entry<T> | null = null;
  private loading: Promise<void> | null = null;
  private generation = 0;
  /** How long the last build took: large data sets are rebuilt less often and in the background. */
  private lastLoadMs = 0;
  private stale = false;
  private primed = false;

  /**
   * @param quickMs a value that is older than maxAgeMs and was built in less than this is rebuilt
   *   while the reader waits, not served stale: with maxAgeMs 0, a small collection is read live on
   *   every request and only a large one is served from a snapshot (0, the default: always stale).
   */
  constructor(
    private readonly load: () => Promise<T>,
    private readonly maxAgeMs: number,
    private readonly quickMs = 0,
  ) {}

  async get(opts: { fresh?: boolean } = {}): Promise<{ value: T; at: number }> {
    const e = this.entry;
    const old = e && Date.now() - e.at > this.maxAgeMs;
    if (!opts.fresh && e && !(old && this.lastLoadMs < this.quickMs)) {
      // Rebuilding costs the database a scan: never spend more than a tenth of the time on it.
      const maxAge = Math.max(this.maxAgeMs, 10 * this.lastLoadMs);
      if (this.stale || Date.now() - e.at > maxAge) {
        this.stale = false;
        void this.reload().catch(() => {});
      }
      return e;
    }
    await this.reload();
    return this.entry as Entry<T>;
  }

  /**
   * After an admin action. When a build is quick (under a second: most accounts) the next read waits
   * for a new one, so the admin sees their change at once; on a large account the next read starts
   * a rebuild in the background and is served the previous value meanwhile.
   */
  invalidate(): void {
    if (this.lastLoadMs < 1_000) {
      this.entry = null;
      this.generation += 1;
    } else {
      this.stale = true;
    }
  }

  /**
   * Gives a new process a value to serve before its first build: a copy another process stored.
   * Only once, and only while nothing was built here, so an invalidation is never undone by it.
   */
  async prime(read: () => Promise<Entry<T> | null>): Promise<void> {
    if (this.primed || this.entry || this.loading) return;
    this.primed = true;
    const stored = await read();
    if (stored && !this.entry) this.entry = stored;
  }

  /**
   * Applies a change the caller knows about (its own action) to the value held, keeping its age: a
   * large value then shows the change before its next rebuild. A build under way is not changed,
   * so callers also invalidate().
   */
  update(fn: (value: T) => T): void {
    if (this.entry) this.entry = { value: fn(this.entry.value), at: this.entry.at };
  }

  private async reload(): Promise<void> {
    for (;;) {
      const gen = this.generation;
      if (!this.loading) {
        const at = Date.now();
        this.loading = this.load()
          .then((value) => {
            this.lastLoadMs = Date.now() - at;
            // A rebuild that started before an invalidation may have missed the change: dropped.
            if (gen === this.generation) this.entry = { value, at };
          })
          .finally(() => {
            this.loading = null;
          });
      }
      await this.loading;
      if (this.entry && gen === this.generation) return;
    }
  }
}

/**
 * Caches per database connection, not per `deps` object: every request's tRPC context carries a
 * copy of deps (with its own logger), which would give each request an empty cache of its own.
 */
const registry = new WeakMap<object, Map<string, StaleCache<unknown>>>();

export function cacheFor<T>(deps: AppDeps, key: string, load: () => Promise<T>, maxAgeMs = 60_000, quickMs = 0): StaleCache<T> {
  let map = registry.get(deps.db);
  if (!map) {
    map = new Map();
    registry.set(deps.db, map);
  }
  let cache = map.get(key) as StaleCache<T> | undefined;
  if (!cache) {
    cache = new StaleCache(load, maxAgeMs, quickMs);
    map.set(key, cache as StaleCache<unknown>);
  }
  return cache;
}

/** After any admin action: the admin's next read shows its effect. */
export function invalidateAdminCaches(deps: AppDeps): void {
  for (const cache of registry.get(deps.db)?.values() ?? []) cache.invalidate();
}
