// Installs the Go programs DropIn runs locally into the project's own bin (.tools/bin), with
// `go install` from the Go module proxy. A stamp file records what was built, so a second start
// reuses it; a first run says what it is doing and shows elapsed time while Go compiles.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');
export const toolsBin = path.join(root, '.tools', 'bin');

interface Tool {
  name: string;
  /** Human name for progress lines. */
  label: string;
  /** Arguments after `go install`, and the folder to run in. */
  install: { args: string[]; cwd: string };
  stamp: string;
}

const tools: Record<'ferretdb' | 'mailpit', Tool> = {
  ferretdb: {
    name: 'ferretdb',
    label: 'FerretDB 1.24.2',
    install: { args: ['.'], cwd: path.join(root, 'scripts', 'ferretdb') },
    stamp: 'FerretDB v1.24.2 (scripts/ferretdb wrapper v1)',
  },
  mailpit: {
    name: 'mailpit',
    label: 'Mailpit 1.33.1',
    install: { args: ['github.com/axllent/mailpit@v1.33.1'], cwd: root },
    stamp: 'github.com/axllent/mailpit@v1.33.1',
  },
};

export async function ensureTool(name: keyof typeof tools, log: (line: string) => void = console.log): Promise<string> {
  const tool = tools[name];
  const bin = path.join(toolsBin, tool.name);
  const stampFile = `${bin}.stamp`;
  if (existsSync(bin) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === tool.stamp) return bin;
  mkdirSync(toolsBin, { recursive: true });
  log(`Building ${tool.label} with go install (first run only; usually 1–3 minutes)…`);
  const started = Date.now();
  const ticker = setInterval(
    () => log(`  …still building ${tool.label} (${Math.round((Date.now() - started) / 1000)} s)`),
    15_000,
  );
  try {
    await run('go', ['install', ...tool.install.args], {
      cwd: tool.install.cwd,
      env: { ...process.env, GOBIN: toolsBin, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
    });
  } finally {
    clearInterval(ticker);
  }
  writeFileSync(stampFile, tool.stamp);
  log(`  built ${tool.label} in ${Math.round((Date.now() - started) / 1000)} s`);
  return bin;
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (err) => reject(new Error(`${cmd} could not start: ${err.message} (is Go installed?)`)));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${stderr.slice(-4000)}`)),
    );
  });
}

// `tsx scripts/tools.ts` installs both (used by .ci/run to build them before the tests).
if (import.meta.url === `file://${process.argv[1]}`) {
  await ensureTool('ferretdb');
  await ensureTool('mailpit');
}
