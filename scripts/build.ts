// `npm run build`: the production artefacts. The web app with hashed asset names in dist/web (the
// same web build step as `npm start`, scripts/web-build.ts), and the server and reconciler bundled
// with esbuild into dist/server and dist/reconciler (npm packages stay external; `npm ci
// --omit=dev` installs them).
// `--out-dir <dir>` builds the same layout elsewhere (the production tests build into a temp
// folder, so a web build in the checkout cannot change files under their nginx).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { root } from './tools';
import { ensureWebBuild } from './web-build';

const started = Date.now();
const outArg = process.argv.includes('--out-dir') ? process.argv[process.argv.indexOf('--out-dir') + 1] : undefined;
const outRoot = outArg ? path.resolve(outArg) : path.join(root, 'dist');
await ensureWebBuild({ outDir: path.join(outRoot, 'web') });

const entries: [string, string][] = [['src/index.ts', 'server/index.js']];
if (existsSync(path.join(root, 'reconciler', 'index.ts'))) entries.push(['reconciler/index.ts', 'reconciler/index.js']);
if (existsSync(path.join(root, 'reconciler', 'cli.ts'))) entries.push(['reconciler/cli.ts', 'reconciler/cli.js']);

for (const [entry, outfile] of entries) {
  await build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(outRoot, outfile),
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
  const outDir = path.dirname(path.join(outRoot, outfile));
  mkdirSync(outDir, { recursive: true });
  copyFileSync(path.join(root, 'src/auth/common-passwords.txt'), path.join(outDir, 'common-passwords.txt'));
}
const relative = path.relative(process.cwd(), outRoot);
const shown = relative.startsWith('..') ? outRoot : relative || '.';
console.log(
  `built ${shown}/web and ${entries.map(([, o]) => `${shown}/${o}`).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
