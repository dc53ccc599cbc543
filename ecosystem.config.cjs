// PM2 processes for production (`npm run build` first, then `pm2 start ecosystem.config.cjs`).
// The web server runs in cluster mode; every instance also runs a webhook worker, which is safe
// because each inbox attempt is claimed by a unique insert. The reconciler runs once, in fork mode,
// and its MongoDB lease keeps it to one run at a time even if more are started.
const os = require('node:os');

module.exports = {
  apps: [
    {
      name: 'dropin-web',
      script: 'dist/server/index.js',
      cwd: __dirname,
      exec_mode: 'cluster',
      instances: Math.max(1, os.cpus().length),
      max_memory_restart: '512M',
      kill_timeout: 15000,
      listen_timeout: 10000,
      env_production: { NODE_ENV: 'production', PORT: '3000', HOST: '127.0.0.1', TRUST_PROXY: '127.0.0.1' },
      out_file: 'logs/web.out.log',
      error_file: 'logs/web.err.log',
      merge_logs: true,
      time: true,
    },
    {
      name: 'dropin-reconciler',
      script: 'dist/reconciler/index.js',
      cwd: __dirname,
      exec_mode: 'fork',
      instances: 1,
      max_memory_restart: '512M',
      kill_timeout: 30000,
      env_production: { NODE_ENV: 'production' },
      out_file: 'logs/reconciler.out.log',
      error_file: 'logs/reconciler.err.log',
      time: true,
    },
  ],
};
