// Stripe emulator throughput and memory. Run: `npx tsx bench/stripe-emulator.ts [--quick]`
// The emulator runs in its own process (as beside the app), started with --expose-gc so its memory
// figure is live data, not garbage. Prints requests/s for create / retrieve / list over keep-alive
// HTTP in Stripe's wire format, and the emulator's memory once it holds 10,000 customers with a
// subscription each. Figures only, no assertions.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchFigure, isQuick, reportFigures } from './lib';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? (isQuick() ? 1 : 3));
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? (isQuick() ? 1_000 : 10_000));
const figures: BenchFigure[] = [];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'src/dev/stripe-emulator/cli.ts'], {
  cwd: root,
  env: { ...process.env, STRIPE_EMULATOR_PORT: '0', STRIPE_EMULATOR_DATA: '' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const baseUrl = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    const m = /listening on (http:\/\/[^\s]+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  child.once('exit', (code) => reject(new Error(`emulator exited early (${code})`)));
});
const { hostname, port } = new URL(baseUrl);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const auth = 'Bearer sk_test_benchmarkKey0000';

function request(method: string, urlPath: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: hostname,
        port,
        method,
        path: urlPath,
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
  figures.push({ name: label, value: Math.round(done / secs), unit: 'req/s', note: `concurrency ${CONCURRENCY}` });
  console.log(
    `${label.padEnd(40)} ${(done / secs).toFixed(0).padStart(7)} req/s  (${done} requests, concurrency ${CONCURRENCY})`,
  );
}

async function emulatorMemory(): Promise<{ rss: number; heapUsed: number; heapTotal?: number; external?: number }> {
  const res = await fetch(`${baseUrl}/_emulator/gc`, { method: 'POST' });
  return ((await res.json()) as { memory: { rss: number; heapUsed: number; heapTotal?: number; external?: number } }).memory;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

console.log(`Stripe emulator bench — ${baseUrl} (separate process)`);

// Memory first, on a fresh emulator: 10,000 customers with a card and a monthly subscription each.
const empty = await emulatorMemory();
const price = await request(
  'POST',
  '/v1/prices',
  'currency=usd&unit_amount=1500&recurring[interval]=month&product_data[name]=Bench',
);
const priceId = String(price.json.id);
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
const full = await emulatorMemory();
console.log(
  `created ${SUBSCRIPTIONS} customers + subscriptions in ${elapsed.toFixed(1)} s (${((SUBSCRIPTIONS * 2) / elapsed).toFixed(0)} req/s; each makes a card, invoice, payment intent and 12 events)`,
);
console.log(`emulator memory, empty:              rss ${mb(empty.rss)}, heap used ${mb(empty.heapUsed)}`);
console.log(
  `emulator memory, ${SUBSCRIPTIONS} subscriptions: rss ${mb(full.rss)}, heap used ${mb(full.heapUsed)} (heap reserved ${mb(full.heapTotal ?? 0)}, external ${mb(full.external ?? 0)})`,
);

figures.push({
  name: `emulator heap used, ${SUBSCRIPTIONS} subscriptions`,
  value: Math.round(full.heapUsed / 1024 / 102.4) / 10,
  unit: 'MB',
  note: `rss ${mb(full.rss)}`,
});

// Throughput of simple requests (warmed up first so the figures are not JIT compilation).
const first = await request('POST', '/v1/customers', 'email=bench%40example.com&metadata[source]=bench');
const customerId = String(first.json.id);
for (let i = 0; i < 1500; i++) {
  await (i % 2 ? request('GET', `/v1/customers/${customerId}`) : request('POST', '/v1/customers', 'email=warm%40example.com'));
}
await measure('POST /v1/customers (create)', (i) =>
  request('POST', '/v1/customers', `email=user${i}%40example.com&metadata[n]=${i}`),
);
await measure('GET /v1/customers/:id (retrieve)', () => request('GET', `/v1/customers/${customerId}`));
await measure('GET /v1/customers?limit=10 (list)', () => request('GET', '/v1/customers?limit=10'));
await measure('GET /v1/subscriptions?limit=100 (of 10k)', () => request('GET', '/v1/subscriptions?limit=100&status=all'));
await measure('GET /v1/events?limit=100', () => request('GET', '/v1/events?limit=100'));

reportFigures('stripe-emulator', figures);
agent.destroy();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
