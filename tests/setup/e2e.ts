// DropIn for an end-to-end test file, started by the same code as `npm start` (scripts/local.ts):
// the same production web build, the same local defaults (development mode, seeded admin and
// library, the Stripe emulator with our catalog and webhook endpoint). Only what a test must own
// differs: its database on the run's FerretDB, the run's Mailpit, a free port, quiet logs, and an
// emulator that retries webhooks quickly.
import { inject } from 'vitest';
import { clearPriceCache } from '../../src/billing/prices';
import { emulatorControl } from '../../src/dev/stripe-emulator/index';
import { newId } from '../../src/lib/ids';
import { startLocalDropIn } from '../../scripts/local';
import { freePort } from '../../scripts/services';
import type { BillingWorld } from './billing';

export async function startE2E(overrides: Record<string, string> = {}): Promise<BillingWorld> {
  const port = await freePort();
  const local = await startLocalDropIn({
    env: {
      PORT: String(port),
      // 127.0.0.1 rather than localhost: Chromium would try ::1 first, where nothing listens.
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      MONGODB_URI: inject('mongoUri'),
      MONGODB_DB: `e2e_${newId()
        .replace(/[^A-Za-z0-9]/g, '')
        .slice(0, 16)}`,
      SMTP_URL: inject('smtpUrl'),
      MAILPIT_URL: inject('mailpitUrl'),
      ...overrides,
    },
    emulator: { tickIntervalMs: 0, webhookRetrySchedule: [50, 100, 200, 400] },
  });
  clearPriceCache();
  const { server, emulator, stripe } = local;
  if (!emulator || !stripe) throw new Error('the end-to-end tests expect the Stripe emulator');
  const close = async () => {
    await server.deps.db.db.dropDatabase().catch(() => {});
    await local.stop();
  };
  return {
    server: { ...server, env: local.env, close },
    stripe,
    control: emulatorControl(emulator.url),
    emulatorUrl: emulator.url,
    close,
  };
}
