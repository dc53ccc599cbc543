// Chaos benchmark: `npx tsx bench/chaos.ts [--subscribers 200] [--seed N] [--concurrency 6] [--quick]`
// (--quick: 20 subscribers, the size the chaos test runs).
// The chaos test's run (tests/chaos/driver.ts) at a larger size, on throwaway services: subscribers
// on test clocks through trials, renewals, failing cards, plan changes, cancels and resumes while
// webhooks are dropped, duplicated, delayed and reordered, API calls fail and subscriptions drift,
// with one restart mid-burst that cuts requests still open. Prints figures; asserts nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalStripe } from '../src/dev/local-stripe';
import { clearPriceCache } from '../src/billing/prices';
import { parseEnv } from '../src/env';
import { freePort, startFerretDB, startMailpit } from '../scripts/services';
import { serveEnv } from '../tests/setup/harness';
import { billingWorld } from '../tests/setup/billing';
import { runChaos } from '../tests/chaos/driver';
import { isQuick, reportFigures } from './lib';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: isQuick() ? '20' : '200' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '6' },
    quick: { type: 'boolean', default: false },
  },
});
const subscribers = Number(values.subscribers);
const seed = Number(values.seed);

const dir = mkdtempSync(path.join(os.tmpdir(), 'dropin-bench-chaos-'));
const ferret = await startFerretDB({ dataDir: path.join(dir, 'ferretdb') });
const mailpit = await startMailpit();
const port = await freePort();
// Deliveries in parallel, as Stripe sends a burst (the emulator's default sends one at a time).
const local = await startLocalStripe({
  serverPort: port,
  tickIntervalMs: 0,
  webhookRetrySchedule: [50, 100, 200, 400],
  webhookConcurrency: 8,
});
clearPriceCache();
const env = parseEnv({
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  PORT: String(port),
  PUBLIC_URL: `http://127.0.0.1:${port}`,
  ...local.env,
  LOG_LEVEL: 'silent',
  MONGODB_URI: ferret.url,
  MONGODB_DB: 'bench_chaos',
  SMTP_URL: mailpit.smtpUrl,
  RATE_LIMIT_DISABLED: 'true',
});
const world = billingWorld(await serveEnv(env, { webDist: path.join(dir, 'no-web') }), local);
const started = Date.now();
try {
  const f = await runChaos(world, {
    subscribers,
    seed,
    concurrency: Number(values.concurrency),
    mailpitUrl: mailpit.apiUrl,
    hardRestart: true,
    settleTimeoutMs: 3_600_000,
    log: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`),
  });
  const receipts = f.paidInvoices - f.paidWithoutReceipt.length;
  console.log(
    `\nchaos, ${f.subscribers} subscribers, seed ${f.seed}, ${os.cpus().length} cores, ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  console.table({
    'webhook deliveries': f.webhooks.deliveries,
    'dropped / duplicated / delayed / reordered': `${f.webhooks.dropped} / ${f.webhooks.duplicated} / ${f.webhooks.delayed} / ${f.webhooks.reordered}`,
    'deliveries failed (restart)': f.webhooks.failed,
    'API faults injected': f.apiFaults,
    'subscriptions drifted silently': f.drifted,
    'restart ms': f.restartMs,
    'burst s': +(f.burstMs / 1000).toFixed(1),
    'mismatches before reconcile': f.mismatchesBefore,
    'mismatches after reconcile 1': f.mismatchesAfterReconcile,
    'reconcile 1: s / Stripe calls / repaired / events replayed': `${(f.reconcile1.ms / 1000).toFixed(1)} / ${f.reconcile1.stripeCalls} / ${f.reconcile1.repaired} / ${f.reconcile1.eventsReplayed}`,
    'reconcile 2: s / Stripe calls / repaired': `${(f.reconcile2.ms / 1000).toFixed(1)} / ${f.reconcile2.stripeCalls} / ${f.reconcile2.repaired}`,
    'paid invoices': f.paidInvoices,
    'receipts per paid invoice': +(receipts / Math.max(1, f.paidInvoices)).toFixed(3),
    'paid invoices without receipt': f.paidWithoutReceipt.length,
    'receipts for no paid invoice': f.receiptsWithoutPaidInvoice.length,
    'receipts not in Mailpit exactly once': Object.keys(f.mailpitReceiptsNotOnce).length,
    'emails sent / sent twice': `${f.emailsSent} / ${f.duplicateEmails.length}`,
    'actions / answered failed / tried again': `${f.actions} / ${f.actionsFailed} / ${f.triedAgain}`,
    'untruthful answers (failed, but made)': f.untruthful.length,
    'answered done, not made': f.okButNotApplied.length,
    'acknowledged events lost': f.acknowledgedLost.length,
    'lag p50 / p95 ms (delivery → processed)': `${f.lagMs.p50} / ${f.lagMs.p95} (${f.lagMs.events} events)`,
  });
  reportFigures('chaos', [
    {
      name: 'mismatches after one reconcile',
      value: f.mismatchesAfterReconcile,
      unit: '',
      max: 0,
      note: `${f.subscribers} subscribers`,
    },
    { name: 'acknowledged events lost', value: f.acknowledgedLost.length, unit: '', max: 0 },
    { name: 'untruthful answers', value: f.untruthful.length + f.okButNotApplied.length, unit: '', max: 0 },
    { name: 'paid invoices without receipt', value: f.paidWithoutReceipt.length, unit: '', max: 0 },
    { name: 'emails sent twice', value: f.duplicateEmails.length, unit: '', max: 0 },
    { name: 'webhook lag p95 (delivery → processed)', value: f.lagMs.p95, unit: 'ms', note: `${f.lagMs.events} events` },
    {
      name: 'reconcile after the burst',
      value: Math.round(f.reconcile1.ms / 100) / 10,
      unit: 's',
      note: `${f.reconcile1.stripeCalls} Stripe calls`,
    },
  ]);
} finally {
  await world.close();
  await Promise.all([ferret.stop(), mailpit.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
