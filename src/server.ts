// Builds the server's dependencies (a job's, plus sessions) and starts the HTTP server, with graceful
// shutdown. `src/index.ts` (production) and `scripts/start.ts` (local defaults) both call this.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { Env } from './env';
import { createSessions } from './auth/sessions';
import { createApp } from './app';
import { startWebhookWorker, type WebhookWorker } from './webhooks/worker';
import { handleMeterErrorNotification } from './usage/meter-errors';
import { startOutboxRetry } from './email/outbox';
import { startMeterSender, type MeterSender } from './usage/meter';
import { seedContent } from './content/seed';
import { sweepKeySlots } from './api/keys';
import { createDeps, type ServerDeps } from './deps';
import { startSnapshotJob } from './admin/analytics';
import { startFiguresJob } from './billing/figures/job';
import { startCardExpiryJob } from './billing/card-expiry';

/** A job's dependencies plus the sessions request handlers need. */
export async function createServerDeps(env: Env): Promise<ServerDeps> {
  const deps = await createDeps(env);
  return { ...deps, sessions: createSessions(env, deps.db.c) };
}

export interface RunningServer {
  url: string;
  deps: ServerDeps;
  worker: WebhookWorker;
  /**
   * Graceful stop: no new connections, in-flight requests and the webhook row in hand finish,
   * timers stop, then the database closes. Requests still open after `timeoutMs` are cut.
   */
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

export async function startServer(deps: ServerDeps, opts: { webDist?: string } = {}): Promise<RunningServer> {
  const { env, log } = deps;
  if (env.NODE_ENV === 'production' && !env.DOWNLOAD_SIGNING_SECRET)
    throw new Error('DOWNLOAD_SIGNING_SECRET is required in production');
  if (env.NODE_ENV === 'development') await seedContent(deps);
  const worker = startWebhookWorker(deps, {
    thinHandlers: { 'v1.billing.meter.error_report_triggered': handleMeterErrorNotification },
  });
  const meter: MeterSender = startMeterSender(deps);
  const app = createApp(deps, {
    // Relative to the working directory (the project root under npm and PM2), so the bundled
    // server in dist/server finds the same dist/web as the source one.
    webDist: opts.webDist ?? path.resolve(process.cwd(), 'dist', 'web'),
    onWebhookRecorded: worker.kick,
  });
  const jobs = startHousekeeping(deps);
  const snapshots = startSnapshotJob(deps);
  const figures = startFiguresJob(deps);
  const cardExpiry = startCardExpiryJob(deps);
  const outbox = startOutboxRetry(deps);
  deps.sessions.startCache((err) => log.warn({ err }, 'session cache poll failed'));
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const url = `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${port}`;
  log.info({ url }, 'server listening');

  // Responses still being written when a stop begins are told to close their connection, so a
  // proxy's keep-alive pool does not send the next request to a process that is going away.
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });

  let closing: Promise<void> | null = null;
  return {
    url,
    deps,
    worker,
    close(opts = {}) {
      closing ??= (async () => {
        clearInterval(jobs);
        // Stop taking requests; let in-flight ones, the webhook row in hand and background runs finish.
        await Promise.all([
          stopHttp(server as Server, inFlight, opts.timeoutMs ?? 10_000),
          worker.stop(),
          meter.stop(),
          snapshots.stop(),
          figures.stop(),
          cardExpiry.stop(),
          outbox.stop(),
          deps.sessions.stopCache(),
        ]);
        deps.mailer.close();
        await deps.db.close();
      })();
      return closing;
    },
  };
}

/**
 * Stops accepting connections and waits for in-flight requests. Idle keep-alive sockets (nginx
 * keeps a pool open) would hold `close()` until they time out, so they are closed at once and as
 * soon as they go idle, and any request that still arrives on one is answered with
 * `Connection: close`. Whatever is open at the deadline is cut.
 */
function stopHttp(server: Server, inFlight: Set<ServerResponse>, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const closeAfter = (res: ServerResponse) => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    };
    for (const res of inFlight) closeAfter(res);
    server.prependListener('request', (_req, res) => closeAfter(res));
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Deletes expired rows: expiry does not rely on TTL indexes (src/db/indexes.ts). */
function startHousekeeping(deps: ServerDeps): NodeJS.Timeout {
  const { c } = deps.db;
  const sweep = async () => {
    const now = new Date();
    try {
      await Promise.all([
        deps.sessions.deleteExpired(),
        c.emailCodes.deleteMany({ expiresAt: { $lte: now } }),
        c.passwordResets.deleteMany({ expiresAt: { $lte: now } }),
        c.pendingLogins.deleteMany({ expiresAt: { $lte: now } }),
        c.rememberedDevices.deleteMany({ expiresAt: { $lte: now } }),
        c.rateLimits.deleteMany({ expiresAt: { $lte: now } }),
        c.sessionEvents.deleteMany({ at: { $lte: new Date(now.getTime() - 60_000) } }),
        c.claims.deleteMany({ at: { $lte: new Date(now.getTime() - 7 * 86_400_000) } }),
        // Key slots left by a creation that crashed before storing its key, or by a cut-short revocation.
        sweepKeySlots(deps),
        // Processed webhook events are kept 30 days for the admin's event log, then dropped.
        c.webhookEvents.deleteMany({ status: 'processed', processedAt: { $lte: new Date(now.getTime() - 30 * 86_400_000) } }),
      ]);
    } catch (err) {
      deps.log.warn({ err }, 'housekeeping sweep failed');
    }
  };
  const timer = setInterval(sweep, 10 * 60_000);
  timer.unref();
  return timer;
}
