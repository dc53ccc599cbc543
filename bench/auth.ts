// Benchmark: what a session costs a tRPC call. Three routes on one server, in one run:
//  - bare: GET /healthz, a plain Hono route (the server's ceiling);
//  - minimal tRPC: GET /trpc/auth.me without a cookie (the whole /trpc path: middleware, request
//    logging, context, the tRPC handler, a procedure that reads nothing);
//  - authenticated: the same call with a session cookie (session lookup, user in the context).
// They alternate in short rounds, with the load generator in its own process. Two figures per
// route: requests/s, and the server's CPU time per request. The ratio of the CPU times is the one
// to read on a shared machine: requests/s move by ±30% with whatever else runs, CPU per request
// hardly does, and on a saturated server requests/s is its inverse. Each figure is the median of
// the rounds (the req/s ratios: the median of each round's ratio).
// Goal: authenticated ≥ 90% of minimal tRPC (session, context and logging add ≤ 10%).
// Run: npx tsx bench/auth.ts [--quick]; BENCH_ROUNDS, BENCH_SECONDS override the sizes.
import { hashPassword } from '../src/auth/passwords';
import { newId } from '../src/lib/ids';
import { isQuick, load, loadCpu, reportFigures, startBenchServer } from './lib';

const quick = isQuick();
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 3 : 7));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (quick ? 2 : 4));

const server = await startBenchServer();
try {
  const { c } = server.deps.db;
  const now = new Date();
  const userId = newId();
  await c.users.insertOne({
    _id: userId,
    email: 'bench@example.test',
    emailVerified: true,
    name: 'Bench',
    passwordHash: await hashPassword('bench password 123'),
    role: 'user',
    disabled: false,
    createdAt: now,
    updatedAt: now,
  });
  const { cookie } = await server.deps.sessions.create(userId, { ip: '127.0.0.1', userAgent: 'bench' });
  const cookieHeader = cookie.split(';')[0] as string;

  const check = await fetch(`${server.url}/trpc/auth.me`, { headers: { cookie: cookieHeader } });
  const body = (await check.json()) as { result?: { data?: { user?: { email?: string } } } };
  if (body.result?.data?.user?.email !== 'bench@example.test')
    throw new Error(`auth.me did not see the session: ${JSON.stringify(body)}`);

  const routes = [
    { key: 'bare', name: 'GET /healthz (bare Hono route)', opts: { url: `${server.url}/healthz` } },
    { key: 'minimal', name: 'GET /trpc/auth.me, no cookie (minimal tRPC)', opts: { url: `${server.url}/trpc/auth.me` } },
    {
      key: 'authed',
      name: 'GET /trpc/auth.me with a session (authenticated)',
      opts: { url: `${server.url}/trpc/auth.me`, headers: { cookie: cookieHeader } },
    },
  ] as const;

  // Warm up every path (JIT, connection pool, session cache).
  for (const r of routes) await load('warmup', { ...r.opts, duration: 1 });
  type Run = Awaited<ReturnType<typeof loadCpu>>;
  const rounds: Record<(typeof routes)[number]['key'], Run>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // A different order each round, so no route always runs right after the same one.
    const order = round % 2 === 0 ? routes : [...routes].reverse();
    const got: Partial<Record<(typeof routes)[number]['key'], Run>> = {};
    for (const r of order) got[r.key] = await loadCpu(r.name, { ...r.opts, duration: SECONDS });
    rounds.push(got as Record<(typeof routes)[number]['key'], Run>);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const pct = (x: number) => Math.round(x * 1000) / 10;
  const rps = (key: (typeof routes)[number]['key']) => median(rounds.map((r) => r[key].requestsPerSec));
  const cpu = (key: (typeof routes)[number]['key']) => median(rounds.map((r) => r[key].cpuUsPerRequest));
  const rpsRatio = (a: 'authed' | 'minimal', b: 'minimal' | 'bare') =>
    pct(median(rounds.map((r) => r[a].requestsPerSec / r[b].requestsPerSec)));
  const cpuRatio = (a: 'authed' | 'minimal', b: 'minimal' | 'bare') => pct(cpu(b) / cpu(a));
  console.table(
    routes.map((r) => ({
      route: r.name,
      'req/s': rps(r.key),
      'server CPU µs/request': cpu(r.key),
      'p99 ms': median(rounds.map((x) => x[r.key].p99Ms)),
      'errors + non-2xx': rounds.reduce((n, x) => n + x[r.key].errors + x[r.key].non2xx, 0),
    })),
  );
  const sizes = `medians of ${ROUNDS} rounds of ${SECONDS} s`;
  const line = (label: string, a: 'authed' | 'minimal', b: 'minimal' | 'bare') =>
    console.log(`${label.padEnd(30)} by CPU/request ${cpuRatio(a, b)}%, by req/s ${rpsRatio(a, b)}%`);
  line('authenticated / bare:', 'authed', 'bare');
  line('minimal tRPC / bare:', 'minimal', 'bare');
  line('authenticated / minimal tRPC:', 'authed', 'minimal');
  console.log(`(goal: authenticated ≥ 90% of minimal tRPC; ${sizes})`);
  const extra = Math.round((cpu('authed') - cpu('minimal')) * 10) / 10;
  reportFigures('auth', [
    {
      name: 'authenticated tRPC / minimal tRPC (by server CPU per request)',
      value: cpuRatio('authed', 'minimal'),
      unit: '%',
      min: 90,
      note: `${cpu('authed')} vs ${cpu('minimal')} µs/request (+${extra} µs), ${sizes}`,
    },
    {
      name: 'authenticated tRPC / minimal tRPC (by req/s)',
      value: rpsRatio('authed', 'minimal'),
      unit: '%',
      note: `${rps('authed')} vs ${rps('minimal')} req/s`,
    },
    {
      name: 'authenticated tRPC / bare route (by req/s)',
      value: rpsRatio('authed', 'bare'),
      unit: '%',
      note: `bare ${rps('bare')} req/s`,
    },
    { name: 'minimal tRPC / bare route (by req/s)', value: rpsRatio('minimal', 'bare'), unit: '%' },
    { name: 'authenticated tRPC, server CPU per request', value: cpu('authed'), unit: 'µs' },
  ]);
} finally {
  await server.stopAll();
}
