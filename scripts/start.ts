// `npm start`: DropIn with local defaults, no keys needed. Starts FerretDB (unless MONGODB_URI),
// Mailpit (unless SMTP_URL) and the Stripe emulator (unless STRIPE_SECRET_KEY), builds the web app
// when its sources changed, seeds the admin, and prints where everything is.
// `npm run dev` does the same but serves the web app from Vite with hot reload.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureTools, root, type ToolName } from './tools';
import { freePort, startFerretDB, startMailpit, type Service } from './services';

const dev = process.argv.includes('--dev');
const dataDir = path.resolve(process.env.DROPIN_DATA_DIR ?? path.join(root, '.data'));
const say = (line: string) => console.log(line);
const stops: (() => Promise<void>)[] = [];

async function main() {
  if (process.env.NODE_ENV === 'production') {
    throw new Error('npm start runs local defaults; in production run `npm run start:prod` with the production variables.');
  }
  mkdirSync(dataDir, { recursive: true });
  say('Starting DropIn with local defaults…');
  const env = process.env;
  env.NODE_ENV ??= 'development';
  env.PORT ??= '3000';
  // PORT=0 means any free port: pick it here, so the printed URL and emailed links name it.
  if (env.PORT === '0') env.PORT = String(await freePort());
  // In dev mode people use Vite's URL, so emailed links must point there too.
  if (dev) {
    env.VITE_PORT ??= '5173';
    env.PUBLIC_URL ??= `http://localhost:${env.VITE_PORT}`;
  }
  env.ADMIN_EMAIL ??= 'admin@dropin.localhost';
  env.ADMIN_PASSWORD ??= 'dropin-admin-password';

  let inboxUrl: string | null = null;
  const localDb = !env.MONGODB_URI;
  // Build whatever local tools are missing at the same time, before starting any of them.
  const needed: ToolName[] = [...(localDb ? ['ferretdb' as const] : []), ...(env.SMTP_URL ? [] : ['mailpit' as const])];
  await ensureTools(needed, say);
  if (!env.MONGODB_URI) {
    const ferret: Service = await startFerretDB({ dataDir: path.join(dataDir, 'ferretdb'), log: say });
    stops.push(ferret.stop);
    env.MONGODB_URI = ferret.url;
    say(`  database  FerretDB 1.24 (SQLite) at ${ferret.url}, data in ${path.relative(root, dataDir)}/ferretdb`);
  }
  if (!env.SMTP_URL) {
    const mailpit = await startMailpit({ dataFile: path.join(dataDir, 'mailpit.db'), log: say });
    stops.push(mailpit.stop);
    env.SMTP_URL = mailpit.smtpUrl;
    env.MAILPIT_URL = mailpit.apiUrl;
    inboxUrl = mailpit.apiUrl;
  }
  let stripeNote = 'Stripe: your STRIPE_SECRET_KEY';
  if (!env.STRIPE_SECRET_KEY) {
    // Our plans pushed (idempotent) and this server's webhook endpoint registered, so the demo's
    // subscriptions reach us as signed events, like real Stripe's.
    const { startLocalStripe } = await import('../src/dev/local-stripe');
    const port = env.STRIPE_EMULATOR_PORT ? Number(env.STRIPE_EMULATOR_PORT) : await freePort();
    const {
      emulator,
      env: stripeEnv,
      pricesPushed,
    } = await startLocalStripe({
      serverPort: Number(env.PORT),
      port,
      dataFile: path.join(dataDir, 'stripe-emulator.json'),
    });
    stops.push(emulator.stop);
    Object.assign(env, stripeEnv);
    if (pricesPushed) say(`  pushed the plan catalog to the Stripe emulator (${pricesPushed} prices)`);
    stripeNote = `Stripe emulator at ${emulator.url} (state in ${path.relative(root, dataDir)}/stripe-emulator.json)`;
  }

  // For `npm run reconcile` (reconciler/local.ts): the services this run started, never real keys.
  const stateFile = path.join(dataDir, 'local-services.json');
  writeFileSync(
    stateFile,
    JSON.stringify({
      mongodbUri: localDb ? env.MONGODB_URI : null,
      stripeApiBase: env.STRIPE_API_BASE ?? null,
      stripeSecretKey: env.STRIPE_API_BASE ? env.STRIPE_SECRET_KEY : null,
      smtpUrl: inboxUrl ? env.SMTP_URL : null,
    }),
  );
  stops.unshift(async () => rmSync(stateFile, { force: true }));

  if (!dev) buildWebIfStale();

  const { parseEnv } = await import('../src/env');
  const { createDeps, startServer } = await import('../src/server');
  const { seedAdmin } = await import('../src/auth/admin-seed');
  const parsed = parseEnv();
  const deps = await createDeps(parsed);
  await seedAdmin(deps, parsed.ADMIN_EMAIL as string, parsed.ADMIN_PASSWORD as string);
  const server = await startServer(deps);
  stops.unshift(server.close);

  let appUrl = parsed.PUBLIC_URL;
  if (dev) {
    const { createServer } = await import('vite');
    process.env.DROPIN_API_URL = server.url;
    const vite = await createServer({ configFile: path.join(root, 'vite.config.ts') });
    await vite.listen();
    stops.unshift(() => vite.close());
    appUrl = vite.resolvedUrls?.local[0] ?? appUrl;
  }

  say('');
  say(`  DropIn    ${appUrl}`);
  if (inboxUrl) say(`  Inbox     ${inboxUrl}   (every email DropIn sends lands here)`);
  say(`  ${stripeNote}`);
  say(
    `  Admin     ${parsed.ADMIN_EMAIL} / ${env.ADMIN_PASSWORD === 'dropin-admin-password' ? 'dropin-admin-password (default; set ADMIN_PASSWORD)' : '(ADMIN_PASSWORD)'}`,
  );
  say('');
  say('Press Ctrl+C to stop.');
}

/** Rebuilds dist/web when any file under web/ is newer than the last build. */
function buildWebIfStale() {
  const index = path.join(root, 'dist', 'web', 'index.html');
  const builtAt = existsSync(index) ? statSync(index).mtimeMs : 0;
  const newest = Math.max(newestMtime(path.join(root, 'web')), statSync(path.join(root, 'vite.config.ts')).mtimeMs);
  if (builtAt >= newest) return;
  say('Building the web app with Vite (only when web/ changed)…');
  const started = Date.now();
  const res = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (res.status !== 0) throw new Error('The web build failed (see above).');
  say(`  built the web app in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

async function shutdown(code: number) {
  for (const stop of stops) await stop().catch(() => {});
  process.exit(code);
}

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

main().catch(async (err) => {
  console.error(`\nDropIn could not start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
});
