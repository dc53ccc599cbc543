// `npm run reconcile [-- --dry-run] [--customer cus_…] [--json]`: one reconcile run from a terminal.
// Against the local `npm start` services it needs no setup (reconciler/local.ts); against a real
// Stripe account it uses the environment. A progress bar goes to stderr on a TTY; the summary
// table (or the report as JSON) goes to stdout. Exit code: 0 succeeded, 1 failed, 2 skipped.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { EnvError, parseEnv } from '../src/env';
import { createDeps } from '../src/deps';
import { localServicesFile, withLocalServices } from './local';
import { runReconcile, type ReconcileProgress, type ReconcileReport } from '../src/billing/reconcile/run';

const usage = `Usage: npm run reconcile -- [--dry-run] [--customer cus_…] [--json]
  --dry-run          report drift without repairing, replaying or storing anything
  --customer <id>    reconcile one Stripe customer
  --json             print the report as JSON`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      customer: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.customer && !/^cus_\w+$/.test(values.customer))
    throw new UsageError(`--customer must be a Stripe customer id (cus_…), not ${values.customer}`);

  const source = withLocalServices();
  if (!source.MONGODB_URI || !source.STRIPE_SECRET_KEY) {
    throw new UsageError(
      `Set MONGODB_URI and STRIPE_SECRET_KEY, or start the local services with \`npm start\` (it writes ${localServicesFile()}).`,
    );
  }
  // The CLI logs only warnings: its output is the summary (or JSON) on stdout.
  const env = parseEnv({ ...source, LOG_LEVEL: source.LOG_LEVEL ?? 'warn', SMTP_URL: source.SMTP_URL ?? 'smtp://127.0.0.1:1' });
  // Logs go to stderr so stdout stays the summary or parseable JSON.
  const fromFile = !process.env.MONGODB_URI;
  const created = await createDeps(env).catch((err: unknown) => {
    if (!fromFile) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new UsageError(`The services in ${localServicesFile()} are not answering (${why}). Is \`npm start\` running?`);
  });
  const deps = { ...created, log: pino({ level: env.LOG_LEVEL, base: { app: 'dropin-reconcile' } }, pino.destination(2)) };
  const bar = process.stderr.isTTY && !values.json ? progressBar() : null;
  try {
    const report = await runReconcile(deps, { dryRun: values['dry-run'], customerId: values.customer, onProgress: bar?.update });
    bar?.done();
    console.log(values.json ? JSON.stringify(report, null, 2) : summary(report));
    return report.status === 'succeeded' ? 0 : report.status === 'skipped' ? 2 : 1;
  } finally {
    bar?.done();
    deps.mailer.close();
    await deps.db.close();
  }
}

class UsageError extends Error {}

function progressBar() {
  const width = 30;
  let last = 0;
  let finished = false;
  return {
    update(p: ReconcileProgress) {
      if (finished) return;
      const now = Date.now();
      if (now - last < 100 && p.phase === 'subscriptions') return;
      last = now;
      const ratio = p.estimatedTotal ? Math.min(1, p.checked / p.estimatedTotal) : 0;
      const filled = Math.round(ratio * width);
      const label = p.phase === 'subscriptions' ? `${p.checked}/${p.estimatedTotal} subscriptions` : p.phase;
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${label}  drift ${p.drifted}  repaired ${p.repaired}\x1b[K`,
      );
    },
    done() {
      if (finished) return;
      finished = true;
      process.stderr.write('\r\x1b[K');
    },
  };
}

export function summary(r: ReconcileReport): string {
  const lines: string[] = [];
  const title = `Reconcile ${r.status}${r.dryRun ? ' (dry run: nothing written)' : ''}${r.customerId ? ` for ${r.customerId}` : ''} in ${((r.durationMs ?? 0) / 1000).toFixed(1)} s`;
  lines.push(title, '');
  const rows: [string, string | number][] = [
    ['checked', r.counts.checked],
    ['in sync', r.counts.inSync],
    ['drifted', r.counts.drifted],
    [r.dryRun ? 'would repair' : 'repaired', r.dryRun ? r.counts.drifted : r.counts.repaired],
    ['already fixed', r.counts.alreadyFixed ?? 0],
    ['failed', r.counts.failed],
    [r.dryRun ? 'events to replay' : 'events replayed', r.eventsReplayed],
    [r.dryRun ? 'parked to retry' : 'parked retried', r.parkedRetried],
    ['Stripe API calls', r.stripeCalls],
  ];
  lines.push(
    ...table(
      ['', 'count'],
      rows.map(([k, v]) => [k, String(v)]),
    ),
    '',
  );
  const kinds = Object.entries(r.counts.byKind);
  if (kinds.length) {
    lines.push(
      'Drift by kind',
      ...table(
        ['kind', 'found', 'repaired', 'already fixed', 'failed'],
        kinds.map(([k, v]) => [k, String(v.found), String(v.repaired), String(v.alreadyFixed ?? 0), String(v.failed)]),
      ),
      '',
    );
  }
  for (const d of r.drifts.slice(0, 20)) {
    const fields = d.fields.map((f) => `${f.field}: ${JSON.stringify(f.mirror)} → ${JSON.stringify(f.stripe)}`).join('; ');
    lines.push(
      `  ${d.subscriptionId} (${d.customerId}) ${d.kind}${d.repaired ? ' repaired' : d.alreadyFixed ? ' already fixed' : d.error ? ` FAILED: ${d.error}` : ''}: ${fields}`,
    );
  }
  if (r.drifts.length > 20 || r.driftsOmitted) lines.push(`  … ${r.drifts.length - 20 + r.driftsOmitted} more (use --json)`);
  for (const e of r.errors) lines.push(`error: ${e}`);
  return lines.join('\n');
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ')}`;
  return [fmt(head), `  ${widths.map((w) => '─'.repeat(w)).join('   ')}`, ...rows.map(fmt)];
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof EnvError || err instanceof UsageError ? err.message : err);
    process.exit(1);
  },
);
