// Benchmark: what a session costs a tRPC call. Three routes on one server, in one run:
//  - bare: GET /healthz, a plain Hono route (the server's ceiling);
//  - minimal tRPC: GET /trpc/auth.me without a cookie (the whole /trpc path: middleware, context,
//    the tRPC handler, a procedure that reads nothing);
//  - authenticated: the same call with a session cookie (session lookup, user in the context).
// They alternate in short rounds, so a minute in which the shared machine runs slower weighs on all
// three, and each route is credited with its median round. Goal: authenticated ≥ 90% of minimal
// tRPC (session, context and logging add ≤ 10%).
// Run: npx tsx bench/auth.ts [--quick]; BENCH_ROUNDS, BENCH_SECONDS override the sizes.
import { hashPassword } from '../src/auth/passwords';
import { newId } from '../src/lib/ids';
import { type Figures, isQuick, load, printTable, reportFigures, startBenchServer } from './lib';

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
  const runs = new Map<string, Figures[]>(routes.map((r) => [r.key, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // A different order each round, so no route always runs right after the same one.
    const order = round % 2 === 0 ? routes : [...routes].reverse();
    for (const r of order) runs.get(r.key)?.push(await load(r.name, { ...r.opts, duration: SECONDS }));
  }
  const median = (key: string): Figures => {
    const list = [...(runs.get(key) ?? [])].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
    return list[Math.floor(list.length / 2)] as Figures;
  };
  const [bare, minimal, authed] = [median('bare'), median('minimal'), median('authed')];
  printTable([bare, minimal, authed]);
  const ratio = (a: Figures, b: Figures) => Math.round((a.requestsPerSec / b.requestsPerSec) * 1000) / 10;
  const sizes = `medians of ${ROUNDS} rounds of ${SECONDS} s`;
  console.log(`authenticated / bare:         ${ratio(authed, bare)}%`);
  console.log(`minimal tRPC / bare:          ${ratio(minimal, bare)}%`);
  console.log(`authenticated / minimal tRPC: ${ratio(authed, minimal)}% (goal ≥ 90%) — ${sizes}`);
  reportFigures('auth', [
    {
      name: 'authenticated tRPC / minimal tRPC',
      value: ratio(authed, minimal),
      unit: '%',
      min: 90,
      note: `${authed.requestsPerSec} vs ${minimal.requestsPerSec} req/s, ${sizes}`,
    },
    { name: 'authenticated tRPC / bare route', value: ratio(authed, bare), unit: '%', note: `bare ${bare.requestsPerSec} req/s` },
    { name: 'minimal tRPC / bare route', value: ratio(minimal, bare), unit: '%' },
    { name: 'authenticated tRPC p99', value: authed.p99Ms, unit: 'ms', note: `${authed.requestsPerSec} req/s` },
  ]);
} finally {
  await server.stopAll();
}
