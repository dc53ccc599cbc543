// The one web build step: a production build of the dashboard (minified, production React, hashed
// assets) into dist/web. `npm start`, the test command and the end-to-end harness all go through
// `ensureWebBuild`, which rebuilds only when a source file the last bundle was made from changed.
// `tsx scripts/web-build.ts [--out-dir <dir>] [--force]` runs it from a shell.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PUBLIC_PAGES, publicPageFiles, SERVER_DIR } from '../src/http/web-build-files';
import { acquireLock } from './lock';
import { root } from './tools';

export const defaultWebDist = path.join(root, 'dist', 'web');

/** Beside the output folder, not inside it, so the server never serves it. */
const stampFile = (outDir: string) => `${outDir}.build.json`;

interface Stamp {
  /** Every file in the repository the bundle was made from, with its content hash. */
  inputs: Record<string, string>;
}

/** Files outside the module graph that change the output (web/public is copied as it is). */
function alwaysInputs(): string[] {
  const publicDir = path.join(root, 'web', 'public');
  const publicFiles = existsSync(publicDir)
    ? readdirSync(publicDir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    : [];
  const documents = PUBLIC_PAGES.map((page) => `web/${page}-document.html`);
  return ['vite.config.ts', 'package-lock.json', 'tsconfig.json', 'web/index.html', ...documents, ...publicFiles];
}

/** What the server reads from a build besides index.html: the public pages' bundle and templates. */
function serverFiles(outDir: string): string[] {
  const files = publicPageFiles(outDir);
  return [files.bundle, ...Object.values(files.templates)];
}

function hashFile(rel: string): string | null {
  try {
    return createHash('sha256')
      .update(readFileSync(path.join(root, rel)))
      .digest('hex')
      .slice(0, 20);
  } catch {
    return null;
  }
}

function isCurrent(outDir: string): boolean {
  const built = [path.join(outDir, 'index.html'), ...serverFiles(outDir), stampFile(outDir)];
  if (!built.every((file) => existsSync(file))) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile(outDir), 'utf8')) as Stamp;
    // A file added to web/public since the build is not in the stamp yet.
    if (alwaysInputs().some((rel) => !(rel in stamp.inputs))) return false;
    return Object.entries(stamp.inputs).every(([rel, hash]) => hashFile(rel) === hash);
  } catch {
    return false;
  }
}

/**
 * Builds the web app into `outDir` unless the build there was made from today's sources. Builds are
 * serialized across processes by a lock folder, and each goes to a fresh folder swapped in at the
 * end, so a server never sees half a build.
 */
export async function ensureWebBuild(
  opts: { outDir?: string; force?: boolean; log?: (line: string) => void } = {},
): Promise<{ built: boolean; seconds: number }> {
  const outDir = path.resolve(opts.outDir ?? defaultWebDist);
  const log = opts.log ?? console.log;
  if (!opts.force && isCurrent(outDir)) return { built: false, seconds: 0 };
  const release = await acquireLock(`${outDir}.lock`, { onWait: () => log('Waiting for another process building the web app…') });
  try {
    if (!opts.force && isCurrent(outDir)) return { built: false, seconds: 0 };
    log('Building the web app (production build; only when its sources changed)…');
    const started = Date.now();
    const tmp = `${outDir}.next-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    await runBuild(tmp);
    for (const file of [path.join(tmp, 'index.html'), ...serverFiles(tmp)]) {
      if (!existsSync(file)) throw new Error(`The web build wrote no ${path.relative(tmp, file)} into ${tmp}.`);
    }
    keepRecentAssets(outDir, tmp);
    const old = `${outDir}.old-${process.pid}`;
    if (existsSync(outDir)) renameSync(outDir, old);
    try {
      renameSync(tmp, outDir);
    } catch (err) {
      if (existsSync(old)) renameSync(old, outDir);
      throw err;
    }
    rmSync(old, { recursive: true, force: true });
    renameSync(`${tmp}.build.json`, stampFile(outDir));
    const seconds = (Date.now() - started) / 1000;
    log(`  built the web app in ${seconds.toFixed(1)} s`);
    return { built: true, seconds };
  } finally {
    release();
  }
}

/**
 * A server started before this build keeps its index.html in memory, which names the previous
 * build's hashed files: those from the last day are carried over so its pages keep loading.
 */
function keepRecentAssets(fromDir: string, toDir: string): void {
  const from = path.join(fromDir, 'assets');
  if (!existsSync(from)) return;
  const to = path.join(toDir, 'assets');
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = path.join(from, name);
    // Source maps are not published, whichever build left them there.
    if (name.endsWith('.map')) continue;
    if (existsSync(path.join(to, name)) || Date.now() - statSync(src).mtimeMs > 86_400_000) continue;
    cpSync(src, path.join(to, name), { preserveTimestamps: true });
  }
}

/** Vite in a child process with NODE_ENV=production, whatever mode the caller runs in. */
function runBuild(outDir: string): Promise<void> {
  const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, import.meta.filename, '--vite', outDir], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-8000);
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`The web build failed:\n${stderr}`))));
  });
}

/** In the child: Vite's build API, errors only, recording the module graph's files for the stamp. */
async function viteBuild(outDir: string): Promise<void> {
  const { build } = await import('vite');
  const inputs = new Set<string>(alwaysInputs());
  // Hashed before the build: a file saved while Vite runs then counts as changed next time.
  const before = new Map<string, string | null>();
  const hashNow = (rel: string) => {
    if (!before.has(rel)) before.set(rel, hashFile(rel));
    return before.get(rel) ?? null;
  };
  for (const rel of inputs) hashNow(rel);
  for (const dir of ['web', 'src']) {
    for (const e of readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
      if (e.isFile()) hashNow(path.relative(root, path.join(e.parentPath, e.name)));
    }
  }
  const recordInputs = {
    name: 'dropin-build-inputs',
    generateBundle(this: { getModuleIds(): IterableIterator<string> }) {
      for (const id of this.getModuleIds()) {
        const file = id.split('?')[0] as string;
        if (!path.isAbsolute(file) || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
        const rel = path.relative(root, file);
        if (!rel.startsWith('..')) inputs.add(rel);
      }
    },
  };
  // The browser's files: the app, and the public pages' documents with their styles and script.
  await build({
    configFile: path.join(root, 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
    plugins: [recordInputs],
  });
  // The public pages' server bundle, React's server renderer and all in one file: the build
  // folder may live anywhere (tests and benches build into temporary folders), away from
  // node_modules. Their templates go beside it, out of the public files.
  const serverDir = path.join(outDir, SERVER_DIR);
  await build({
    configFile: path.join(root, 'vite.config.ts'),
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    publicDir: false,
    ssr: { noExternal: true },
    build: {
      ssr: path.join(root, 'web', 'src', 'prerender', 'pages.tsx'),
      outDir: serverDir,
      emptyOutDir: false,
      rollupOptions: { output: { entryFileNames: path.basename(publicPageFiles(outDir).bundle) } },
    },
    plugins: [recordInputs],
  });
  for (const page of PUBLIC_PAGES) {
    renameSync(path.join(outDir, `${page}-document.html`), publicPageFiles(outDir).templates[page]);
  }
  const stamp: Stamp = { inputs: {} };
  for (const rel of [...inputs].sort()) {
    const hash = hashNow(rel);
    if (hash) stamp.inputs[rel] = hash;
  }
  writeFileSync(stampFile(outDir), `${JSON.stringify(stamp, null, 1)}\n`);
}

if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  if (args[0] === '--vite') {
    await viteBuild(args[1] as string);
  } else {
    const outArg = args.includes('--out-dir') ? args[args.indexOf('--out-dir') + 1] : undefined;
    await ensureWebBuild({ outDir: outArg, force: args.includes('--force') });
  }
}
