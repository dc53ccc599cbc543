// The Go programs DropIn runs locally (FerretDB, Mailpit, and Stripe's stripe-mock for the contract
// test), built with `go install` from the Go module proxy, FerretDB from a copy of its module with
// our patches applied (scripts/ferretdb/*.patch). Each build is kept in a per-user cache keyed by
// tool, version and build inputs, patches included
// (`$XDG_CACHE_HOME/dropin/tools`, else `~/.cache/dropin/tools`), so every clone on a machine
// reuses it, and linked into the project's own bin (`.tools/bin`). Missing tools are built at the
// same time, with one progress line that says what is being built and for how long.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireLock } from './lock';

export const root = path.resolve(import.meta.dirname, '..');
export const toolsBin = path.join(root, '.tools', 'bin');

export type ToolName = 'ferretdb' | 'mailpit' | 'stripe-mock';

interface Tool {
  /** Human name for progress lines. */
  label: string;
  /** Arguments after `go install`, and the folder to run in. */
  install: { args: string[]; cwd: string };
  /** Files whose content changes what gets built (besides the arguments). */
  inputs: string[];
  /** Files of the module's source kept beside the binary (by base name), e.g. a bundled spec. */
  files?: { module: string; paths: string[] };
  /**
   * A dependency built from a patched copy: the module (`path@version`, from the module proxy) is
   * copied, each patch applied with `git apply`, and the copy swapped in by a `replace` directive
   * in a copy of the `install.cwd` module. The patches are build inputs (cacheKey).
   */
  patch?: { module: string; patches: string[] };
}

const tools: Record<ToolName, Tool> = {
  ferretdb: {
    label: 'FerretDB 1.24.2',
    install: { args: ['.'], cwd: path.join(root, 'scripts', 'ferretdb') },
    inputs: ['go.mod', 'go.sum', 'main.go'].map((f) => path.join(root, 'scripts', 'ferretdb', f)),
    // The `_id` equality it sends SQLite spelled like its `_id` index, so SQLite uses the index
    // instead of scanning the table (docs/decisions/013); an update closes its query's rows before
    // it writes, so concurrent updates cannot take every pooled connection and wait forever
    // (docs/decisions/016).
    patch: {
      module: 'github.com/FerretDB/FerretDB@v1.24.2',
      patches: ['id-index.patch', 'update-rows.patch'].map((f) => path.join(root, 'scripts', 'ferretdb', f)),
    },
  },
  mailpit: {
    label: 'Mailpit 1.33.1',
    install: { args: ['github.com/axllent/mailpit@v1.33.1'], cwd: root },
    inputs: [],
  },
  'stripe-mock': {
    label: 'stripe-mock 0.203.0 (and its OpenAPI spec)',
    install: { args: ['github.com/stripe/stripe-mock@v0.203.0'], cwd: root },
    inputs: [],
    // The spec it serves, read by the contract test to check expand paths (stripe-mock does not).
    files: { module: 'github.com/stripe/stripe-mock@v0.203.0', paths: ['embedded/openapi/spec3.json'] },
  },
};

export function toolCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'dropin', 'tools');
}

/** `<name>-<hash of label, arguments, patched module, inputs and platform>`: a changed wrapper, patch or version builds anew. */
function cacheKey(name: ToolName): string {
  const tool = tools[name];
  const hash = createHash('sha256').update(
    `${tool.label}\n${tool.install.args.join(' ')}\n${tool.patch ? `${tool.patch.module}\n` : ''}${process.platform}-${process.arch}\n`,
  );
  for (const file of [...tool.inputs, ...(tool.patch?.patches ?? [])]) hash.update(readFileSync(file));
  return `${name}-${hash.digest('hex').slice(0, 16)}`;
}

/** The tool's binary in the project's bin, built (or taken from the per-user cache) when missing. */
export async function ensureTool(name: ToolName, log: (line: string) => void = console.log): Promise<string> {
  const [bin] = await ensureTools([name], log);
  return bin as string;
}

/** Like ensureTool for several tools; the missing ones are built concurrently. */
export async function ensureTools(names: ToolName[], log: (line: string) => void = console.log): Promise<string[]> {
  const missing = names.filter((name) => !existsSync(cachedBinary(name)));
  if (missing.length) await buildAll(missing, log);
  return names.map(linkIntoProject);
}

function cachedBinary(name: ToolName): string {
  return path.join(toolCacheDir(), cacheKey(name), name);
}

/** A file kept beside a tool's binary (its `files`), after ensureTool has run. */
export function toolFile(name: ToolName, file: string): string {
  return path.join(toolCacheDir(), cacheKey(name), file);
}

/** Hard-links (or copies, across file systems) the cached binary into `.tools/bin`. */
function linkIntoProject(name: ToolName): string {
  const cached = cachedBinary(name);
  const bin = path.join(toolsBin, name);
  // Already the cached file: rename() onto another link of the same file would do nothing at all.
  if (existsSync(bin) && sameFile(bin, cached)) return bin;
  mkdirSync(toolsBin, { recursive: true });
  const tmp = `${bin}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    linkSync(cached, tmp);
  } catch {
    copyFileSync(cached, tmp);
    chmodSync(tmp, 0o755);
    const { atime, mtime } = statSync(cached);
    utimesSync(tmp, atime, mtime);
  }
  renameSync(tmp, bin);
  rmSync(tmp, { force: true });
  return bin;
}

function sameFile(a: string, b: string): boolean {
  const [x, y] = [statSync(a), statSync(b)];
  // A hard link is the same inode; a copy (cache on another file system) has the same size and mtime.
  return (x.dev === y.dev && x.ino === y.ino) || (x.size === y.size && x.mtimeMs === y.mtimeMs);
}

async function buildAll(names: ToolName[], log: (line: string) => void): Promise<void> {
  const labels = names.map((n) => tools[n].label).join(' and ');
  log(`Building ${labels} with Go (first run on this machine only; later clones reuse ${toolCacheDir()})…`);
  const started = Date.now();
  const pending = new Set(names);
  const seconds = () => Math.round((Date.now() - started) / 1000);
  const ticker = setInterval(
    () => log(`  …building ${[...pending].map((n) => tools[n].label).join(' and ')} (${seconds()} s)`),
    15_000,
  );
  try {
    await Promise.all(
      names.map(async (name) => {
        // Another clone or test run on this machine may be building the same tool: wait for it.
        const release = await acquireLock(path.join(toolCacheDir(), `${cacheKey(name)}.lock`), {
          onWait: () => log(`  another process is building ${tools[name].label}; waiting for it`),
        });
        try {
          if (!existsSync(cachedBinary(name))) await build(name);
        } finally {
          release();
        }
        pending.delete(name);
        log(`  built ${tools[name].label} (${seconds()} s)`);
      }),
    );
  } finally {
    clearInterval(ticker);
  }
}

/** `go install` into a private folder, then one rename into the cache: nobody ever sees half a binary. */
async function build(name: ToolName): Promise<void> {
  const tool = tools[name];
  const cacheDir = toolCacheDir();
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(path.join(cacheDir, `.build-${name}-`));
  // Sources copied for a patched build; kept out of `work`, which becomes the cache entry.
  const sources = tool.patch ? mkdtempSync(path.join(cacheDir, `.src-${name}-`)) : null;
  try {
    const env = { ...process.env, GOBIN: work, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GOWORK: 'off' };
    const cwd = tool.patch && sources ? await patchedModule({ tool, patch: tool.patch, sources, env }) : tool.install.cwd;
    await run('go', ['install', ...tool.install.args], { cwd, env });
    if (tool.files) {
      const modcache = (await output('go', ['env', 'GOMODCACHE'], { cwd: tool.install.cwd, env })).trim();
      for (const file of tool.files.paths)
        copyFileSync(path.join(modcache, tool.files.module, file), path.join(work, path.basename(file)));
    }
    const target = path.join(cacheDir, cacheKey(name));
    // A build left by a process that died after its rename: keep that one.
    if (!existsSync(path.join(target, name))) renameSync(work, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (sources) rmSync(sources, { recursive: true, force: true });
  }
}

/**
 * Copies `patch.module` out of the Go module cache (downloading it through the module proxy),
 * applies the patches, and copies the tool's own module beside it with a `replace` pointing at
 * the patched copy. Returns the folder to build in.
 */
async function patchedModule(opts: {
  tool: Tool;
  patch: NonNullable<Tool['patch']>;
  sources: string;
  env: NodeJS.ProcessEnv;
}): Promise<string> {
  const { tool, patch, sources, env } = opts;
  const download = JSON.parse(await output('go', ['mod', 'download', '-json', patch.module], { cwd: tool.install.cwd, env })) as {
    Dir?: string;
    Error?: string;
  };
  if (!download.Dir) throw new Error(`go mod download ${patch.module} failed: ${download.Error ?? 'no folder'}`);
  const dep = path.join(sources, 'dependency');
  cpSync(download.Dir, dep, { recursive: true });
  makeWritable(dep); // the module cache's files are read-only
  // No repository above the copy: inside one, `git apply` would read the patch's paths from that
  // repository's root and skip the files outside the current folder without failing.
  const gitEnv = { ...env, GIT_CEILING_DIRECTORIES: sources };
  for (const file of patch.patches) {
    await run('git', ['apply', '--verbose', file], { cwd: dep, env: gitEnv });
    assertApplied(file, dep);
  }

  const own = path.join(sources, 'module');
  mkdirSync(own);
  for (const file of readdirSync(tool.install.cwd).filter((f) => /^(go\.mod|go\.sum|.*\.go)$/.test(f)))
    copyFileSync(path.join(tool.install.cwd, file), path.join(own, file));
  const modulePath = patch.module.split('@')[0] as string;
  await run('go', ['mod', 'edit', `-replace=${modulePath}=${dep}`], { cwd: own, env });
  return own;
}

/**
 * Fails unless every line the patch adds is in the file it names: `git apply` can skip a file and
 * still succeed, and a build from an unpatched copy would be cached as the patched one.
 */
function assertApplied(patchFile: string, dir: string): void {
  let target: string | null = null;
  for (const line of readFileSync(patchFile, 'utf8').split('\n')) {
    if (line.startsWith('+++ ')) target = line.slice(4).replace(/^b\//, '');
    else if (target && line.startsWith('+') && line.slice(1).trim()) {
      if (!readFileSync(path.join(dir, target), 'utf8').includes(line.slice(1)))
        throw new Error(`${path.basename(patchFile)} did not apply to ${target}: "${line.slice(1).trim()}" is missing.`);
    }
  }
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(file);
    else chmodSync(file, 0o644);
  }
}

function output(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${out.slice(-4000)}`)),
    );
  });
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-8000);
    });
    child.on('error', (err) =>
      reject(new Error(`${cmd} could not start: ${err.message} (is ${cmd === 'go' ? 'Go' : cmd} installed?)`)),
    );
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${stderr.slice(-4000)}`)),
    );
  });
}

// `tsx scripts/tools.ts` builds (or links) every tool; the test command runs it before the tests.
if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) {
  await ensureTools(['ferretdb', 'mailpit', 'stripe-mock']);
}
