// `npm run build`: the production artefacts. The web app with hashed asset names in dist/web (the
// same web build step as `npm start`, scripts/web-build.ts), and the server and reconciler bundled
// with esbuild into dist/server and dist/reconciler (npm packages stay external; `npm ci
// --omit=dev` installs them; scripts/bundles.ts has the entries and options). The build fails when a
// reconciler bundle reaches HTTP, auth or web code.
// `--out-dir <dir>` builds the same layout elsewhere (the production tests build into a temp
// folder, so a web build in the checkout cannot change files under their nginx).
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { bundleOptions, bundles, serverOnlyImports } from './bundles';
import { root } from './tools';
import { ensureWebBuild } from './web-build';

const started = Date.now();
const outArg = process.argv.includes('--out-dir') ? process.argv[process.argv.indexOf('--out-dir') + 1] : undefined;
const outRoot = outArg ? path.resolve(outArg) : path.join(root, 'dist');
await ensureWebBuild({ outDir: path.join(outRoot, 'web') });

for (const bundle of bundles) {
  const { metafile } = await build(bundleOptions(bundle, outRoot));
  if (bundle.job) {
    const reached = serverOnlyImports(metafile, bundle.entry);
    if (reached.length) {
      console.error(`${bundle.entry} reaches server-only code (HTTP, auth or web), which no job bundle may carry:`);
      for (const chain of reached) console.error(`  ${chain}`);
      process.exit(1);
    }
  }
  // Files read at run time next to the module that reads them.
  if ('src/auth/password-policy.ts' in metafile.inputs) {
    const outDir = path.dirname(path.join(outRoot, bundle.outfile));
    mkdirSync(outDir, { recursive: true });
    copyFileSync(path.join(root, 'src/auth/common-passwords.txt'), path.join(outDir, 'common-passwords.txt'));
  }
}
const relative = path.relative(process.cwd(), outRoot);
const shown = relative.startsWith('..') ? outRoot : relative || '.';
console.log(
  `built ${shown}/web and ${bundles.map((b) => `${shown}/${b.outfile}`).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
