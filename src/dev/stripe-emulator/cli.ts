// Standalone start: `tsx src/dev/stripe-emulator/cli.ts` (npm run stripe:emulator).
// STRIPE_EMULATOR_PORT (default 12111), STRIPE_EMULATOR_HOST (default 127.0.0.1), STRIPE_EMULATOR_DATA (optional JSON file),
// STRIPE_EMULATOR_WEBHOOK_RETRY_MS (comma-separated retry delays).
import { startStripeEmulator } from './index.js';

const port = Number(process.env.STRIPE_EMULATOR_PORT ?? 12111);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`STRIPE_EMULATOR_PORT must be a port number, got "${process.env.STRIPE_EMULATOR_PORT}"`);
  process.exit(1);
}

// The standalone emulator serves a long-running app (the demo), so webhook retries back off the way
// Stripe's do, only compressed: 1 s, 5 s, 30 s, 2 min, 10 min, 1 h. Override with a comma list in ms.
const retrySchedule = (process.env.STRIPE_EMULATOR_WEBHOOK_RETRY_MS ?? '1000,5000,30000,120000,600000,3600000')
  .split(',')
  .map((x) => Number(x.trim()))
  .filter((x) => Number.isFinite(x) && x >= 0);

const emulator = await startStripeEmulator({
  port,
  host: process.env.STRIPE_EMULATOR_HOST ?? '127.0.0.1',
  dataFile: process.env.STRIPE_EMULATOR_DATA || undefined,
  webhookRetrySchedule: retrySchedule,
});

console.log(`Stripe emulator listening on ${emulator.url}`);
console.log(
  `  SDK:      new Stripe('${emulator.secretKey}', { host: '${emulator.host}', port: ${emulator.port}, protocol: 'http' })`,
);
console.log(`  control:  ${emulator.url}/_emulator/state`);
if (process.env.STRIPE_EMULATOR_DATA) console.log(`  data:     ${process.env.STRIPE_EMULATOR_DATA}`);

const shutdown = (signal: string) => {
  console.log(`\n${signal}: saving and stopping the Stripe emulator`);
  emulator.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
