// Webhook benchmark, in one run on one database:
//  1. signed webhook deliveries per second, from signature verification to the inbox commit,
//     against raw insertOne throughput of the same documents (goal: ratio ≥ 0.6);
//  2. requests/s and p99 of the dashboard's billing query for a subscribed user.
// Run: npx tsx bench/webhooks.ts [--quick]
import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { signPayload } from '../src/dev/stripe-emulator/index';
import { payCheckout } from '../src/dev/stripe-emulator/testing';
import { createUser } from '../src/auth/users';
import { isQuick, load, printTable, reportFigures, startBenchServer } from './lib';
import { startWebhookWorker } from '../src/webhooks/worker';

const CONCURRENCY = 20;
const SECONDS = isQuick() ? 3 : 8;

const server = await startBenchServer({}, { stripe: true });
try {
  const secret = server.deps.env.STRIPE_WEBHOOK_SECRET as string;
  const url = new URL(`${server.url}/webhooks/stripe`);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  // Events about no customer: the worker marks them processed without calling Stripe, so the
  // figure is the route and the inbox, not the emulator.
  const eventBody = () =>
    JSON.stringify({
      id: `evt_bench_${randomUUID().replaceAll('-', '')}`,
      object: 'event',
      type: 'product.updated',
      api_version: '2026-10-28.endive',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: { id: 'prod_bench', object: 'product', metadata: { some: 'value' } } },
    });

  const deliver = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'stripe-signature': signPayload(body, secret, Math.floor(Date.now() / 1000)),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  async function loop(name: string, op: () => Promise<void>): Promise<{ name: string; perSec: number; ops: number }> {
    let ops = 0;
    const end = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < end) {
          await op();
          ops++;
        }
      }),
    );
    return { name, perSec: Math.round(ops / SECONDS), ops };
  }

  const raw = server.deps.db.db.collection('bench_raw_inserts');
  const now = new Date();
  const rawInsert = await loop('raw insertOne (same document shape)', async () => {
    const body = eventBody();
    await raw.insertOne({
      _id: JSON.parse(body).id,
      type: 'product.updated',
      customerId: null,
      objectId: 'prod_bench',
      livemode: false,
      payload: body,
      created: now,
      receivedAt: now,
      duplicates: 0,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lockedUntil: null,
      lastError: null,
      processedAt: null,
    } as never);
  });
  let non2xx = 0;
  const webhookOp = async () => {
    const status = await deliver(eventBody());
    if (status !== 200) non2xx++;
  };
  // The ingestion path alone (what Stripe waits for): the worker is paused, as the goal defines it.
  await server.worker.stop();
  const webhooks = await loop('signed webhook → verify → inbox commit', webhookOp);
  // And with the worker processing the backlog on the same database at the same time.
  const worker = startWebhookWorker(server.deps);
  const withWorker = await loop('… same, while the worker processes the inbox', webhookOp);
  console.table([rawInsert, webhooks, withWorker].map((r) => ({ measure: r.name, 'per second': r.perSec, total: r.ops })));
  console.log(
    `webhook ingestion / raw insert ratio: ${(webhooks.perSec / rawInsert.perSec).toFixed(2)} (goal ≥ 0.6); with the worker running: ${(withWorker.perSec / rawInsert.perSec).toFixed(2)}; non-2xx answers: ${non2xx}`,
  );
  // The worker keeps going after the load stops: the backlog it had then, and how fast it went.
  const received = webhooks.ops + withWorker.ops;
  const backlog = received - (await server.deps.db.c.webhookEvents.countDocuments({ status: 'processed' }));
  const drainStarted = Date.now();
  await worker.drain(120_000);
  const drainSeconds = (Date.now() - drainStarted) / 1000;
  const drainRate = backlog > 0 ? Math.round(backlog / drainSeconds) : 0;
  console.log(
    `worker: ${backlog} of ${received} events waiting when the load stopped, drained in ${drainSeconds.toFixed(1)} s (${drainRate} events/s)`,
  );
  await worker.stop();

  // 2. The billing dashboard query for a subscribed user.
  const user = await createUser(server.deps, {
    email: 'bench-billing@example.test',
    password: 'bench billing password',
    name: 'Bench',
    emailVerified: true,
  });
  const { cookie } = await server.deps.sessions.create(user._id, { ip: '127.0.0.1', userAgent: 'bench' });
  const cookieHeader = cookie.split(';')[0] as string;
  const post = async (proc: string, input: unknown) => {
    const res = await fetch(`${server.url}/trpc/${proc}`, {
      method: 'POST',
      headers: { cookie: cookieHeader, 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify(input),
    });
    return (await res.json()) as { result?: { data: { url?: string } }; error?: unknown };
  };
  const checkout = await post('billing.startCheckout', {
    planId: 'pro',
    interval: 'month',
    actionId: randomUUID().replaceAll('-', ''),
  });
  const paid = await payCheckout(checkout.result?.data.url as string, { number: '4242424242424242' });
  const sessionId = new URL(paid.location as string).searchParams.get('session_id');
  await post('billing.completeCheckout', { sessionId });
  const check = await fetch(`${server.url}/trpc/billing.summary`, { headers: { cookie: cookieHeader } });
  const summary = (await check.json()) as { result: { data: { plan: { id: string } } } };
  if (summary.result.data.plan.id !== 'pro') throw new Error('the bench user is not subscribed');
  const dash = await load('GET /trpc/billing.summary (subscribed user)', {
    url: `${server.url}/trpc/billing.summary`,
    headers: { cookie: cookieHeader },
  });
  printTable([dash]);
  agent.destroy();
  reportFigures('webhooks', [
    {
      name: 'webhook ingestion / raw insert',
      value: Math.round((webhooks.perSec / rawInsert.perSec) * 100) / 100,
      unit: '×',
      min: 0.6,
      note: `${webhooks.perSec} vs ${rawInsert.perSec} per s, ${SECONDS} s each`,
    },
    { name: 'webhook ingestion while the worker runs', value: withWorker.perSec, unit: 'events/s' },
    {
      name: 'worker backlog when the load stopped',
      value: backlog,
      unit: 'events',
      note: backlog > 0 ? `drained at ${drainRate} events/s` : 'the worker kept up',
    },
    { name: 'billing.summary (subscribed user)', value: dash.requestsPerSec, unit: 'req/s', note: `p99 ${dash.p99Ms} ms` },
  ]);
} finally {
  await server.stopAll();
}
