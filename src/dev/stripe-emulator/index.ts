// A faithful, stateful local Stripe for development and tests (never loaded in production).
// Start it in-process on a free port, point the real `stripe` SDK at it with host/port/protocol,
// and drive the hosted pages and the `/_emulator` control API. See docs/stripe-emulator.md.
import type { AddressInfo } from 'node:net';
import { Emulator } from './emulator.js';
import { runRealTime } from './realtime.js';
import { controlHandler } from './controlApi.js';
import { HttpFrontDoor } from './http.js';
import { randomToken } from './ids.js';
import { pages } from './pages/index.js';
import { Persistence } from './persistence.js';
import { buildApiRouter } from './resources/index.js';
import { WebhookDispatcher } from './webhooks.js';

export { emulatorControl } from './control.js';
export type { EmulatorControl } from './control.js';
export { signPayload } from './webhooks.js';

export interface StripeEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Persist state to this JSON file (debounced, atomic) and reload it at start. Memory only when omitted. */
  dataFile?: string;
  /** Delays in ms between webhook delivery retries after a non-2xx answer. */
  webhookRetrySchedule?: number[];
  /** Webhook first attempts in flight at once per endpoint (default 1: strictly in order). */
  webhookConcurrency?: number;
  /** How often real (non-test-clock) time is billed, in ms. 0 disables the timer. */
  tickIntervalMs?: number;
}

export interface StripeEmulator {
  url: string;
  port: number;
  host: string;
  secretKey: string;
  stop(): Promise<void>;
}

/** A fast schedule that still shows the backoff: 0.2 s, 0.5 s, 1 s, 2 s, 5 s. */
export const DEFAULT_RETRY_SCHEDULE = [200, 500, 1000, 2000, 5000];

export async function startStripeEmulator(opts: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const dispatcher = new WebhookDispatcher(
    opts.webhookRetrySchedule ?? DEFAULT_RETRY_SCHEDULE,
    (eventId, ok) => emu.settleDelivery(eventId, ok),
    opts.webhookConcurrency,
  );
  const emu = new Emulator(dispatcher);

  const persistence = opts.dataFile ? new Persistence(opts.dataFile, emu) : null;
  if (persistence) {
    persistence.load();
    emu.onChange = () => persistence.schedule();
  }

  const front = new HttpFrontDoor(
    emu,
    buildApiRouter(),
    pages,
    controlHandler({
      clearIdempotency: () => front.clearIdempotency(),
      setWebhookRetrySchedule: (s) => dispatcher.setRetrySchedule(s),
    }),
  );
  const server = front.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  emu.baseUrl = `http://${urlHost}:${port}`;

  const interval = opts.tickIntervalMs ?? 1000;
  const ticker =
    interval > 0
      ? setInterval(() => {
          try {
            if (runRealTime(emu) > 0) emu.onChange();
          } catch (err) {
            console.error('[stripe-emulator] billing tick failed', err);
          }
        }, interval)
      : null;
  ticker?.unref();

  return {
    url: emu.baseUrl,
    port,
    host,
    secretKey: `sk_test_emulator${randomToken(24)}`,
    async stop() {
      if (ticker) clearInterval(ticker);
      dispatcher.stop();
      persistence?.saveNow();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
