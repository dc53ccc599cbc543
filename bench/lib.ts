// Shared benchmark plumbing: a DropIn server with local defaults on throwaway data, a small
// autocannon wrapper that returns the figures we print, and the quick mode and `BENCH` line that
// `npm run bench` (bench/run.ts) relies on.
import { spawn } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { MongoClient } from 'mongodb';
import { startFerretDB, startMailpit, freePort } from '../scripts/services';
import { root } from '../scripts/tools';
import { parseEnv } from '../src/env';
import { createServerDeps, startServer, type RunningServer } from '../src/server';

export interface BenchServer extends RunningServer {
  stopAll(): Promise<void>;
}

export async function startBenchServer(
  extraEnv: Record<string, string> = {},
  opts: { stripe?: boolean; webDist?: string } = {},
): Promise<BenchServer & { emulatorUrl: string | null }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dropin-bench-'));
  const ferret = await startFerretDB({ dataDir: path.join(dir, 'ferretdb') });
  const mailpit = await startMailpit();
  const port = await freePort();
  let emulator: { url: string; secretKey: string; stop(): Promise<void> } | null = null;
  const stripeEnv: Record<string, string> = {};
  if (opts.stripe) {
    const { startLocalStripe } = await import('../src/dev/local-stripe');
    const local = await startLocalStripe({ serverPort: port, tickIntervalMs: 0 });
    emulator = local.emulator;
    Object.assign(stripeEnv, local.env);
  }
  const env = parseEnv({
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...stripeEnv,
    LOG_LEVEL: 'warn',
    MONGODB_URI: ferret.url,
    SMTP_URL: mailpit.smtpUrl,
    RATE_LIMIT_DISABLED: 'true',
    ...extraEnv,
  });
  const server = await startServer(await createServerDeps(env), { webDist: opts.webDist ?? path.join(dir, 'no-web') });
  return {
    ...server,
    emulatorUrl: emulator?.url ?? null,
    async stopAll() {
      await server.close();
      await Promise.all([ferret.stop(), mailpit.stop(), emulator?.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Figures {
  name: string;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** 2xx responses. */
  requests: number;
}

export async function load(name: string, opts: autocannon.Options): Promise<Figures> {
  // The load generator runs in a worker thread so it does not share the server's event loop.
  // 20 connections unless BENCH_CONNECTIONS says otherwise.
  const result = await autocannon({
    connections: Number(process.env.BENCH_CONNECTIONS ?? 20),
    duration: isQuick() ? 3 : 8,
    workers: 1,
    ...opts,
  });
  return {
    name,
    requestsPerSec: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result['2xx'],
  };
}

/**
 * Like `load`, with the load generator in a process of its own: the CPU time this process spends
 * while the load runs is the server's alone, so `cpuUsPerRequest` is what one request costs the
 * server. That figure hardly moves when other work shares the machine, unlike requests per second
 * (a busy machine takes time slices from the server, not CPU time from each request). It is taken
 * over the middle of the run (from the second sample with requests arriving to the one before the
 * last), so the idle moments while the load generator starts and stops do not count.
 */
export async function loadCpu(
  name: string,
  opts: { url: string; headers?: Record<string, string>; duration?: number; connections?: number },
): Promise<Figures & { cpuUsPerRequest: number }> {
  const args = [
    path.join(root, 'node_modules', 'autocannon', 'autocannon.js'),
    '--json',
    '-c',
    String(opts.connections ?? Number(process.env.BENCH_CONNECTIONS ?? 20)),
    '-d',
    String(opts.duration ?? (isQuick() ? 3 : 8)),
    ...Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}=${v}`]),
    opts.url,
  ];
  let served = 0;
  const onRequest = () => {
    served++;
  };
  diagnostics.subscribe('http.server.request.start', onRequest);
  const samples: { cpu: number; served: number }[] = [];
  const cpuNow = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const sampler = setInterval(() => samples.push({ cpu: cpuNow(), served }), 200);
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2000);
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`autocannon exited ${code}: ${stderr}`))));
    });
    const result = JSON.parse(out) as autocannon.Result;
    const busy = samples.findIndex((x, i) => i > 0 && x.served > (samples[i - 1]?.served ?? 0));
    const from = samples[busy + 1];
    const to = samples[samples.length - 2];
    const cpuUsPerRequest =
      from && to && to.served > from.served
        ? Math.round(((to.cpu - from.cpu) / (to.served - from.served)) * 10) / 10
        : Number.NaN;
    return {
      name,
      requestsPerSec: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
      requests: result['2xx'],
      cpuUsPerRequest,
    };
  } finally {
    clearInterval(sampler);
    diagnostics.unsubscribe('http.server.request.start', onRequest);
  }
}

export function printTable(rows: Figures[]): void {
  console.table(
    rows.map((r) => ({
      endpoint: r.name,
      'req/s': r.requestsPerSec,
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
      errors: r.errors,
      non2xx: r.non2xx,
    })),
  );
}

/**
 * Quick mode: small sizes and short runs, for `npm run bench` (which passes `--quick` and sets
 * BENCH_QUICK=1, so processes a bench starts see it too).
 */
export function isQuick(): boolean {
  return process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
}

/** One printed figure, and its goal when it has one. */
export interface BenchFigure {
  /** What was measured, e.g. "/pricing JS (gzip)". */
  name: string;
  value: number;
  /** e.g. "KB", "ms", "%", "events/s". */
  unit: string;
  /** Goal: the value must be at most this. */
  max?: number;
  /** Goal: the value must be at least this. */
  min?: number;
  /** A few words the table shows beside the figure (sizes, conditions). */
  note?: string;
}

/**
 * The machine-readable summary of a bench: one line `BENCH {"bench":…,"figures":[…]}` on stdout,
 * printed once at the end. `npm run bench` collects these lines into its table
 * (docs/performance.md describes the convention).
 */
export function reportFigures(bench: string, figures: BenchFigure[]): void {
  console.log(`BENCH ${JSON.stringify({ bench, quick: isQuick(), figures })}`);
}

/** Runs `fn` over `items`, at most `concurrency` at a time. */
export async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** The Stripe emulator in a process of its own, so its CPU and memory stay out of what is measured. */
export async function startEmulatorProcess(): Promise<{ url: string; port: number; stop(): void }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/dev/stripe-emulator/cli.ts'], {
    cwd: root,
    env: { ...process.env, STRIPE_EMULATOR_PORT: String(port), STRIPE_EMULATOR_DATA: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited early (${code})`)));
  });
  return { url, port, stop: () => child.kill('SIGINT') };
}

export interface CommandTime {
  command: string;
  count: number;
  'total ms': number;
  'avg ms': number;
}

/**
 * With BENCH_PROFILE=1 (and the client made with `monitorCommands`), database time by command,
 * collection and filter shape; `top(n)` gives the costliest. Without it, nothing is recorded.
 */
export function profileCommands(client: MongoClient): { top(n: number): CommandTime[] } {
  const profile = new Map<string, { n: number; ms: number }>();
  if (process.env.BENCH_PROFILE) {
    const started = new Map<number, string>();
    const shape = (v: unknown): string =>
      v && typeof v === 'object'
        ? Object.keys(v as object)
            .sort()
            .join(',')
        : '';
    client.on('commandStarted', (e) => {
      const cmd = e.command as Record<string, unknown>;
      const filter =
        e.commandName === 'find'
          ? shape(cmd.filter)
          : e.commandName === 'update' || e.commandName === 'delete'
            ? shape(((cmd.updates ?? cmd.deletes) as { q: unknown }[])?.[0]?.q)
            : '';
      started.set(e.requestId, `${e.commandName} ${String(cmd[e.commandName] ?? '')} {${filter}}`);
    });
    client.on('commandSucceeded', (e) => {
      const key = started.get(e.requestId);
      if (!key) return;
      started.delete(e.requestId);
      const p = profile.get(key) ?? { n: 0, ms: 0 };
      p.n++;
      p.ms += e.duration;
      profile.set(key, p);
    });
  }
  return {
    top: (n) =>
      [...profile]
        .sort((a, b) => b[1].ms - a[1].ms)
        .slice(0, n)
        .map(([command, v]) => ({ command, count: v.n, 'total ms': Math.round(v.ms), 'avg ms': +(v.ms / v.n).toFixed(1) })),
  };
}
