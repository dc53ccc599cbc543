// DropIn with local defaults, the one way it starts outside production: `npm start` and
// `npm run dev` (scripts/start.ts) and the end-to-end tests all call `startLocalDropIn`. It starts
// FerretDB (unless MONGODB_URI), Mailpit (unless SMTP_URL) and the Stripe emulator (unless
// STRIPE_SECRET_KEY), builds the web app when its sources changed, seeds the admin and starts the
// server. Variables that are set win; the rest get the local defaults below.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Stripe from 'stripe';
import type { StripeEmulator, StripeEmulatorOptions } from '../src/dev/stripe-emulator/index';
import type { Env } from '../src/env';
import type { RunningServer } from '../src/server';
import { freePort, startFerretDB, startMailpit } from './services';
import { ensureTools, root, type ToolName } from './tools';
import { defaultWebDist, ensureWebBuild } from './web-build';

export const DEFAULT_ADMIN_PASSWORD = 'dropin-admin-password';

export interface LocalOptions {
  /** Variables as a person sets them (usually process.env); not changed. */
  env?: Record<string, string | undefined>;
  /**
   * Where FerretDB, Mailpit and the emulator keep their data. Needed when this starts FerretDB;
   * without it Mailpit and the emulator keep everything in memory.
   */
  dataDir?: string;
  /** Serve the web app from Vite with hot reload instead of the production build. */
  dev?: boolean;
  log?: (line: string) => void;
  /**
   * Handed the stop function before anything starts, so an interrupt during start-up (a long first
   * build) still stops whatever had started by then.
   */
  onStop?: (stop: () => Promise<void>) => void;
  /** The emulator's clock and webhook retry pace (tests run them faster). */
  emulator?: Pick<StripeEmulatorOptions, 'tickIntervalMs' | 'webhookRetrySchedule'>;
}

export interface LocalDropIn {
  /** The URL people open. */
  appUrl: string;
  /** Mailpit's web inbox, when this run started Mailpit. */
  inboxUrl: string | null;
  env: Env;
  server: RunningServer;
  /** The emulator and an SDK client for it, when this run started it. */
  emulator: StripeEmulator | null;
  stripe: Stripe | null;
  /** The lines `npm start` prints once everything is up. */
  banner: string[];
  /** Stops everything this run started, newest first. */
  stop(): Promise<void>;
}

export async function startLocalDropIn(opts: LocalOptions = {}): Promise<LocalDropIn> {
  const log = opts.log ?? (() => {});
  const vars: Record<string, string | undefined> = { ...opts.env };
  vars.NODE_ENV ??= 'development';
  if (vars.NODE_ENV === 'production') {
    throw new Error('Local defaults are for development; in production run `npm run start:prod` with the production variables.');
  }
  vars.PORT ??= '3000';
  // PORT=0 means any free port: pick it here, so the printed URL and emailed links name it.
  if (vars.PORT === '0') vars.PORT = String(await freePort());
  // In dev mode people use Vite's URL, so emailed links must point there too.
  if (opts.dev) {
    vars.VITE_PORT ??= '5173';
    vars.PUBLIC_URL ??= `http://localhost:${vars.VITE_PORT}`;
  }
  // Request lines are at `info`; locally only warnings and errors show unless LOG_LEVEL says more.
  vars.LOG_LEVEL ??= 'warn';
  vars.ADMIN_EMAIL ??= 'admin@dropin.localhost';
  vars.ADMIN_PASSWORD ??= DEFAULT_ADMIN_PASSWORD;

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0)) await s().catch(() => {});
  };
  opts.onStop?.(stop);
  try {
    const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : null;
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const localDb = !vars.MONGODB_URI;
    const localMail = !vars.SMTP_URL;
    const localStripe = !vars.STRIPE_SECRET_KEY;
    const lines: string[] = [];

    // Whatever local tools are missing build at the same time, before any of them starts.
    const tools: ToolName[] = [...(localDb ? ['ferretdb' as const] : []), ...(localMail ? ['mailpit' as const] : [])];
    await ensureTools(tools, log);

    if (localDb) {
      if (!dataDir) throw new Error('A data folder is needed to start the local database.');
      const ferretDir = path.join(dataDir, 'ferretdb');
      const ferret = await startFerretDB({ dataDir: ferretDir, log });
      stops.unshift(ferret.stop);
      vars.MONGODB_URI = ferret.url;
      lines.push(`  Database  FerretDB 1.24 (SQLite) at ${ferret.url}, data in ${ferretDir}`);
    }
    let inboxUrl: string | null = null;
    if (localMail) {
      const mailpit = await startMailpit({ dataFile: dataDir ? path.join(dataDir, 'mailpit.db') : undefined, log });
      stops.unshift(mailpit.stop);
      vars.SMTP_URL = mailpit.smtpUrl;
      vars.MAILPIT_URL = mailpit.apiUrl;
      inboxUrl = mailpit.apiUrl;
    }
    let emulator: StripeEmulator | null = null;
    let stripe: Stripe | null = null;
    let stripeLine = '  Stripe    your STRIPE_SECRET_KEY';
    if (localStripe) {
      // Our plans pushed (idempotent) and this server's webhook endpoint registered, so the demo's
      // subscriptions reach us as signed events, like real Stripe's.
      const { startLocalStripe } = await import('../src/dev/local-stripe');
      const dataFile = dataDir ? path.join(dataDir, 'stripe-emulator.json') : undefined;
      const local = await startLocalStripe({
        serverPort: Number(vars.PORT),
        port: vars.STRIPE_EMULATOR_PORT ? Number(vars.STRIPE_EMULATOR_PORT) : await freePort(),
        dataFile,
        ...opts.emulator,
      });
      emulator = local.emulator;
      stripe = local.stripe;
      stops.unshift(local.emulator.stop);
      Object.assign(vars, local.env);
      if (local.pricesPushed) log(`  pushed the plan catalog to the Stripe emulator (${local.pricesPushed} prices)`);
      stripeLine = `  Stripe    emulator at ${local.emulator.url}${dataFile ? ` (state in ${dataFile})` : ''}`;
    }

    if (dataDir) {
      // For `npm run reconcile` (reconciler/local.ts): the services this run started, never real keys.
      const stateFile = path.join(dataDir, 'local-services.json');
      writeFileSync(
        stateFile,
        JSON.stringify({
          mongodbUri: localDb ? vars.MONGODB_URI : null,
          stripeApiBase: localStripe ? vars.STRIPE_API_BASE : null,
          stripeSecretKey: localStripe ? vars.STRIPE_SECRET_KEY : null,
          smtpUrl: localMail ? vars.SMTP_URL : null,
        }),
      );
      stops.unshift(async () => rmSync(stateFile, { force: true }));
    }

    if (!opts.dev) await ensureWebBuild({ log });

    const { parseEnv } = await import('../src/env');
    const { createServerDeps, startServer } = await import('../src/server');
    const { seedAdmin } = await import('../src/auth/admin-seed');
    const env = parseEnv(vars);
    const deps = await createServerDeps(env);
    await seedAdmin(deps, env.ADMIN_EMAIL as string, env.ADMIN_PASSWORD as string);
    const server = await startServer(deps, { webDist: defaultWebDist });
    stops.unshift(server.close);

    let appUrl = env.PUBLIC_URL;
    if (opts.dev) {
      const { createServer } = await import('vite');
      // vite.config.ts reads where to proxy API calls from the environment.
      process.env.DROPIN_API_URL = server.url;
      process.env.VITE_PORT = vars.VITE_PORT;
      const vite = await createServer({ configFile: path.join(root, 'vite.config.ts') });
      await vite.listen();
      stops.unshift(() => vite.close());
      appUrl = vite.resolvedUrls?.local[0] ?? appUrl;
    }

    const banner = [
      `  DropIn    ${appUrl}`,
      ...(inboxUrl ? [`  Inbox     ${inboxUrl}   (every email DropIn sends lands here)`] : []),
      `  Admin     ${env.ADMIN_EMAIL} / ${env.ADMIN_PASSWORD === DEFAULT_ADMIN_PASSWORD ? `${DEFAULT_ADMIN_PASSWORD} (default; set ADMIN_PASSWORD)` : '(ADMIN_PASSWORD)'}`,
      ...lines,
      stripeLine,
    ];
    return { appUrl, inboxUrl, env, server, emulator, stripe, banner, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
