// A lock between processes on one machine: a folder created atomically, holding its owner's pid
// and a token. A lock whose owner is no longer running is taken over at once; a process that exits
// without releasing (Ctrl+C, process.exit) releases on its way out.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A folder without an owner file yet is being created; past this age its creator died mid-way. */
const UNOWNED_GRACE_MS = 10_000;

export async function acquireLock(dir: string, opts: { onWait?: () => void } = {}): Promise<() => void> {
  mkdirSync(path.dirname(dir), { recursive: true });
  const token = `${process.pid}:${randomUUID()}`;
  let waited = false;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'owner'), token);
      const release = () => {
        process.off('exit', release);
        // Only our own lock: one taken over after we were thought gone is someone else's now.
        if (ownerOf(dir) === token) rmSync(dir, { recursive: true, force: true });
      };
      process.on('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (isAbandoned(dir)) {
        // Renaming to a name of our own first: of several waiters, only one moves it away.
        const moved = `${dir}.stale-${randomUUID()}`;
        try {
          renameSync(dir, moved);
          rmSync(moved, { recursive: true, force: true });
        } catch {
          // Another waiter took it over first.
        }
        continue;
      }
      if (!waited) opts.onWait?.();
      waited = true;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function ownerOf(dir: string): string | null {
  try {
    return readFileSync(path.join(dir, 'owner'), 'utf8');
  } catch {
    return null;
  }
}

function isAbandoned(dir: string): boolean {
  const owner = ownerOf(dir);
  if (owner === null) {
    try {
      return Date.now() - statSync(dir).mtimeMs > UNOWNED_GRACE_MS;
    } catch {
      return false;
    }
  }
  const pid = Number(owner.split(':')[0]);
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
