// Reconciler benchmark. Run: `npx tsx bench/reconciler.ts` (BENCH_SUBSCRIPTIONS=2000 for a
// smaller run; `--quick` or BENCH_QUICK=1 for 1,000, and BENCH_SUBSCRIPTIONS still wins). Seeds the
// emulator with N customers, each with a card and a subscription, and a matching mirror (rows
// computed with the same mapping syncCustomer writes), then runs the reconciler in its own process
// three times: with no drift, after 5% of the subscriptions were changed behind the app's back, and
// once more after that repair. Prints wall time, Stripe API calls per subscription (goal ≤ 0.02),
// peak RSS of the reconciler process, and drift found/repaired (goal: all). Figures, no assertions;
// the last line is the `BENCH` summary `npm run bench` reads (the drift run's goal, under 3
// minutes, is for 10,000 subscriptions, so smaller runs report its time without a goal).
//
// The emulator runs in its own process (so the RSS figure is the reconciler's). A completed run is
// recorded just after seeding, as last night's run would be: the measured runs replay the events
// since then (none), not the ~12 events per subscription the seeding made.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { startFerretDB } from '../scripts/services';
import { parseEnv } from '../src/env';
import { createDeps } from '../src/deps';
import { connectDatabase } from '../src/db/client';
import { newId } from '../src/lib/ids';
import { expectedRow } from '../src/billing/reconcile/compare';
import { customerDoc } from '../src/billing/mirror';
import { isQuick, pool, profileCommands, reportFigures, startEmulatorProcess } from './lib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface RunFigures {
  wallMs: number;
  stripeCalls: number;
  checked: number;
  drifted: number;
  repaired: number;
  alreadyFixed: number;
  failed: number;
  status: string;
  rssAfterConnectMb: number;
  peakRssMb: number;
}

if (process.argv.includes('--run')) {
  // Child: one reconciler run, as `npm run reconcile` would do it, reporting its own memory.
  const { runReconcile } = await import('../src/billing/reconcile/run');
  const env = parseEnv();
  const deps = await createDeps(env);
  const rssAfterConnectMb = process.memoryUsage().rss / 2 ** 20;
  const profile = profileCommands(deps.db.client);
  const started = Date.now();
  const report = await runReconcile(deps);
  const figures: RunFigures = {
    wallMs: Date.now() - started,
    stripeCalls: report.stripeCalls,
    checked: report.counts.checked,
    drifted: report.counts.drifted,
    repaired: report.counts.repaired,
    alreadyFixed: report.counts.alreadyFixed ?? 0,
    failed: report.counts.failed,
    status: report.status,
    rssAfterConnectMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  for (const c of profile.top(20)) console.error(`${c.command}: ${c.count} × ${c['avg ms']} ms = ${c['total ms']} ms`);
  console.log(JSON.stringify(figures));
  await deps.db.close();
  deps.mailer.close();
  process.exit(0);
}

const N = Number(process.env.BENCH_SUBSCRIPTIONS ?? (isQuick() ? 1_000 : 10_000));
const RPS = process.env.RECONCILE_RPS ?? '20';
const CONCURRENCY = 16;
const dir = mkdtempSync(path.join(os.tmpdir(), 'dropin-bench-reconciler-'));
const ferret = await startFerretDB({ dataDir: path.join(dir, 'ferretdb') });
const emulator = await startEmulatorProcess();
const emulatorPort = emulator.port;
const emulatorUrl = emulator.url;
const secretKey = 'sk_test_reconcilerBench000';
const childEnv = {
  ...process.env,
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  MONGODB_URI: ferret.url,
  MONGODB_DB: 'bench_reconciler',
  SMTP_URL: 'smtp://127.0.0.1:1',
  STRIPE_SECRET_KEY: secretKey,
  STRIPE_API_BASE: emulatorUrl,
  RECONCILE_RPS: RPS,
  // BENCH_PROFILE=1: each run prints its database time by command, collection and filter shape.
  ...(process.env.BENCH_PROFILE ? { MONGODB_MONITOR_COMMANDS: 'true' } : {}),
};
const stripe = new Stripe(secretKey, { host: '127.0.0.1', port: emulatorPort, protocol: 'http', maxNetworkRetries: 3 });
const db = await connectDatabase(ferret.url, 'bench_reconciler');

function runChild(): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/reconciler.ts', '--run'], {
      cwd: root,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`reconciler run exited ${code}: ${out}`));
      else resolve(JSON.parse(line) as RunFigures);
    });
  });
}

try {
  const product = await stripe.products.create({ name: 'Bench plan' });
  const price = await stripe.prices.create({
    product: product.id,
    unit_amount: 1200,
    currency: 'usd',
    recurring: { interval: 'month' },
    lookup_key: 'dropin_pro_monthly',
  });

  let t = Date.now();
  await pool(
    Array.from({ length: N }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const customer = await stripe.customers.create({
        email: `bench-${i}@example.test`,
        payment_method: 'pm_card_visa',
        invoice_settings: { default_payment_method: 'pm_card_visa' },
      });
      await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    },
  );
  const seedStripeS = (Date.now() - t) / 1000;

  // The mirror, page by page, as syncCustomer would have written it.
  t = Date.now();
  const subIds: string[] = [];
  let page: Stripe.ApiList<Stripe.Subscription> | null = null;
  do {
    page = await stripe.subscriptions.list({
      status: 'all',
      limit: 100,
      expand: ['data.customer.invoice_settings.default_payment_method', 'data.default_payment_method'],
      ...(page ? { starting_after: page.data.at(-1)!.id } : {}),
    });
    const fetchedAt = new Date(Date.now() - 3_600_000);
    await db.c.subscriptions.insertMany(page.data.map((s) => ({ _id: s.id, ...expectedRow(s).expected, fetchedAt })));
    // And each customer's row, which lists its subscriptions: a repair reads and writes by _id.
    await db.c.billingCustomers.insertMany(
      page.data.map((s) => ({
        _id: (s.customer as Stripe.Customer).id,
        ...customerDoc(s.customer as Stripe.Customer, { userId: null, fetchedAt }),
        subscriptionIds: [s.id],
      })),
    );
    subIds.push(...page.data.map((s) => s.id));
  } while (page.has_more);
  const seedMirrorS = (Date.now() - t) / 1000;
  // Last night's run, so events since then (none) are what the measured runs replay.
  await db.c.reconcileRuns.insertOne({
    _id: newId(),
    startedAt: new Date(Date.now() + 61_000),
    endedAt: new Date(),
    status: 'succeeded',
    dryRun: false,
    scope: 'all',
    customerId: null,
    owner: 'bench-seed',
    eventsSince: null,
    eventsComplete: true,
    counts: { checked: 0, inSync: 0, drifted: 0, repaired: 0, alreadyFixed: 0, failed: 0, byKind: {} },
    drifts: [],
    driftsOmitted: 0,
    errors: [],
    eventsReplayed: 0,
    parkedRetried: 0,
    stripeCalls: 0,
    durationMs: 0,
  });
  console.log(
    `seeded ${subIds.length} subscriptions in the emulator in ${seedStripeS.toFixed(1)} s and the mirror in ${seedMirrorS.toFixed(1)} s`,
  );

  const clean = await runChild();

  // 5% drift behind the app's back: half cancel at period end, half past due.
  const drifted = subIds.filter((_, i) => i % 20 === 0);
  await pool(drifted, CONCURRENCY, async (id) => {
    const n = subIds.indexOf(id) / 20;
    const res = await fetch(`${emulatorUrl}/_emulator/objects/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(n % 2 ? { status: 'past_due' } : { cancel_at_period_end: true }),
    });
    if (!res.ok) throw new Error(`patch ${id}: ${res.status}`);
  });
  const dirty = await runChild();
  const again = await runChild();

  const row = (name: string, f: RunFigures) => ({
    run: name,
    status: f.status,
    'wall s': +(f.wallMs / 1000).toFixed(1),
    checked: f.checked,
    'Stripe calls': f.stripeCalls,
    'calls / sub': +(f.stripeCalls / Math.max(1, f.checked)).toFixed(4),
    'drift found': f.drifted,
    repaired: f.repaired,
    'already fixed': f.alreadyFixed,
    failed: f.failed,
    'RSS after connect MB': Math.round(f.rssAfterConnectMb),
    'peak RSS MB': Math.round(f.peakRssMb),
  });
  console.log(`\nreconciler, ${N} subscriptions, RECONCILE_RPS=${RPS}, ${os.cpus().length} cores`);
  console.table([row('no drift', clean), row(`5% drift (${drifted.length} patched)`, dirty), row('after repair', again)]);

  const size = `${N.toLocaleString('en')} subscriptions`;
  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  reportFigures('reconciler', [
    { name: 'reconcile without drift', value: seconds(clean.wallMs), unit: 's', note: `${size}, ${clean.status}` },
    {
      name: 'reconcile without drift: Stripe calls per subscription',
      value: +(clean.stripeCalls / Math.max(1, clean.checked)).toFixed(4),
      unit: 'calls',
      max: 0.02,
      note: `${clean.stripeCalls} calls for ${clean.checked.toLocaleString('en')} checked`,
    },
    {
      name: 'reconcile with 5% drift',
      value: seconds(dirty.wallMs),
      unit: 's',
      // The goal, under 3 minutes, is for 10,000 subscriptions.
      ...(N >= 10_000 ? { max: 180 } : {}),
      note: `${size}, ${drifted.length} changed in Stripe, RECONCILE_RPS=${RPS}${N >= 10_000 ? '' : '; goal (180 s) is for 10,000'}`,
    },
    {
      name: 'reconcile with 5% drift: drifted subscriptions left unrepaired',
      value: dirty.drifted - dirty.repaired - dirty.alreadyFixed,
      unit: '',
      max: 0,
      note: `${dirty.drifted} found, ${dirty.repaired} repaired, ${dirty.alreadyFixed} fixed meanwhile`,
    },
    {
      name: 'reconcile after the repair: drifted subscriptions found',
      value: again.drifted,
      unit: '',
      max: 0,
      note: size,
    },
    {
      name: 'reconciler process peak RSS',
      value: Math.round(Math.max(clean.peakRssMb, dirty.peakRssMb, again.peakRssMb)),
      unit: 'MB',
      note: `${size}, largest of the three runs`,
    },
  ]);
} finally {
  await db.close();
  emulator.stop();
  await ferret.stop();
  rmSync(dir, { recursive: true, force: true });
}
