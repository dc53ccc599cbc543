// Issue 5 benchmark: API-key requests through the metered REST API (bearer auth + entitlement +
// one counted unit per call, stored before the answer, + a content read) against the same
// server's bare endpoint, in one run.
// Goal: metered API ≥ 35% of bare, at the bench's 20 clients (BENCH_CONNECTIONS), as the median of
// BENCH_ROUNDS alternating rounds. Then one round at 50 and 100 clients for context: every metered
// call waits for a database write, so at 20 clients the metered route is partly latency-bound
// (its event loop is not fully busy) where the bare route is not. Run: npx tsx bench/api.ts
import { createApiKey } from '../src/api/keys';
import { newId } from '../src/lib/ids';
import { performance } from 'node:perf_hooks';
import { type Figures, load, printTable, startBenchServer } from './lib';
import { sumUnits } from '../src/usage/counter';

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
  // Bare and metered alternate, so a minute in which the VM runs slower weighs on both; the figure
  // is the median round's. ELU is how busy the server's event loop was during the metered phase.
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const duration = Number(process.env.BENCH_SECONDS ?? 5);
  const results: { bare: Figures; api: Figures; ratio: number; elu: number }[] = [];
  let apiRequests = 0;
  for (let r = 1; r <= rounds; r++) {
    const bare = await load(`round ${r}: GET /healthz (bare Hono route)`, { url: `${server.url}/healthz`, duration });
    const elu0 = performance.eventLoopUtilization();
    const api = await load(`round ${r}: GET /api/v1/content/:slug (key + entitlement + counted unit)`, {
      url,
      headers,
      duration,
    });
    const elu = performance.eventLoopUtilization(elu0).utilization;
    apiRequests += api.requests;
    results.push({ bare, api, ratio: api.requestsPerSec / bare.requestsPerSec, elu });
  }
  const counted = (await sumUnits(server.deps, { userId })) - before;
  const rows = (await c.usageEvents.countDocuments({ userId })) - rowsBefore;
  printTable(results.flatMap((r) => [r.bare, r.api]));
  for (const [i, r] of results.entries())
    console.log(
      `round ${i + 1}: metered / bare ${(r.ratio * 100).toFixed(1)}%, server event loop busy ${(r.elu * 100).toFixed(0)}%`,
    );
  const median = [...results].sort((a, b) => a.ratio - b.ratio)[Math.floor(results.length / 2)] as (typeof results)[number];
  console.log(
    `metered API / bare route: ${(median.ratio * 100).toFixed(1)}% (median of ${rounds} rounds; goal ≥ 35%); API p99 ${median.api.p99Ms} ms`,
  );
  console.log(
    `API calls counted during the run: ${counted} (${apiRequests} 2xx answered; every 2xx is one unit), in ${rows} usage rows`,
  );

  if (process.env.BENCH_MORE_CLIENTS !== '0') {
    const more: Figures[] = [];
    const lines: string[] = [];
    for (const connections of [50, 100]) {
      const bare = await load(`${connections} clients: GET /healthz`, { url: `${server.url}/healthz`, duration, connections });
      const api = await load(`${connections} clients: GET /api/v1/content/:slug`, { url, headers, duration, connections });
      more.push(bare, api);
      lines.push(
        `${connections} clients: metered / bare ${((api.requestsPerSec / bare.requestsPerSec) * 100).toFixed(1)}%, API p99 ${api.p99Ms} ms`,
      );
    }
    printTable(more);
    for (const line of lines) console.log(line);
  }
} finally {
  await server.stopAll();
}
