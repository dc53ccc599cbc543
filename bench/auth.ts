// Benchmark: an authenticated tRPC query (session validation + one read) against a bare
// unauthenticated endpoint on the same server, in one run. Goal: authenticated ≥ 40% of bare.
// Run: npx tsx bench/auth.ts
import { hashPassword } from '../src/auth/passwords';
import { newId } from '../src/lib/ids';
import { load, printTable, startBenchServer } from './lib';

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

  // Warm up both paths (JIT, connection pool).
  await load('warmup', { url: `${server.url}/trpc/auth.me`, headers: { cookie: cookieHeader }, duration: 2 });
  const bare = await load('GET /healthz (bare Hono route)', { url: `${server.url}/healthz` });
  const anon = await load('GET /trpc/auth.me, no cookie (bare tRPC)', { url: `${server.url}/trpc/auth.me` });
  const authed = await load('GET /trpc/auth.me (session + user read)', {
    url: `${server.url}/trpc/auth.me`,
    headers: { cookie: cookieHeader },
  });
  printTable([bare, anon, authed]);
  const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
  console.log(`authenticated tRPC / bare Hono route: ${pct(authed.requestsPerSec, bare.requestsPerSec)} (goal ≥ 40%)`);
  console.log(
    `authenticated tRPC / unauthenticated tRPC: ${pct(authed.requestsPerSec, anon.requestsPerSec)} (the cost of the session itself)`,
  );
} finally {
  await server.stopAll();
}
