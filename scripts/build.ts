// `npm run build`: the production artefacts. The web app with hashed asset names (Vite) in
// dist/web, and the server and reconciler bundled with esbuild into dist/server and
// dist/reconciler (npm packages stay external; `npm ci --omit=dev` installs them).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { root } from './tools';

const started = Date.now();
const vite = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (vite.status !== 0) process.exit(vite.status ?? 1);

const entries: [string, string][] = [['src/index.ts', 'dist/server/index.js']];
if (existsSync(path.join(root, 'reconciler', 'index.ts'))) entries.push(['reconciler/index.ts', 'dist/reconciler/index.js']);
if (existsSync(path.join(root, 'reconciler', 'cli.ts'))) entries.push(['reconciler/cli.ts', 'dist/reconciler/cli.js']);

for (const [entry, outfile] of entries) {
  await build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(root, outfile),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    // The Stripe emulator is a development tool: production bundles must not contain it.
    plugins: [
      {
        name: 'no-dev-code',
        setup(b) {
          b.onResolve({ filter: /stripe-emulator/ }, (args) => ({
            errors: [{ text: `production code imports the Stripe emulator (${args.path} from ${args.importer})` }],
          }));
        },
      },
    ],
  });
  // Files read at run time next to the module that reads them.
  const outDir = path.dirname(path.join(root, outfile));
  mkdirSync(outDir, { recursive: true });
  copyFileSync(path.join(root, 'src/auth/common-passwords.txt'), path.join(outDir, 'common-passwords.txt'));
}
console.log(`built dist/web and ${entries.map(([, o]) => o).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
