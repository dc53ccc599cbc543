// `npm start`: DropIn with local defaults, no keys needed (scripts/local.ts does the work).
// `npm run dev` does the same but serves the web app from Vite with hot reload.
import path from 'node:path';
import { startLocalDropIn } from './local';
import { root } from './tools';

const dev = process.argv.includes('--dev');
let stop: () => Promise<void> = async () => {};

async function main() {
  if (process.env.NODE_ENV === 'production') {
    throw new Error('npm start runs local defaults; in production run `npm run start:prod` with the production variables.');
  }
  const started = Date.now();
  console.log('Starting DropIn with local defaults…');
  const local = await startLocalDropIn({
    env: process.env,
    dataDir: path.resolve(process.env.DROPIN_DATA_DIR ?? path.join(root, '.data')),
    dev,
    log: (line) => console.log(line),
    onStop: (s) => {
      stop = s;
    },
  });
  console.log(`\nReady in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  for (const line of local.banner) console.log(line);
  console.log('\nPress Ctrl+C to stop.');
}

let stoppingSince = 0;
async function shutdown(code: number) {
  // One Ctrl+C often arrives twice (from the terminal and relayed by npm and tsx): only a second
  // press a moment later means "leave now" (the services' exit hooks then kill them).
  if (stoppingSince) {
    if (Date.now() - stoppingSince > 1_000) process.exit(code);
    return;
  }
  stoppingSince = Date.now();
  await stop();
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));

main().catch(async (err) => {
  console.error(`\nDropIn could not start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
});
