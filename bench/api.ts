// Benchmark: API-key requests through the metered REST API (bearer auth + entitlement +
// one counted unit per call, stored before the answer, + a content read) against the same
// server's bare endpoint, in one run. Goal: metered ≥ 35% of bare, and its p99.
//
// Requests per second are each route's capacity: the most it serves while its p99 stays within
// BENCH_P99_MS (10 ms). Both routes run at several client counts (BENCH_LEVELS), alternating, and
// each is credited with its best level within that bound. The two reach it at different loads: the
// bare route is CPU-bound from 20 clients on, while every metered call waits for a database write,
// so with few clients the metered route mostly waits (its event loop is far from busy) and needs
// more clients to fill the server. The table also gives the ratio at each equal client count.
// BENCH_ROUNDS rounds (3), BENCH_SECONDS per measurement (5); --quick: 20 and 100 clients, one
// round of 3 s. Run: npx tsx bench/api.ts [--quick]
import { createApiKey } from '../src/api/keys';
import { newId } from '../src/lib/ids';
import { performance } from 'node:perf_hooks';
import { type BenchFigure, type Figures, isQuick, load, reportFigures, startBenchServer } from './lib';
import { sumUnits } from '../src/usage/units';

const server = await startBenchServer();
try {
  const { c } = server.deps.db;
  const now = new Date();
  const userId = newId();
  await c.users.insertOne({
    _id: userId,
    email: 'bench-api@example.test',
    emailVerified: true,
    name: 'Bench',
    passwordHash: null,
    role: 'user',
    disabled: false,
    createdAt: now,
    updatedAt: now,
    stripeCustomerId: 'cus_bench',
  });
  await c.billingCustomers.insertOne({
    _id: 'cus_bench',
    userId,
    email: 'bench-api@example.test',
    deleted: false,
    defaultPaymentMethod: null,
    subscriptionIds: ['sub_bench'],
    fetchedAt: now,
    syncedAt: now,
  });
  // A Pro subscriber, as syncCustomer would mirror one: 10,000 calls included, overage billed, so
  // no call is refused however many the bench makes.
  await c.subscriptions.insertOne({
    _id: 'sub_bench',
    userId,
    customerId: 'cus_bench',
    status: 'active',
    planId: 'pro',
    priceId: 'price_bench',
    lookupKey: 'dropin_pro_monthly',
    interval: 'month',
    unitAmount: 1200,
    currency: 'usd',
    quantity: 1,
    itemId: 'si_bench',
    currentPeriodStart: new Date(now.getTime() - 86_400_000),
    currentPeriodEnd: new Date(now.getTime() + 29 * 86_400_000),
    trialStart: null,
    trialEnd: null,
    cancelAtPeriodEnd: false,
    cancelAt: null,
    canceledAt: null,
    endedAt: null,
    cancellationFeedback: null,
    defaultPaymentMethod: null,
    latestInvoice: null,
    created: now,
    fetchedAt: now,
    syncedAt: now,
  });
  const { key } = await createApiKey(server.deps, { userId, name: 'bench' });
  const headers = { authorization: `Bearer ${key}` };
  const url = `${server.url}/api/v1/content/pricing-your-first-digital-product`;

  const check = await fetch(url, { headers });
  if (check.status !== 200) throw new Error(`the API answered ${check.status}: ${await check.text()}`);

  // Both routes warm (JIT, connections) before anything is measured.
  await load('warmup', { url, headers, duration: 2 });
  await load('warmup', { url: `${server.url}/healthz`, duration: 2 });
  const before = await sumUnits(server.deps, { userId });
  const rowsBefore = await c.usageEvents.countDocuments({ userId });

  const quick = isQuick();
  const levels = (process.env.BENCH_LEVELS ?? (quick ? '20,100' : '10,20,50,100,200')).split(',').map(Number);
  const rounds = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3));
  const duration = Number(process.env.BENCH_SECONDS ?? (quick ? 3 : 5));
  // Bare and metered alternate at each level, so a minute in which the VM runs slower weighs on
  // both. ELU is how busy the server's event loop was while the metered route ran.
  type Run = { bare: Figures; api: Figures; elu: number };
  const runs = levels.map(() => [] as Run[]);
  let apiRequests = 0;
  for (let r = 1; r <= rounds; r++) {
    for (const [i, connections] of levels.entries()) {
      const bare = await load(`${connections} clients: GET /healthz`, { url: `${server.url}/healthz`, duration, connections });
      const elu0 = performance.eventLoopUtilization();
      const api = await load(`${connections} clients: GET /api/v1/content/:slug`, { url, headers, duration, connections });
      const elu = performance.eventLoopUtilization(elu0).utilization;
      apiRequests += api.requests;
      runs[i]?.push({ bare, api, elu });
    }
  }
  const counted = (await sumUnits(server.deps, { userId })) - before;
  // autocannon stops at the time and drops the answers still on the way; their units were counted.
  const inFlightMax = levels.reduce((a, b) => a + b, 0) * rounds;
  if (counted < apiRequests || counted - apiRequests > inFlightMax) {
    console.log(`COUNT MISMATCH: ${counted} units counted for ${apiRequests} answered calls`);
    process.exitCode = 1;
  }
  const rows = (await c.usageEvents.countDocuments({ userId })) - rowsBefore;

  // Per level, the median round by each route's req/s.
  const median = <T>(xs: T[], by: (x: T) => number): T => [...xs].sort((a, b) => by(a) - by(b))[Math.floor(xs.length / 2)] as T;
  const perLevel = levels.map((connections, i) => {
    const rs = runs[i] as Run[];
    return {
      connections,
      bare: median(rs, (r) => r.bare.requestsPerSec).bare,
      api: median(rs, (r) => r.api.requestsPerSec).api,
      elu: median(rs, (r) => r.elu).elu,
    };
  });
  console.table(
    perLevel.map((l) => ({
      clients: l.connections,
      'bare req/s': l.bare.requestsPerSec,
      'bare p99 ms': l.bare.p99Ms,
      'metered req/s': l.api.requestsPerSec,
      'metered p99 ms': l.api.p99Ms,
      'metered / bare': `${((l.api.requestsPerSec / l.bare.requestsPerSec) * 100).toFixed(1)}%`,
      'event loop busy (metered)': `${(l.elu * 100).toFixed(0)}%`,
      errors: l.bare.errors + l.api.errors + l.bare.non2xx + l.api.non2xx,
    })),
  );
  // Capacity: each route's best level (by the median round there) whose p99 is within the bound.
  const p99Bound = Number(process.env.BENCH_P99_MS ?? 10);
  const best = (route: 'bare' | 'api') =>
    perLevel
      .filter((l) => l[route].p99Ms <= p99Bound)
      .reduce<(typeof perLevel)[number] | null>(
        (a, b) => (!a || b[route].requestsPerSec > a[route].requestsPerSec ? b : a),
        null,
      );
  const bestBare = best('bare');
  const bestApi = best('api');
  const figures: BenchFigure[] = [];
  if (bestBare && bestApi) {
    figures.push(
      {
        name: `metered API / bare route, capacity at p99 ≤ ${p99Bound} ms`,
        value: Math.round((bestApi.api.requestsPerSec / bestBare.bare.requestsPerSec) * 1000) / 10,
        unit: '%',
        min: 35,
        note: `${bestApi.api.requestsPerSec} vs ${bestBare.bare.requestsPerSec} req/s; clients ${levels.join(',')}, ${rounds}×${duration} s`,
      },
      { name: 'metered API p99 at its capacity', value: bestApi.api.p99Ms, unit: 'ms', max: p99Bound },
    );
  } else {
    figures.push({
      name: `metered API / bare route, capacity at p99 ≤ ${p99Bound} ms`,
      value: 0,
      unit: '%',
      min: 35,
      note: 'no level kept p99 within the bound',
    });
  }
  if (!bestBare || !bestApi)
    console.log(`no level kept p99 within ${p99Bound} ms for ${bestBare ? 'the metered API' : 'the bare route'}`);
  else
    console.log(
      `metered API / bare route, capacity at p99 ≤ ${p99Bound} ms: ${((bestApi.api.requestsPerSec / bestBare.bare.requestsPerSec) * 100).toFixed(1)}% ` +
        `(goal ≥ 35%): metered ${bestApi.api.requestsPerSec} req/s at ${bestApi.connections} clients, p99 ${bestApi.api.p99Ms} ms; ` +
        `bare ${bestBare.bare.requestsPerSec} req/s at ${bestBare.connections} clients, p99 ${bestBare.bare.p99Ms} ms ` +
        `(medians of ${rounds} rounds of ${duration} s)`,
    );
  for (const l of perLevel)
    console.log(
      `at ${l.connections} clients each: metered / bare ${((l.api.requestsPerSec / l.bare.requestsPerSec) * 100).toFixed(1)}%, metered p99 ${l.api.p99Ms} ms`,
    );
  reportFigures('api', figures);
  console.log(
    `API calls counted during the run: ${counted}, in ${rows} usage rows; 2xx answers: ${apiRequests}, plus ${counted - apiRequests} ` +
      `calls in flight when a measurement stopped (at most ${inFlightMax}: the client counts, once each measurement)`,
  );
} finally {
  await server.stopAll();
}
