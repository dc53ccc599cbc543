// PM2 processes for production: `npm run build`, then `pm2 start ecosystem.config.cjs` from the
// app folder (docs/deployment.md). tests/production/ starts this file under PM2 behind nginx.
//
// - dropin-web: the HTTP server in cluster mode, one instance per CPU (WEB_INSTANCES overrides).
//   The PM2 master holds port 3000 and spreads connections over the instances, so
//   `pm2 reload dropin-web` replaces them one at a time: a new instance takes traffic once it
//   sends 'ready' (wait_ready), then the old one gets SIGINT, stops accepting, finishes its
//   in-flight requests within SHUTDOWN_TIMEOUT_MS (10 s) and exits well inside kill_timeout.
// - The Stripe webhook worker runs inside every web instance. That cannot process an event twice:
//   each attempt of each inbox row is claimed by inserting a unique key into MongoDB, and only
//   one insert can win, whichever instance (or host) tries. More instances only mean more hands.
// - dropin-reconciler: one fork-mode process on RECONCILE_CRON. Its MongoDB lease keeps it to
//   one run at a time even if more were started (another host, a manual `npm run reconcile`).
//
// Secrets and per-host settings are not in this file: they are read from a root-readable file of
// KEY=value lines (DROPIN_ENV_FILE, default /etc/dropin/dropin.env) each time PM2 loads this
// file, so `pm2 reload ecosystem.config.cjs --update-env` picks up a rotated secret.
const fs = require('node:fs');
const path = require('node:path');

const envFile = process.env.DROPIN_ENV_FILE || '/etc/dropin/dropin.env';

/** KEY=value lines; blank lines and # comments skipped; values may be wrapped in quotes. */
function readEnvFile(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    // The app itself then names every missing variable and refuses to start.
    console.warn(`[dropin] cannot read ${file} (${err.code}); starting without it`);
    return {};
  }
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const m = line.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/);
    if (!m) continue;
    vars[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return vars;
}

const fromFile = readEnvFile(envFile);
// Production is the default environment, so forgetting `--env` never starts development mode.
const production = {
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  PORT: '3000',
  // nginx on the same host; the app believes X-Forwarded-For only from these addresses.
  TRUST_PROXY: '127.0.0.1',
  SHUTDOWN_TIMEOUT_MS: '10000',
  ...fromFile,
};
const staging = { ...production, LOG_LEVEL: fromFile.LOG_LEVEL || 'debug' };
const logs = path.join(__dirname, 'logs');

module.exports = {
  apps: [
    {
      name: 'dropin-web',
      script: 'dist/server/index.js',
      cwd: __dirname,
      exec_mode: 'cluster',
      instances: Number(process.env.WEB_INSTANCES || fromFile.WEB_INSTANCES) || 'max',
      env: production,
      env_production: production,
      env_staging: staging,
      // Reload: wait for 'ready' (MongoDB connected, port bound) up to listen_timeout, and give a
      // stopping instance kill_timeout before SIGKILL: more than SHUTDOWN_TIMEOUT_MS plus the
      // 3 s the server allows itself past it.
      wait_ready: true,
      listen_timeout: 20000,
      kill_timeout: 15000,
      // A leak or runaway cache restarts the instance instead of swapping the host.
      max_memory_restart: '512M',
      // A crash loop (database down at boot) backs off instead of spinning.
      exp_backoff_restart_delay: 200,
      min_uptime: 5000,
      out_file: path.join(logs, 'web.out.log'),
      error_file: path.join(logs, 'web.err.log'),
      merge_logs: true,
      // pino writes JSON lines with their own timestamps; a PM2 prefix would break them.
      time: false,
    },
    {
      name: 'dropin-reconciler',
      script: 'dist/reconciler/index.js',
      cwd: __dirname,
      exec_mode: 'fork',
      instances: 1,
      env: production,
      env_production: production,
      env_staging: staging,
      wait_ready: true,
      listen_timeout: 20000,
      // A run in progress finishes the customer in hand and stores its report before exiting.
      kill_timeout: 30000,
      max_memory_restart: '512M',
      exp_backoff_restart_delay: 200,
      out_file: path.join(logs, 'reconciler.out.log'),
      error_file: path.join(logs, 'reconciler.err.log'),
      time: false,
    },
  ],
};
