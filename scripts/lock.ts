// A lock between processes on one machine: a folder created atomically. One left behind by a
// process that died is taken over once it is older than `staleMs`.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export async function acquireLock(dir: string, opts: { staleMs?: number; onWait?: () => void } = {}): Promise<() => void> {
  const staleMs = opts.staleMs ?? 10 * 60_000;
  mkdirSync(path.dirname(dir), { recursive: true });
  let waited = false;
  for (;;) {
    try {
      mkdirSync(dir);
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(dir).mtimeMs > staleMs) rmSync(dir, { recursive: true, force: true });
      } catch {
        // Released between the two calls: try again.
      }
      if (!waited) opts.onWait?.();
      waited = true;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
