// Production, for real, on loopback: `npm run build` into a temp folder, the app started by PM2
// from ecosystem.config.cjs (two cluster instances and the reconciler, NODE_ENV=production), and
// the repository's nginx.conf in front with a self-signed certificate. Then, through HTTPS: TLS and
// HTTP/2, the redirect and security headers, a person signing up, logging in and loading the
// dashboard in Chromium (assets cached for a year, the HTML not), a signed Stripe webhook, the
// body and rate limits, a `pm2 reload` under load with no failed request, a killed worker
// replaced, and the error page while the app is down.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import type { Browser } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/services';
import { migrations } from '../../src/db/migrations/index';
import { launchBrowser, signUpAndVerify } from '../setup/browser';
import { brotliInstalled, nginxBinary, repoRoot, type RunningNginx, selfSignedCert, startNginx } from './nginx';
import { type Pm2, pm2 } from './pm2';

const runFile = promisify(execFile);

let dir: string;
let appDir: string;
let base: string;
let httpPort: number;
let cert: { cert: string; key: string };
let nginx: RunningNginx | undefined;
let pm: Pm2 | undefined;
let mongo: MongoClient;
let dbName: string;
const webhookSecret = `whsec_${crypto.randomUUID().replaceAll('-', '')}`;
const brotli = brotliInstalled();

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let agent: https.Agent;
/** HTTPS through nginx, verifying its certificate against the test's own. */
function request(
  pathname: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    agent?: https.Agent;
    timeoutMs?: number;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${base}${pathname}`,
      { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? agent, timeout: opts.timeoutMs ?? 20_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 20_000} ms`)));
    req.end(opts.body);
  });
}

/** Sequential GETs from `concurrency` clients until `until` resolves; every answer must be a 200. */
async function loadLoop(until: Promise<unknown>, concurrency = 4) {
  const loopAgent = new https.Agent({ ca: agent.options.ca, keepAlive: true, maxSockets: concurrency });
  const paths = ['/healthz', '/login', '/readyz'];
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const failures: string[] = [];
  let total = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      for (let i = client; !done; i++) {
        const p = paths[i % paths.length] as string;
        total++;
        const started = Date.now();
        try {
          // Generous: the point is that every request is answered, not how fast on a busy machine.
          const res = await request(p, { agent: loopAgent, timeoutMs: 30_000 });
          if (res.status !== 200) failures.push(`${new Date(started).toISOString()} ${p} → ${res.status}`);
        } catch (err) {
          failures.push(`${new Date(started).toISOString()} ${p} → ${(err as Error).message}`);
        }
      }
    }),
  );
  loopAgent.destroy();
  return { total, failures };
}

beforeAll(async () => {
  const nginxBin = nginxBinary();
  if (!nginxBin) throw new Error("nginx is not installed: `npm test` installs Debian's nginx as root (apt-get install nginx)");
  dir = mkdtempSync(path.join(os.tmpdir(), 'dropin-prod-'));
  appDir = path.join(dir, 'app');
  mkdirSync(appDir);

  // The production layout: package.json, node_modules, dist/ and the ecosystem file side by side.
  const built = runFile(
    process.execPath,
    [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'scripts/build.ts', '--out-dir', path.join(appDir, 'dist')],
    {
      cwd: repoRoot,
    },
  );
  writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'dropin', private: true, type: 'module' }));
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(appDir, 'node_modules'));
  copyFileSync(path.join(repoRoot, 'ecosystem.config.cjs'), path.join(appDir, 'ecosystem.config.cjs'));
  cert = selfSignedCert(dir);
  agent = new https.Agent({ ca: readFileSync(cert.cert), keepAlive: true });

  const [httpsPort, appPort] = [await freePort(), await freePort()];
  httpPort = await freePort();
  base = `https://127.0.0.1:${httpsPort}`;
  dbName = `prod_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const envFile = path.join(dir, 'dropin.env');
  writeFileSync(
    envFile,
    [
      '# Written by tests/production/pm2-nginx.test.ts',
      `PORT=${appPort}`,
      `PUBLIC_URL=${base}`,
      `MONGODB_URI=${inject('mongoUri')}`,
      `MONGODB_DB=${dbName}`,
      `SMTP_URL=${inject('smtpUrl')}`,
      'MAIL_FROM="DropIn <no-reply@dropin.test>"',
      // Production mode cannot point the SDK at the emulator: the key only has to look real.
      // Nothing in this test calls Stripe; the webhook secret is what matters here.
      'STRIPE_SECRET_KEY=sk_test_production_test_key',
      `STRIPE_WEBHOOK_SECRET=${webhookSecret}`,
      `DOWNLOAD_SIGNING_SECRET=${crypto.randomUUID()}${crypto.randomUUID()}`,
      'LOG_LEVEL=info',
    ].join('\n'),
  );
  mongo = await MongoClient.connect(inject('mongoUri'));

  await built;
  expect(readdirSync(path.join(appDir, 'dist/web/assets')).some((f) => /^index-[\w-]{8}\.js$/.test(f))).toBe(true);

  pm = pm2({ home: dir, cwd: appDir, env: { DROPIN_ENV_FILE: envFile, WEB_INSTANCES: '2' } });
  await pm.cli('start', 'ecosystem.config.cjs', '--env', 'production');
  await pm.waitOnline('dropin-web', 2);
  await pm.waitOnline('dropin-reconciler', 1);
  nginx = await startNginx(
    nginxBin,
    { dir, httpPort, httpsPort, upstreamPort: appPort, webRoot: path.join(appDir, 'dist/web'), ...cert },
    { brotli },
  );
}, 180_000);

afterAll(async () => {
  await pm?.kill();
  await nginx?.stop();
  await mongo
    ?.db(dbName)
    .dropDatabase()
    .catch(() => {});
  await mongo?.close();
  agent?.destroy();
  if (dir && !process.env.KEEP_PROD_DIR) rmSync(dir, { recursive: true, force: true });
});

describe('production: PM2 and nginx', () => {
  it('nginx -t accepts the real nginx.conf; PM2 runs two web instances in cluster mode and the reconciler in fork mode', async () => {
    expect(nginx?.testOutput).toContain('syntax is ok');
    expect(nginx?.testOutput).toContain('test is successful');
    const list = await pm?.list();
    const web = list?.filter((p) => p.name === 'dropin-web') ?? [];
    expect(web.map((p) => p.pm2_env.exec_mode)).toEqual(['cluster_mode', 'cluster_mode']);
    const reconciler = list?.find((p) => p.name === 'dropin-reconciler');
    expect(reconciler?.pm2_env.exec_mode).toBe('fork_mode');
    expect(reconciler?.pm2_env.NODE_ENV).toBe('production');
  });

  it('the three processes, started together on a fresh database, applied each migration once and recorded it', async () => {
    const ledger = await mongo
      .db(dbName)
      .collection<{ _id: string; appliedAt: Date; durationMs: number }>('migrations')
      .find({})
      .toArray();
    expect(ledger.map((m) => m._id).sort()).toEqual(migrations.map((m) => m.id));
    for (const m of ledger) expect(typeof m.durationMs).toBe('number');
    // The lease is given back.
    expect(
      await mongo
        .db(dbName)
        .collection<{ _id: string }>('claims')
        .countDocuments({ _id: { $regex: '^migrations:' } }),
    ).toBe(0);
  });

  it('serves the REST API spec and its docs page, with its assets, from the bundled build', async () => {
    const spec = await request('/api/v1/openapi.json');
    expect(spec.status).toBe(200);
    expect(JSON.parse(spec.body)).toMatchObject({ openapi: '3.1.0', servers: [{ url: `${base}/api/v1` }] });
    const docs = await request('/api/docs');
    expect(docs.status).toBe(200);
    const assets = [...docs.body.matchAll(/(?:src|href)="(\/api\/docs\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) expect((await request(asset)).status, asset).toBe(200);
  });

  it('serves TLS 1.2 and 1.3 only, offers HTTP/2, and redirects HTTP to HTTPS', async () => {
    const port = Number(new URL(base).port);
    const handshake = (o: tls.ConnectionOptions) =>
      new Promise<{ ok: boolean; protocol?: string | null; alpn?: string | false | null; error?: string }>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca: agent.options.ca, ...o }, () => {
          resolve({ ok: true, protocol: s.getProtocol(), alpn: s.alpnProtocol });
          s.end();
        });
        s.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: err.code }));
      });
    expect(await handshake({ ALPNProtocols: ['h2', 'http/1.1'] })).toMatchObject({ ok: true, protocol: 'TLSv1.3', alpn: 'h2' });
    expect(await handshake({ maxVersion: 'TLSv1.2' })).toMatchObject({ ok: true, protocol: 'TLSv1.2' });
    // Refused by nginx (its alerts), not by our client: TLS 1.1, and TLS 1.2 without forward secrecy or AEAD.
    const old = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' } as const;
    expect(await handshake(old)).toMatchObject({ ok: false, error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    for (const ciphers of ['AES128-SHA', 'AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-SHA']) {
      expect(await handshake({ maxVersion: 'TLSv1.2', ciphers }), ciphers).toMatchObject({
        ok: false,
        error: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
      });
    }

    const redirect = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(`http://127.0.0.1:${httpPort}/app/billing?x=1`, resolve).on('error', reject),
    );
    redirect.resume();
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe(`${base}/app/billing?x=1`);
  });

  it('sends HSTS once and the app’s security headers through the proxy', async () => {
    const res = await request('/login');
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['referrer-policy']).toBeTruthy();
    expect(res.headers.server).toBe('nginx'); // no version
  });

  it('the bundled server renders the home and pricing pages for a visitor, with the same headers; its server files stay private', async () => {
    const home = await request('/');
    expect(home.status).toBe(200);
    expect(home.body).toContain('Everything you need to build, in one subscription.');
    expect(home.headers['content-security-policy']).toContain("script-src 'self';");
    const res = await request('/pricing');
    expect(res.status).toBe(200);
    expect(res.body).toContain('data-interval-option="year"');
    expect(res.body).toMatch(/>Start free trial<\/a>/);
    expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    expect(res.headers['content-security-policy']).toContain("script-src 'self';");
    expect(res.headers['cache-control']).toBe('no-cache');
    for (const p of ['/server/pages.mjs', '/server/pricing.html', '/server/home.html'])
      expect((await request(p)).status, p).toBe(404);
  });

  let browser: Browser;
  it('a person signs up, verifies, logs out, logs in and loads the dashboard; assets are cached, the HTML is not', {
    timeout: 90_000,
  }, async () => {
    browser = await launchBrowser();
    // A spoofed X-Forwarded-For on every request: the app must still see the real client.
    const context = await browser.newContext({
      baseURL: base,
      ignoreHTTPSErrors: true,
      extraHTTPHeaders: { 'X-Forwarded-For': '6.6.6.6' },
    });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const cacheOf = new Map<string, string>();
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/assets/') || r.request().resourceType() === 'document')
        cacheOf.set(u.pathname, r.headers()['cache-control'] ?? '');
    });

    const email = `prod-${Date.now()}@example.test`;
    const password = 'correct horse battery staple';
    await page.goto('/signup');
    await signUpAndVerify(page, { name: 'Pat Production', email, password });

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/app'));
    await page.goto('/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/app'));
    await page.getByRole('heading', { level: 1 }).first().waitFor();

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === '__Host-dropin_session');
    expect(session, 'production session cookie').toMatchObject({ secure: true, httpOnly: true, path: '/' });

    const assets = [...cacheOf].filter(([p]) => p.startsWith('/assets/'));
    expect(assets.length).toBeGreaterThan(1);
    for (const [p, cc] of assets) expect(cc, p).toBe('public, max-age=31536000, immutable');
    for (const [p, cc] of cacheOf) if (!p.startsWith('/assets/')) expect(cc, p).toBe('no-cache');
    expect((await request('/index.html')).headers['cache-control']).toBe('no-cache');

    const db = mongo.db(dbName);
    const user = await db.collection<{ _id: string; email: string }>('users').findOne({ email });
    const sessions = await db.collection('sessions').find({ userId: user?._id }).toArray();
    expect(sessions.length).toBeGreaterThan(0);
    for (const s of sessions) expect(s.ip, 'the client address nginx saw, not the spoofed header').toBe('127.0.0.1');
    await context.close();
    await browser.close();
  });

  it('compresses text with gzip (and brotli when the module is installed)', async () => {
    const js = readdirSync(path.join(appDir, 'dist/web/assets')).find((f) => /^index-.*\.js$/.test(f));
    const gz = await request(`/assets/${js}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toContain('Accept-Encoding');
    const br = await request(`/assets/${js}`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(br.headers['content-encoding']).toBe(brotli ? 'br' : 'gzip');
    const page = await request('/login', { headers: { 'accept-encoding': 'gzip' } });
    expect(page.headers['content-encoding']).toBe('gzip');
    expect((await request('/assets/index-missing.js')).status).toBe(404);
  });

  it('publishes no source maps: the build makes none, and nginx refuses one left in the folder', async () => {
    const assets = path.join(appDir, 'dist/web/assets');
    const files = readdirSync(assets);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    const js = files.find((f) => /^index-.*\.js$/.test(f)) as string;
    expect(readFileSync(path.join(assets, js), 'utf8')).not.toContain('sourceMappingURL');
    writeFileSync(path.join(assets, `${js}.map`), '{"version":3,"sources":["secret.ts"],"mappings":""}');
    try {
      const res = await request(`/assets/${js}.map`);
      expect(res.status).toBe(404);
      expect(res.body).not.toContain('secret.ts');
    } finally {
      rmSync(path.join(assets, `${js}.map`));
    }
  });

  it('passes a Stripe-signed webhook through untouched; bad signatures, GETs and huge bodies are refused', {
    timeout: 120_000,
  }, async () => {
    const stripe = new Stripe('sk_test_signing_only');
    const id = `evt_prod_${Date.now()}`;
    // Spacing and key order as Stripe sends them: the signature covers these exact bytes.
    const payload = JSON.stringify(
      {
        id,
        object: 'event',
        type: 'price.updated',
        api_version: '2026-10-28.endive',
        created: Math.floor(Date.now() / 1000),
        data: { object: { id: 'price_x', object: 'price' } },
      },
      null,
      2,
    );
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
    const ok = await request('/webhooks/stripe', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body: payload,
    });
    expect(ok.status, ok.body).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ received: true, duplicate: false });
    const again = await request('/webhooks/stripe', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body: payload,
    });
    expect(JSON.parse(again.body)).toEqual({ received: true, duplicate: true });

    const forged = stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_not_ours' });
    expect(
      (await request('/webhooks/stripe', { method: 'POST', headers: { 'stripe-signature': forged }, body: payload })).status,
    ).toBe(400);
    expect((await request('/webhooks/stripe')).status).toBe(403);
    const huge = Buffer.alloc(600 * 1024, 'a');
    expect(
      (await request('/webhooks/stripe', { method: 'POST', headers: { 'stripe-signature': header }, body: huge })).status,
    ).toBe(413);
    expect(
      (
        await request('/trpc/auth.login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: Buffer.alloc(2 * 1024 * 1024, 'a'),
        })
      ).status,
    ).toBe(413);
    // Admin file uploads get through nginx to the app, whose own limit is 20 MB: anonymous, the
    // app answers 401 in JSON rather than nginx refusing the size.
    const upload = await request('/api/admin/content/some-item/file?name=guide.pdf', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(2 * 1024 * 1024, 'a'),
    });
    expect(upload.status, upload.body).toBe(401);
    expect(upload.headers['content-type']).toMatch(/json/);
    // Tool inputs up to 2 MB (a customers CSV) reach the app too, over REST and tRPC: anonymous,
    // each gets the app's JSON 401, not nginx's 413 at its 1 MB default.
    for (const toolPath of ['/api/v1/tools/cohort-retention-analyzer/run', '/trpc/content.runTool']) {
      const run = await request(toolPath, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ csv: 'a'.repeat(1_500_000) }),
      });
      expect(run.status, `${toolPath}: ${run.body.slice(0, 200)}`).toBe(401);
      expect(run.headers['content-type']).toMatch(/json/);
    }

    // One of the two instances' workers processes it (no Stripe call needed: no customer).
    const inbox = mongo.db(dbName).collection<{ _id: string; status: string }>('webhook_events');
    const deadline = Date.now() + 60_000;
    let row = await inbox.findOne({ _id: id });
    while (row?.status !== 'processed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      row = await inbox.findOne({ _id: id });
    }
    expect(row?.status).toBe('processed');
  });

  it('rate-limits the auth endpoints at nginx', async () => {
    // 10 a second with bursts of 20: far more than 30 at once cannot all pass, however slow the machine.
    const answers = await Promise.all(Array.from({ length: 120 }, () => request('/trpc/auth.me')));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.body, "nginx's answer, not the app's JSON").toContain('<html>');
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(20);
    // Other routes are not limited by the auth zone.
    expect((await request('/healthz')).status).toBe(200);
  });

  it('pm2 reload under load: every request answered, every instance replaced', { timeout: 90_000 }, async () => {
    const before = (await pm?.waitOnline('dropin-web', 2)) ?? [];
    const started = Date.now();
    const reload = pm?.cli('reload', 'dropin-web') ?? Promise.resolve('');
    const { total, failures } = await loadLoop(reload.then(() => new Promise((r) => setTimeout(r, 500))));
    const ms = Date.now() - started;
    console.log(`pm2 reload: ${total} requests during ${ms} ms, ${failures.length} failed`);
    if (failures.length) console.log(failures, nginx?.errorLog().slice(-3000));
    expect(failures).toEqual([]);
    expect(total).toBeGreaterThan(50);
    const after = (await pm?.waitOnline('dropin-web', 2, { notPids: before.map((p) => p.pid) })) ?? [];
    expect(after.map((p) => p.pid)).not.toContain(before[0]?.pid);
  });

  it('a killed worker is restarted by PM2 and the service keeps answering', { timeout: 90_000 }, async () => {
    const [victim, other] = (await pm?.waitOnline('dropin-web', 2)) ?? [];
    if (!victim || !other) throw new Error('expected two instances');
    const restartsBefore = victim.pm2_env.restart_time;
    process.kill(victim.pid, 'SIGKILL');
    const replaced = pm?.waitOnline('dropin-web', 2, { notPids: [victim.pid] }) ?? Promise.resolve([]);
    const { total, failures } = await loadLoop(replaced);
    console.log(
      `worker killed: ${total} requests until PM2 replaced it, ${failures.length} failed ${JSON.stringify(failures.slice(0, 5))}`,
    );
    const now = (await replaced).find((p) => p.pm_id === victim.pm_id);
    expect(now?.pm2_env.restart_time).toBe(restartsBefore + 1);
    // Only requests already on the killed process's connections can fail; new ones go to the survivor.
    expect(failures.length).toBeLessThanOrEqual(4);
    const after = await loadLoop(new Promise((r) => setTimeout(r, 1_000)));
    expect(after.failures).toEqual([]);
  });

  it('shows the custom error page while the app is down', { timeout: 60_000 }, async () => {
    await pm?.cli('stop', 'dropin-web');
    const res = await request('/app');
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('DropIn is briefly unavailable');
    expect(res.headers['strict-transport-security']).toBeTruthy();
    expect(res.headers['retry-after']).toBe('30');
    // Static assets do not need the app.
    const js = readdirSync(path.join(appDir, 'dist/web/assets')).find((f) => f.endsWith('.js'));
    expect((await request(`/assets/${js}`)).status).toBe(200);
  });
});
