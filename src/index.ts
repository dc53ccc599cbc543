// Production entry: parse env, connect, start the server, and stop it gracefully on a signal.
import cluster from 'node:cluster';
import { MigrationError } from './db/migrate';
import { EnvError, parseEnv } from './env';
import { createServerDeps, startServer } from './server';

try {
  const env = parseEnv();
  const server = await startServer(await createServerDeps(env));
  const log = server.deps.log;
  // PM2 (wait_ready) moves traffic to a reloaded instance only once it says it is listening.
  process.send?.('ready');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    log.info({ signal }, 'shutting down: no new connections, finishing in-flight work');
    // A last resort if something hangs past the request deadline (PM2 would SIGKILL later still).
    setTimeout(() => {
      log.error({ ms: Date.now() - started }, 'shutdown overran its deadline; exiting anyway');
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS + 3_000).unref();
    server
      .close({ timeoutMs: env.SHUTDOWN_TIMEOUT_MS })
      .then(leaveCluster)
      .then(
        () => {
          log.info({ ms: Date.now() - started }, 'shut down cleanly');
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, stop);
} catch (err) {
  console.error(err instanceof EnvError || err instanceof MigrationError ? err.message : err);
  process.exit(1);
}

/**
 * In a PM2 cluster the master accepts connections and hands them to workers over IPC. One handed
 * over just as this worker exits would be lost inside the master, its client left hanging, so
 * before exiting the worker waits for the master to acknowledge that it is leaving: by then any
 * connection sent its way has been answered "not accepted" and given to another instance.
 */
function leaveCluster(): Promise<void> {
  const worker = cluster.worker;
  if (!cluster.isWorker || !worker || !process.connected) return Promise.resolve();
  return new Promise((resolve) => {
    process.once('disconnect', () => resolve());
    setTimeout(resolve, 2_000).unref();
    worker.disconnect();
  });
}
