// Starts the local stand-ins for production services on free loopback ports: FerretDB (SQLite)
// for MongoDB and Mailpit for SMTP. Used by `npm start`, the test global setup and benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ensureTool } from './tools';

export interface Service {
  url: string;
  stop(): Promise<void>;
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startFerretDB(opts: { dataDir: string; port?: number; log?: (l: string) => void }): Promise<Service> {
  const bin = await ensureTool('ferretdb', opts.log);
  const dir = path.resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  // synchronous(normal): SQLite in WAL mode then syncs at checkpoints, not on every commit. A killed
  // process loses nothing; a power cut may lose the last commits, as MongoDB's default w:1 write
  // concern may (its journal is flushed every 100 ms). Each write costs a third (decision 001).
  const sqliteUrl = `file:${dir}/?_pragma=synchronous(normal)`;
  const child = spawn(bin, [`--listen-addr=127.0.0.1:${port}`, `--sqlite-url=${sqliteUrl}`, '--log-level=error'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group: a terminal's Ctrl+C reaches only DropIn, which stops it in order.
    detached: true,
    // One Go P: SQLite takes one write at a time anyway, and locally FerretDB shares a few cores with
    // the app it serves. With the default (one P per core) the Go scheduler's spinning and handoffs
    // took CPU from the app: bench/api.ts about 33% → 35% of bare; test suite and other benches
    // unchanged. A long query now delays short ones more (decision 001).
    env: { ...process.env, GOMAXPROCS: process.env.FERRETDB_GOMAXPROCS ?? '1' },
  });
  killOnExit(child);
  await waitForPort(child, port, 'FerretDB');
  reportUnexpectedExit(child, 'FerretDB');
  return { url: `mongodb://127.0.0.1:${port}/`, stop: () => stopChild(child) };
}

export async function startMailpit(
  opts: { dataFile?: string; log?: (l: string) => void } = {},
): Promise<Service & { smtpUrl: string; apiUrl: string }> {
  const bin = await ensureTool('mailpit', opts.log);
  const [smtpPort, httpPort] = [await freePort(), await freePort()];
  const args = [
    `--smtp=127.0.0.1:${smtpPort}`,
    `--listen=127.0.0.1:${httpPort}`,
    '--smtp-auth-accept-any',
    '--smtp-auth-allow-insecure',
    '--smtp-disable-rdns',
    '--block-remote-css-and-fonts',
    '--max=5000',
    '--quiet',
  ];
  if (opts.dataFile) {
    mkdirSync(path.dirname(path.resolve(opts.dataFile)), { recursive: true });
    args.push(`--database=${path.resolve(opts.dataFile)}`);
  }
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  killOnExit(child);
  await waitForPort(child, smtpPort, 'Mailpit SMTP');
  await waitForPort(child, httpPort, 'Mailpit web');
  reportUnexpectedExit(child, 'Mailpit');
  const apiUrl = `http://127.0.0.1:${httpPort}`;
  return { url: apiUrl, apiUrl, smtpUrl: `smtp://127.0.0.1:${smtpPort}`, stop: () => stopChild(child) };
}

async function waitForPort(child: ChildProcess, port: number, name: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`${name} exited with code ${exited}:\n${stderr}`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not listen on 127.0.0.1:${port} within 20 s:\n${stderr}`);
}

/** Whether something accepts connections on 127.0.0.1:port now. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

const stopping = new WeakSet<ChildProcess>();

/** A service that dies on its own says so, with the end of what it wrote to stderr. */
function reportUnexpectedExit(child: ChildProcess, name: string): void {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  child.once('exit', (code, signal) => {
    if (stopping.has(child)) return;
    console.error(`${name} (pid ${child.pid}) exited unexpectedly (code ${code}, signal ${signal}):\n${stderr}`);
  });
}

/**
 * The services run in their own process group, out of reach of a terminal's signals: if DropIn
 * exits without stopping them (a second Ctrl+C, an error), they go with it.
 */
function killOnExit(child: ChildProcess): void {
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  child.once('exit', () => process.off('exit', kill));
}

function stopChild(child: ChildProcess): Promise<void> {
  stopping.add(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
