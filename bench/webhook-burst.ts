// Month-end webhook burst: `npx tsx bench/webhook-burst.ts [--events 10000] [--connections 32] [--quick]`.
// Seeds subscribers in the Stripe emulator (its own process, as Stripe is to the app), mirrors them,
// then renews every one of them at once (each customer's time moves a month on), which makes the
// events a renewal run makes: subscription updated, invoice created, finalized and paid, payment
// intent and charge, about ten per subscriber. Those real events, signed, are then posted to the
// running server's webhook route as fast as it takes them, with the worker paused, and then the
// worker drains the backlog. Prints the ingest rate, the drain rate with the whole backlog waiting,
// and the lag from receipt to the mirror written (the event marked processed after its customer's
// sync and effects), p50/p95/max. Goal: drain ≥ 300 events/s with 10,000 waiting, p95 lag < 60 s.
// Figures, no assertions. --quick: 1,000 events (the goals are for 10,000, so the BENCH line gives
// none). BENCH_PROFILE=1 also prints the drain's database time by command.
import { Agent, request } from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import Stripe from 'stripe';
import { pushCatalog } from '../src/billing/catalog';
import { syncCustomer } from '../src/billing/sync';
import { signPayload } from '../src/dev/stripe-emulator/index';
import { emulatorControl } from '../src/dev/stripe-emulator/control';
import { newId } from '../src/lib/ids';
import { startWebhookWorker } from '../src/webhooks/worker';
import { isQuick, pool, profileCommands, reportFigures, startBenchServer, startEmulatorProcess } from './lib';

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    connections: { type: 'string', default: '32' },
    quick: { type: 'boolean' },
  },
});
const EVENTS = Number(values.events ?? (isQuick() ? 1_000 : 10_000));
const CONNECTIONS = Number(values.connections);
const SECRET = 'whsec_webhookBurstBench';
const DAY = 86_400;

const t0 = Date.now();
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(0)} s]`;

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const emulator = await startEmulatorProcess();
const emulatorPort = emulator.port;
const emulatorUrl = emulator.url;
const secretKey = 'sk_test_webhookBurstBench';
const stripe = new Stripe(secretKey, { host: '127.0.0.1', port: emulatorPort, protocol: 'http', maxNetworkRetries: 3 });
const control = emulatorControl(emulatorUrl);
await pushCatalog(stripe);
// No webhook endpoint is registered: the emulator delivers nothing, the benchmark posts the events.
const server = await startBenchServer({
  STRIPE_SECRET_KEY: secretKey,
  STRIPE_API_BASE: emulatorUrl,
  STRIPE_WEBHOOK_SECRET: SECRET,
  LOG_LEVEL: 'error',
  ...(process.env.BENCH_PROFILE ? { MONGODB_MONITOR_COMMANDS: 'true' } : {}),
});
const { c } = server.deps.db;
const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });

try {
  // ---- Subscribers: a user row, a customer naming it, a card, a monthly subscription. ----
  const price = (await stripe.prices.list({ lookup_keys: ['dropin_pro_monthly'], limit: 1 })).data[0];
  if (!price) throw new Error('the catalog has no dropin_pro_monthly price');
  // A renewal makes about ten events per subscriber.
  const subscribers = Math.ceil(EVENTS / 9.5);
  const customers: string[] = [];
  await pool(
    Array.from({ length: subscribers }, (_, i) => i),
    16,
    async (i) => {
      const userId = newId();
      const email = `burst-${i}@example.test`;
      const now = new Date();
      const customer = await stripe.customers.create({
        email,
        payment_method: 'pm_card_visa',
        invoice_settings: { default_payment_method: 'pm_card_visa' },
        metadata: { dropin_user_id: userId },
      });
      await c.users.insertOne({
        _id: userId,
        email,
        emailVerified: true,
        name: `Burst ${i}`,
        passwordHash: null,
        role: 'user',
        disabled: false,
        createdAt: now,
        updatedAt: now,
        stripeCustomerId: customer.id,
      });
      await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      customers.push(customer.id);
    },
  );
  console.log(`${stamp()} seeded ${customers.length} subscribers in the emulator`);
  // The mirror as the app keeps it (and the first invoice's receipt sent): one sync each.
  await server.worker.stop();
  await pool(customers, 8, async (id) => {
    await syncCustomer(server.deps, id, { source: 'reconciler' });
  });
  console.log(`${stamp()} mirrored them`);

  // ---- The renewal run: every customer a month on. ----
  const renewalStarted = Math.floor(Date.now() / 1000);
  const before = new Set<string>();
  for await (const e of stripe.events.list({ limit: 100 })) before.add(e.id);
  await pool(customers, 16, async (id) => {
    await control.advanceCustomer(id, { seconds: 31 * DAY + 2 * 3600 });
  });
  const renewal: Stripe.Event[] = [];
  for await (const e of stripe.events.list({ limit: 100, created: { gte: renewalStarted - 1 } }))
    if (!before.has(e.id)) renewal.push(e);
  // Oldest first, as Stripe sends them; the first EVENTS of them.
  renewal.sort((a, b) => a.created - b.created);
  const events = renewal.slice(0, EVENTS);
  const byType = new Map<string, number>();
  for (const e of events) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
  console.log(
    `${stamp()} renewal made ${renewal.length} events; posting ${events.length}: ${[...byType].map(([t, n]) => `${t} ${n}`).join(', ')}`,
  );

  // ---- Ingest: signed deliveries to the real route, worker paused. ----
  const url = new URL(`${server.url}/webhooks/stripe`);
  const deliver = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'stripe-signature': signPayload(body, SECRET, Math.floor(Date.now() / 1000)),
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
  let non2xx = 0;
  const ingestStarted = Date.now();
  await pool(events, CONNECTIONS, async (e) => {
    const status = await deliver(JSON.stringify(e));
    if (status < 200 || status >= 300) non2xx++;
  });
  const ingestMs = Date.now() - ingestStarted;
  const waiting = await c.webhookEvents.countDocuments({ status: 'pending' });
  console.log(`${stamp()} ingested ${events.length} in ${(ingestMs / 1000).toFixed(1)} s; ${waiting} waiting; non-2xx ${non2xx}`);

  // ---- Drain: the worker works the backlog. ----
  // BENCH_PROFILE=1: database time by command, collection and filter shape during the drain.
  const profile = profileCommands(server.deps.db.client);
  const drainStarted = Date.now();
  const worker = startWebhookWorker(server.deps);
  let lastReport = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 1_000));
    // Whether the queue is empty is one row's read; a count reads the whole queue (about 0.6 s of
    // the database's time with 10,000 waiting), so it is taken only for the progress line.
    if (!(await c.webhookQueue.findOne({}, { projection: { _id: 1 } }))) break;
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      console.log(`${stamp()} ${await c.webhookQueue.countDocuments({})} still waiting`);
    }
  }
  await worker.drain(60_000);
  await worker.stop();
  const ids = events.map((e) => e.id);
  const rows = await c.webhookEvents
    .find({ _id: { $in: ids } }, { projection: { receivedAt: 1, processedAt: 1, status: 1 } })
    .toArray();
  const lastProcessed = Math.max(...rows.map((r) => r.processedAt?.getTime() ?? 0));
  const drainMs = lastProcessed - drainStarted;
  const lags = rows
    .filter((r) => r.processedAt)
    .map((r) => r.processedAt!.getTime() - r.receivedAt.getTime())
    .sort((a, b) => a - b);
  const parked = rows.filter((r) => r.status === 'parked').length;
  const receipts = await c.emailOutbox.countDocuments({ _id: { $regex: '^receipt:' } });
  const drainRate = Math.round(rows.length / (drainMs / 1000));
  const costliest = profile.top(25);
  if (costliest.length) console.table(costliest);
  const load = os
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
  console.log(
    `\nwebhook burst, ${events.length} events for ${customers.length} subscribers, ${os.cpus().length} cores, load ${load}`,
  );
  console.table({
    'ingest events/s (worker paused)': Math.round(events.length / (ingestMs / 1000)),
    'drain events/s (all waiting at start)': drainRate,
    'drain s': +(drainMs / 1000).toFixed(1),
    'lag p50 s (receipt → mirror written)': +(percentile(lags, 50) / 1000).toFixed(1),
    'lag p95 s': +(percentile(lags, 95) / 1000).toFixed(1),
    'lag max s': +((lags.at(-1) ?? 0) / 1000).toFixed(1),
    'events processed / parked': `${lags.length} / ${parked}`,
    'receipts queued (first invoice + renewal)': receipts,
  });
  const sizes = `${events.length} events, ${customers.length} subscribers`;
  // The goals are for 10,000 waiting; a smaller burst's figures are shown without them.
  const full = EVENTS >= 10_000;
  reportFigures('webhook-burst', [
    {
      name: `webhook drain rate, ${events.length.toLocaleString('en-US')} waiting`,
      value: drainRate,
      unit: 'events/s',
      ...(full ? { min: 300 } : {}),
      note: `${sizes}; ${lags.length} processed, ${parked} parked`,
    },
    {
      name: 'webhook lag p95, receipt → mirror written',
      value: +(percentile(lags, 95) / 1000).toFixed(1),
      unit: 's',
      ...(full ? { max: 60 } : {}),
      note: `p50 ${(percentile(lags, 50) / 1000).toFixed(1)} s, max ${((lags.at(-1) ?? 0) / 1000).toFixed(1)} s; ingest included`,
    },
    {
      name: 'webhook ingest with the worker paused',
      value: Math.round(events.length / (ingestMs / 1000)),
      unit: 'events/s',
      note: `${non2xx} answered non-2xx`,
    },
  ]);
} finally {
  agent.destroy();
  await server.stopAll();
  emulator.stop();
}
