// Runs the repository's real nginx.conf on loopback: the production file with its ports and
// paths swapped for a test's own (each swap must match exactly as often as expected, so the
// file and this table cannot drift apart silently), a self-signed certificate, and nginx in the
// foreground with its pid, logs and temp files in the test's folder.
// Started as root, nginx's workers run as the file's `user` (www-data), as in production: every
// file they serve lives in the test's folder (deploy/nginx is copied there), never in the checkout,
// whose parent folders they may not be allowed to enter.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { canConnect } from '../../scripts/services';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export function nginxBinary(): string | null {
  for (const bin of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (existsSync(bin)) return bin;
  return null;
}

/** Debian's brotli filter module, when installed, is loaded through modules-enabled. */
export function brotliInstalled(): boolean {
  return existsSync('/etc/nginx/modules-enabled/50-mod-http-brotli-filter.conf');
}

export interface NginxSite {
  dir: string;
  httpPort: number;
  httpsPort: number;
  upstreamPort: number;
  webRoot: string;
  cert: string;
  key: string;
}

/** The production file with the test's ports and paths. */
export function renderNginxConf(source: string, site: NginxSite, opts: { brotli: boolean }): string {
  const d = site.dir;
  const swaps: [from: string, to: string, times: number][] = [
    ['pid /run/nginx.pid;', `pid ${d}/nginx.pid;`, 1],
    ['error_log /var/log/nginx/error.log warn;', `error_log ${d}/error.log warn;`, 1],
    ['access_log /var/log/nginx/dropin.access.log;', `access_log ${d}/access.log;`, 1],
    ['include /etc/nginx/dropin.d/*.conf;', `include ${d}/dropin.d/*.conf;`, 1],
    ['server 127.0.0.1:3000;', `server 127.0.0.1:${site.upstreamPort};`, 1],
    ['listen 80;', `listen 127.0.0.1:${site.httpPort};`, 1],
    ['listen 443 ssl http2;', `listen 127.0.0.1:${site.httpsPort} ssl http2;`, 1],
    // The public port is part of the redirect target here; in production it is the default 443.
    ['return 301 https://$host$request_uri;', `return 301 https://$host:${site.httpsPort}$request_uri;`, 1],
    ['/etc/letsencrypt/live/dropin.example.com/fullchain.pem', site.cert, 1],
    ['/etc/letsencrypt/live/dropin.example.com/privkey.pem', site.key, 1],
    ['/etc/letsencrypt/live/dropin.example.com/chain.pem', site.cert, 1],
    ['root /srv/dropin/dist/web;', `root ${site.webRoot};`, 1],
    ['root /srv/dropin/deploy/nginx;', `root ${d}/deploy-nginx;`, 1],
    // Production keeps Debian's compiled-in temp folders (/var/lib/nginx); a test keeps its own.
    [
      'http {',
      `http {\n  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${d}/tmp/${t};`).join('\n  ')}`,
      1,
    ],
  ];
  let text = source;
  for (const [from, to, times] of swaps) {
    const parts = text.split(from);
    if (parts.length - 1 !== times) {
      throw new Error(
        `nginx.conf: expected "${from}" ${times} time(s), found ${parts.length - 1}; update tests/production/nginx.ts`,
      );
    }
    text = parts.join(to);
  }
  mkdirSync(path.join(d, 'dropin.d'), { recursive: true });
  mkdirSync(path.join(d, 'tmp'), { recursive: true });
  // The error page and brotli.conf, readable by the workers whatever the checkout's modes.
  const pages = path.join(d, 'deploy-nginx');
  mkdirSync(pages, { recursive: true });
  chmodSync(pages, 0o755);
  for (const file of readdirSync(path.join(repoRoot, 'deploy/nginx'))) {
    copyFileSync(path.join(repoRoot, 'deploy/nginx', file), path.join(pages, file));
    chmodSync(path.join(pages, file), 0o644);
  }
  if (opts.brotli) copyFileSync(path.join(pages, 'brotli.conf'), path.join(d, 'dropin.d/brotli.conf'));
  return text;
}

/** A self-signed certificate for 127.0.0.1 and localhost (P-256). */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'pipe' },
  );
  return { cert, key };
}

export interface RunningNginx {
  conf: string;
  /** `nginx -t` output (warnings included). */
  testOutput: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** Throws, naming the folder, when a folder on the way to `dir` is closed to other users. */
function assertOthersCanEnter(dir: string) {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new Error(
        `nginx's workers (www-data) cannot enter ${d} (mode ${(statSync(d).mode & 0o777).toString(8)}) on the way to ${dir}: ` +
          'run the production tests with TMPDIR set to a folder other users can enter',
      );
    }
    if (d === path.dirname(d)) return;
  }
}

/** Writes the config, checks it with `nginx -t`, and runs nginx in the foreground. */
export async function startNginx(bin: string, site: NginxSite, opts: { brotli: boolean }): Promise<RunningNginx> {
  // nginx's workers run as www-data when the master is root: they must be able to read the site.
  chmodSync(site.dir, 0o755);
  if (process.getuid?.() === 0) assertOthersCanEnter(site.dir);
  const conf = path.join(site.dir, 'nginx.conf');
  writeFileSync(conf, renderNginxConf(readFileSync(path.join(repoRoot, 'nginx.conf'), 'utf8'), site, opts));
  // No -p: Debian's modules-enabled files load modules relative to the default prefix.
  const args = ['-c', conf, '-e', path.join(site.dir, 'error.log')];
  const check = spawnSync(bin, [...args, '-t'], { encoding: 'utf8' });
  const testOutput = `${check.stdout}${check.stderr}`;
  if (check.status !== 0) throw new Error(`nginx -t failed:\n${testOutput}`);
  const child: ChildProcess = spawn(bin, [...args, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(site.httpsPort))) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}):\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`nginx did not listen within 30 s:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    conf,
    testOutput,
    errorLog: () => readFileSync(path.join(site.dir, 'error.log'), 'utf8'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGQUIT'); // graceful: finish open requests
      }),
  };
}
