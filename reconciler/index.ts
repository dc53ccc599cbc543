// The reconciler process (PM2 runs one, see ecosystem.config.cjs): parse env, connect, run the
// reconcile job on RECONCILE_CRON. The MongoDB lease keeps it to one run at a time however many of
// these processes exist; on SIGTERM the current run finishes its customer, stores its report and exits.
import cron from 'node-cron';
import { MigrationError } from '../src/db/migrate';
import { EnvError, parseEnv } from '../src/env';
import { createDeps } from '../src/deps';
import { runReconcile } from '../src/billing/reconcile/run';

try {
  const env = parseEnv();
  if (!cron.validate(env.RECONCILE_CRON))
    throw new EnvError([`RECONCILE_CRON is not a valid cron expression: ${env.RECONCILE_CRON}`]);
  const deps = await createDeps(env);
  const log = deps.log.child({ job: 'reconciler' });
  let current: Promise<unknown> | null = null;
  const shutdown = new AbortController();
  const task = cron.schedule(
    env.RECONCILE_CRON,
    async () => {
      current = runReconcile(deps, { signal: shutdown.signal }).catch((err: unknown) =>
        log.error({ err }, 'reconcile run crashed'),
      );
      await current;
      current = null;
    },
    { name: 'reconcile', noOverlap: true },
  );
  log.info({ schedule: env.RECONCILE_CRON, rps: env.RECONCILE_RPS }, 'reconciler scheduled');
  // Under PM2 with wait_ready, the process counts as started once it is connected and scheduled.
  process.send?.('ready');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await task.stop();
    shutdown.abort();
    // A run in progress ends at its next page; its report is stored and its lease released.
    if (current) await current;
    deps.mailer.close();
    await deps.db.close();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
} catch (err) {
  console.error(err instanceof EnvError || err instanceof MigrationError ? err.message : err);
  process.exit(1);
}
