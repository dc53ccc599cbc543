// Shared benchmark plumbing: a DropIn server with local defaults on throwaway data, a small
// autocannon wrapper that returns the figures we print, and the quick mode and `BENCH` line that
// `npm run bench` (bench/run.ts) relies on.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startFerretDB, startMailpit, freePort } from '../scripts/services';
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
