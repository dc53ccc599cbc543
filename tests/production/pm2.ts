// The npm package's PM2, with its own PM2_HOME in a test folder: a test never talks to another
// run's daemon or to a global one, and `kill()` ends the daemon it started.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './nginx';

const run = promisify(execFile);
const bin = path.join(repoRoot, 'node_modules', 'pm2', 'bin', 'pm2');

export interface Pm2Process {
  name: string;
  pid: number;
  pm_id: number;
  pm2_env: { status: string; restart_time: number; exec_mode: string; NODE_ENV?: string };
}

export interface Pm2 {
  /** Runs `pm2 <args>` in the app folder; throws with PM2's output when it fails. */
  cli(...args: string[]): Promise<string>;
  list(): Promise<Pm2Process[]>;
  /** Waits until `name` has `count` online processes (optionally none of `notPids`). */
  waitOnline(name: string, count: number, opts?: { notPids?: number[]; timeoutMs?: number }): Promise<Pm2Process[]>;
  kill(): Promise<void>;
}

export function pm2(opts: { home: string; cwd: string; env: Record<string, string> }): Pm2 {
  // A clean environment: PM2 passes the CLI's variables on to the apps, and vitest's are not ours.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: opts.home, PM2_HOME: path.join(opts.home, 'pm2'), ...opts.env };
  const cli = async (...args: string[]) => {
    try {
      const { stdout } = await run(process.execPath, [bin, ...args], { cwd: opts.cwd, env, maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`pm2 ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
  };
  const list = async () => JSON.parse(await cli('jlist')) as Pm2Process[];
  return {
    cli,
    list,
    async waitOnline(name, count, { notPids = [], timeoutMs = 60_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let last: Pm2Process[] = [];
      while (Date.now() < deadline) {
        last = (await list()).filter((p) => p.name === name);
        const online = last.filter((p) => p.pm2_env.status === 'online' && p.pid > 0 && !notPids.includes(p.pid));
        if (online.length === count) return online;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(
        `${name}: wanted ${count} online, have ${JSON.stringify(last.map((p) => ({ pid: p.pid, status: p.pm2_env.status })))}`,
      );
    },
    async kill() {
      await cli('kill').catch(() => {});
    },
  };
}
