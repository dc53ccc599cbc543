// Stripe emulator throughput and memory. Run: `npx tsx bench/stripe-emulator.ts`
// (`node --expose-gc --import tsx bench/stripe-emulator.ts` makes the memory figure exact.)
// Prints requests/s for create / retrieve / list over keep-alive HTTP (the SDK's wire format), and
// the process's memory once it holds 10,000 customers with a subscription each. Figures only.
import http from 'node:http';
import { startStripeEmulator } from '../src/dev/stripe-emulator/index.js';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 10_000);

const emulator = await startStripeEmulator({ port: 0, tickIntervalMs: 0 });
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const auth = `Bearer ${emulator.secretKey}`;

function request(method: string, path: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: emulator.host,
        port: emulator.port,
        method,
        path,
        headers: {
          authorization: auth,
          'stripe-version': '2026-10-28.endive',
          ...(body !== undefined
            ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function measure(label: string, op: (i: number) => Promise<unknown>): Promise<void> {
  let done = 0;
  let i = 0;
  const until = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        await op(i++);
        done++;
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `${label.padEnd(34)} ${(done / secs).toFixed(0).padStart(7)} req/s  (${done} requests, concurrency ${CONCURRENCY})`,
  );
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

console.log(`Stripe emulator bench — ${emulator.url}`);
// Memory first, in a fresh process: 10,000 customers with a card and a monthly subscription each.
(globalThis as { gc?: () => void }).gc?.();
const price = await request(
  'POST',
  '/v1/prices',
  'currency=usd&unit_amount=1500&recurring[interval]=month&product_data[name]=Bench',
);
const priceId = String(price.json.id);
const before = process.memoryUsage();
const t0 = Date.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < SUBSCRIPTIONS) {
      next++;
      const c = await request(
        'POST',
        '/v1/customers',
        'payment_method=pm_card_visa&invoice_settings[default_payment_method]=pm_card_visa',
      );
      const s = await request('POST', '/v1/subscriptions', `customer=${String(c.json.id)}&items[0][price]=${priceId}`);
      if (s.status !== 200) throw new Error(`subscription create failed: ${JSON.stringify(s.json)}`);
    }
  }),
);
const elapsed = (Date.now() - t0) / 1000;
(globalThis as { gc?: () => void }).gc?.();
const after = process.memoryUsage();
const listed = await request('GET', '/v1/subscriptions?limit=100&status=all');
console.log(
  `created ${SUBSCRIPTIONS} customers + subscriptions in ${elapsed.toFixed(1)} s (${((SUBSCRIPTIONS * 2) / elapsed).toFixed(0)} req/s, each with invoice, payment intent and ~10 events)`,
);
console.log(
  `memory with ${SUBSCRIPTIONS} subscriptions: rss ${mb(after.rss)} (was ${mb(before.rss)}), heap used ${mb(after.heapUsed)} — client and server share this process`,
);
console.log(`list page ok: ${(listed.json.data as unknown[]).length} subscriptions, has_more=${String(listed.json.has_more)}`);

const first = await request('POST', '/v1/customers', 'email=bench%40example.com&metadata[source]=bench');
const customerId = String(first.json.id);
// Warm up the JIT so the first figure is not mostly compilation.
for (let i = 0; i < 1500; i++)
  await request(
    i % 2 ? 'GET' : 'POST',
    i % 2 ? `/v1/customers/${customerId}` : '/v1/customers',
    i % 2 ? undefined : 'email=warm%40example.com',
  );
await measure('POST /v1/customers (create)', (i) =>
  request('POST', '/v1/customers', `email=user${i}%40example.com&metadata[n]=${i}`),
);
await measure('GET /v1/customers/:id (retrieve)', () => request('GET', `/v1/customers/${customerId}`));
await measure('GET /v1/customers?limit=10 (list)', () => request('GET', '/v1/customers?limit=10'));

await measure('GET /v1/subscriptions?limit=100 (10k subs)', () => request('GET', '/v1/subscriptions?limit=100&status=all'));
await measure('GET /v1/events?limit=100', () => request('GET', '/v1/events?limit=100'));

agent.destroy();
await emulator.stop();
