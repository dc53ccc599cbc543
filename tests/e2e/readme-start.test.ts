// The README's start command, run exactly as written in a shell, and a person's first subscription
// on what it serves: sign up → verify from the inbox → Checkout → upgrade with the preview → cancel
// → resume, then time passes and the first invoice is what the preview said.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import { emulatorControl } from '../../src/dev/stripe-emulator/index';
import { inBrowserSession, launchBrowser, signUpAndVerify } from '../setup/browser';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The first shell block after "Start DropIn with local defaults" in the README. */
function readmeStartCommand(): string {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('Start DropIn with local defaults'));
  const block = section.match(/```sh\n([^`]+)```/);
  if (!block?.[1]) throw new Error('README.md has no ```sh block after "Start DropIn with local defaults"');
  return block[1].trim();
}

interface Started {
  child: ChildProcess;
  output: () => string;
  appUrl: string;
  inboxUrl: string;
  emulatorUrl: string;
  databaseUrl: string;
}

/** Runs the command in its own process group and waits for the banner. */
async function runStartCommand(command: string, dataDir: string): Promise<Started> {
  // What a person's shell has: no test-runner variables, no NODE_ENV.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(VITEST|TEST_|NODE_ENV$|npm_)/.test(k)),
  ) as NodeJS.ProcessEnv;
  const child = spawn('sh', ['-c', command], {
    cwd: repoRoot,
    // npm install finds everything installed already; it need not ask the registry.
    env: { ...env, PORT: '0', DROPIN_DATA_DIR: dataDir, npm_config_prefer_offline: 'true' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = child;
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (out.includes('Press Ctrl+C to stop.')) return resolve();
      if (child.exitCode !== null) return reject(new Error(`the start command exited (${child.exitCode}):\n${out}`));
      setTimeout(check, 100);
    };
    check();
  });
  const field = (label: string) => {
    const m = out.match(new RegExp(`^ {2}${label} +(\\S+)`, 'm'));
    if (!m?.[1]) throw new Error(`no "${label}" line in the start output:\n${out}`);
    return m[1];
  };
  return {
    child,
    output: () => out,
    appUrl: field('DropIn'),
    inboxUrl: field('Inbox'),
    emulatorUrl: field('Stripe {4}emulator at'),
    databaseUrl: out.match(/mongodb:\/\/[^\s,]+/)?.[0] ?? '',
  };
}

/** Ctrl+C to the whole process group, as a terminal sends it; resolves once the command has exited. */
function interrupt(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    process.kill(-(child.pid as number), 'SIGINT');
  });
}

/** "$1,234.56" → 123456 */
function cents(text: string | null): number {
  return Math.round(Number((text ?? '').replace(/[^0-9.]/g, '')) * 100);
}

let started: Started | null = null;
/** The command's process, from the moment it is spawned: stopped after the test whatever happened. */
let running: ChildProcess | null = null;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'dropin-readme-'));
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (running) await interrupt(running);
  if (started) {
    // Ctrl+C stops everything quietly: no warnings, errors or services dying on their own.
    const afterBanner = started.output().slice(started.output().indexOf('Press Ctrl+C to stop.'));
    expect(afterBanner).not.toMatch(/WARN|ERROR|exited unexpectedly|could not/);
  }
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("the README's start command", () => {
  it('serves a production build on which a person subscribes, upgrades with the preview, cancels and resumes', {
    timeout: 300_000,
  }, async () => {
    const command = readmeStartCommand();
    expect(command).toBe('npm install && npm start');
    started = await runStartCommand(command, dataDir);
    const { appUrl, inboxUrl } = started;

    // The production build: minified, production React (the app's shell, as /login sends it; a
    // visitor's home page is a document rendered on the server, without the app).
    const html = await (await fetch(new URL('/login', appUrl))).text();
    const script = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    expect(script, 'index.html loads a hashed bundle').toBeTruthy();
    const bundle = await (await fetch(new URL(script as string, appUrl))).text();
    expect(bundle).not.toContain('jsxDEV');
    // Quiet: no bundler warnings or raw JSON log lines before the banner.
    expect(started.output()).not.toMatch(/chunks are larger|PLUGIN_TIMINGS|"level":/);

    const email = `readme-${Date.now()}@example.test`;
    await inBrowserSession(browser, { baseURL: appUrl, name: 'readme-start' }, async (page: Page) => {
      await page.goto('/pricing');
      await page.getByRole('link', { name: 'Start free trial' }).first().click();
      await page.waitForURL(/\/signup\?next=/);
      await signUpAndVerify(
        page,
        { name: 'Ada Reader', email, password: 'correct horse battery staple' },
        { mailpitUrl: inboxUrl },
      );
      await page.goto('/pricing');
      await page.getByRole('button', { name: 'Choose Pro' }).click();

      await page.waitForURL(/\/c\/pay\//);
      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByLabel('Expiration').fill('12 / 34');
      await page.getByLabel('CVC').fill('123');
      await page.getByLabel('Cardholder name').fill('Ada Reader');
      await page.getByRole('button', { name: 'Start trial' }).click();
      await page.getByRole('heading', { name: "You're on Pro" }).waitFor({ timeout: 30_000 });
      await page.getByRole('link', { name: 'Go to billing' }).click();
      const plan = page.getByRole('region', { name: 'Your plan' });
      await plan.getByText('Trial', { exact: true }).waitFor();

      // The upgrade dialog stays open and previews the next invoice.
      await page.getByRole('button', { name: 'Upgrade to Business monthly' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByTestId('preview-next-amount').waitFor();
      const previewedNext = cents(await dialog.getByTestId('preview-next-amount').textContent());
      expect(previewedNext).toBeGreaterThan(0);
      await dialog.getByRole('button', { name: 'Confirm change' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await plan.getByText('Business', { exact: true }).waitFor();

      await page.getByRole('button', { name: 'Cancel subscription' }).click();
      await dialog.getByLabel(/Why are you canceling/).selectOption('too_expensive');
      await dialog.getByRole('button', { name: 'Confirm cancellation' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByText(/Your Business plan ends on/).waitFor();
      await page.getByRole('button', { name: 'Resume subscription' }).click();
      await page.getByText('Your Business plan will renew as usual.').waitFor();

      // The trial ends: the first charge is the amount the preview showed.
      const client = new MongoClient(started?.databaseUrl as string);
      const user = await client.db('dropin').collection('users').findOne({ email });
      await client.close();
      expect(user?.stripeCustomerId).toBeTruthy();
      await emulatorControl(started?.emulatorUrl as string).advanceCustomer(user?.stripeCustomerId as string, {
        seconds: 15 * DAY,
      });
      const invoices = page.getByRole('region', { name: 'Invoices' });
      const amount = `$${(previewedNext / 100).toFixed(2)}`;
      // Webhooks reach the server a moment later; a person reloads until the charge shows.
      await expect
        .poll(
          async () => {
            await page.reload();
            await invoices.waitFor();
            return invoices.getByRole('row').filter({ hasText: amount }).filter({ hasText: 'Paid' }).count();
          },
          { timeout: 60_000, interval: 1_000 },
        )
        .toBeGreaterThan(0);
    });
  });
});
