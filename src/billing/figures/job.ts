// The figures job, started by every server process: the one holding the `admin-figures` lease folds
// recorded changes into the figures (fold.ts) as they arrive, and builds the figures from the mirror
// when there are none yet or a check found drift (rebuild.ts). The others only try for the lease
// now and then, so a holder that dies is replaced within seconds.
import type { AppDeps } from '../../deps';
import { acquireLease, type Lease } from '../../db/lease';
import { foldChanges, forgetSubjects } from './fold';
import { dayKey, dayRows, figureCollections, windowsOf } from './model';
import { rebuildFigures } from './rebuild';
import { rebuildSubscriberRows } from './subscriber-rows';

export interface FiguresJob {
  /** Folds (or takes the lease and folds) now. Resolves when that pass is done. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export function startFiguresJob(
  deps: AppDeps,
  opts: { everyMs?: number; leaseMs?: number; retryLeaseMs?: number } = {},
): FiguresJob {
  const everyMs = opts.everyMs ?? 500;
  const leaseMs = opts.leaseMs ?? 10_000;
  const retryLeaseMs = opts.retryLeaseMs ?? 2_000;
  let lease: Lease | null = null;
  let lastTry = 0;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const pass = async () => {
    if (lease?.lost) {
      await lease.release().catch(() => {});
      lease = null;
      // Another process may fold now: what this one knew of the subjects is no longer its to keep.
      forgetSubjects(deps);
    }
    if (!lease) {
      if (Date.now() - lastTry < retryLeaseMs) return;
      lastTry = Date.now();
      lease = await acquireLease(deps.db.c, { name: 'admin-figures', leaseMs });
      if (!lease) return;
    }
    const held = lease;
    const owns = () => !held.lost && !stopped;
    const col = figureCollections(deps);
    const [totals, request] = await Promise.all([
      col.figures.findOne({ _id: 'totals' }, { projection: { _id: 1 } }),
      col.figures.findOne({ _id: 'rebuild' }, { projection: { _id: 1 } }),
    ]);
    if (!totals || request) {
      const t = Date.now();
      // A database without figures (the first start after they existed) has no subscriber rows either.
      if (!totals) await rebuildSubscriberRows(deps);
      const r = await rebuildFigures(deps);
      deps.log.info({ subscriptions: r.subscriptions, ms: Date.now() - t }, 'admin figures rebuilt from the mirror');
    }
    for (let i = 0; i < 100 && owns(); i++) {
      const r = await foldChanges(deps, { owns });
      if (!r.more) break;
    }
    // A new day: the 30- and 90-day windows move on even when nothing changed.
    const now = new Date();
    const current = await col.figures.findOne({ _id: 'totals' }, { projection: { windows: 1 } });
    if (current && current.windows?.day !== dayKey(now) && owns())
      await col.figures.updateOne({ _id: 'totals' }, { $set: { windows: windowsOf(now, await dayRows(deps, now)) } });
  };

  const tick = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = pass()
      .catch((err: unknown) => deps.log.warn({ err }, 'admin figures pass failed; trying again shortly'))
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          void tick();
        }
      });
    return running;
  };

  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  deps.caches.figures.kick = () => void tick();
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      deps.caches.figures.kick = null;
      await running;
      await lease?.release().catch(() => {});
      forgetSubjects(deps);
    },
  };
}
