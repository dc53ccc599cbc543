// `npm run stripe:doctor` against the emulator: green on an account set up the way DropIn sets one
// up, and each problem named on a deliberately misconfigured one (no portal configuration, a missing
// price, a webhook endpoint without some events, a restricted key without some permissions).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { pushCatalog } from '../src/billing/catalog';
import { checkStripeAccount, STRIPE_PERMISSIONS } from '../src/billing/doctor';
import { sdkFor, startTestStripe, type TestStripe } from '../src/dev/stripe-emulator/testing';
import { HANDLED_EVENT_TYPES, HANDLED_THIN_EVENT_TYPES } from '../src/webhooks/event-types';

const root = path.resolve(import.meta.dirname, '..');
const PUBLIC_URL = 'https://dropin.example.com';
const WEBHOOK_URL = `${PUBLIC_URL}/webhooks/stripe`;

let t: TestStripe | null = null;
afterEach(async () => {
  await t?.stop();
  t = null;
});

/** An emulator account set up as a deployment following docs/deployment.md would be. */
async function readyAccount(): Promise<TestStripe> {
  t = await startTestStripe();
  await pushCatalog(t.stripe);
  await t.stripe.webhookEndpoints.create({ url: WEBHOOK_URL, enabled_events: [...HANDLED_EVENT_TYPES] });
  await t.stripe.v2.core.eventDestinations.create({
    name: 'DropIn',
    type: 'webhook_endpoint',
    event_payload: 'thin',
    enabled_events: [...HANDLED_THIN_EVENT_TYPES],
    webhook_endpoint: { url: `${WEBHOOK_URL}/events` },
  });
  return t;
}

async function doctor(stripe: TestStripe, args: string[] = [], key = stripe.emulator.secretKey) {
  const run = promisify(execFile);
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/stripe-doctor.ts', ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'development',
        STRIPE_SECRET_KEY: key,
        STRIPE_API_BASE: stripe.emulator.url,
        PUBLIC_URL,
      },
    });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

describe('stripe:doctor', () => {
  it('reports an account set up for DropIn as ready, every line ok', { timeout: 60_000 }, async () => {
    const { code, out } = await doctor(await readyAccount());
    expect(out).toContain('Ready to go live.');
    expect(code).toBe(0);
    for (const id of ['key', 'permissions', 'catalog', 'portal', 'webhook', 'events', 'api-version'])
      expect(out).toMatch(new RegExp(`^ok +${id} `, 'm'));
  });

  it('names each problem of a misconfigured account and exits 1; --fix repairs the catalog and the portal', {
    timeout: 60_000,
  }, async () => {
    const account = await readyAccount();
    const { stripe } = account;
    // No portal configuration, a price gone, an endpoint that misses two of the events DropIn handles.
    const portal = (await stripe.billingPortal.configurations.list()).data[0]!;
    await stripe.billingPortal.configurations.update(portal.id, { active: false });
    const yearly = (await stripe.prices.list({ lookup_keys: ['dropin_business_yearly'] })).data[0]!;
    await stripe.prices.update(yearly.id, { active: false });
    const endpoint = (await stripe.webhookEndpoints.list()).data[0]!;
    const dropped = ['customer.subscription.deleted', 'invoice.payment_failed'];
    await stripe.webhookEndpoints.update(endpoint.id, {
      enabled_events: HANDLED_EVENT_TYPES.filter((e) => !dropped.includes(e)),
    });

    const before = await doctor(account);
    expect(before.code).toBe(1);
    expect(before.out).toMatch(/^FAIL portal +no DropIn customer portal configuration/m);
    expect(before.out).toMatch(/^FAIL catalog /m);
    expect(before.out).toContain('no active price with lookup key dropin_business_yearly');
    expect(before.out).toMatch(/^FAIL webhook /m);
    expect(before.out).toContain(`${endpoint.id} does not send customer.subscription.deleted, invoice.payment_failed`);
    expect(before.out).toMatch(/^ok +permissions /m);
    expect(before.out).toContain('Not ready');

    const fixed = await doctor(account, ['--fix']);
    expect(fixed.out).toMatch(/--fix: .*price dropin_business_yearly reactivated.*portal configuration bpc_\w+ created/);
    expect(fixed.out).toMatch(/^ok +catalog /m);
    expect(fixed.out).toMatch(/^ok +portal /m);
    // The endpoint is the operator's to change: still named.
    expect(fixed.out).toMatch(/^FAIL webhook /m);
    expect(fixed.code).toBe(1);
  });

  it('a test-mode key blocks only when going live (--live)', { timeout: 60_000 }, async () => {
    const account = await readyAccount();
    const live = await doctor(account, ['--live']);
    expect(live.code).toBe(1);
    expect(live.out).toMatch(/^FAIL key +test mode, secret key/m);
    expect(live.out).toContain('a test-mode key: no real payments are taken');
  });

  it('warns, without blocking, when no event destination receives meter error reports', async () => {
    t = await startTestStripe();
    await pushCatalog(t.stripe);
    await t.stripe.webhookEndpoints.create({ url: WEBHOOK_URL, enabled_events: [...HANDLED_EVENT_TYPES] });
    const report = await checkStripeAccount({ stripe: t.stripe, secretKey: t.emulator.secretKey, publicUrl: PUBLIC_URL });
    expect(report.checks.find((c) => c.id === 'events')).toMatchObject({
      status: 'warn',
      summary: `no event destination for ${WEBHOOK_URL}/events`,
    });
    expect(report.ready).toBe(true);
  });

  it('names each permission a restricted key lacks, found by trying it', async () => {
    const account = await readyAccount();
    const all = Object.fromEntries(STRIPE_PERMISSIONS.map((p) => [p.resource, p.access]));
    const { events: _events, promotion_codes: _codes, 'v2.core.events': _v2events, ...allButEvents } = all;
    const narrow = await account.control.restrictedKey({ ...allButEvents, products: 'read' });
    const denied = await checkStripeAccount({
      stripe: sdkFor(account.emulator, narrow),
      secretKey: narrow,
      publicUrl: PUBLIC_URL,
    });
    const permissions = denied.checks.find((c) => c.id === 'permissions')!;
    expect(permissions.status).toBe('fail');
    expect(permissions.problems).toEqual([
      expect.stringMatching(/^missing Products \(write; products\)/),
      expect.stringMatching(/^missing Promotion codes \(read; promotion_codes\)/),
      expect.stringMatching(/^missing Events \(read; events\)/),
      expect.stringMatching(/^missing Events \(v2\) \(read; v2\.core\.events\)/),
    ]);
    expect(denied.ready).toBe(false);

    const full = await account.control.restrictedKey(all);
    const granted = await checkStripeAccount({ stripe: sdkFor(account.emulator, full), secretKey: full, publicUrl: PUBLIC_URL });
    expect(granted.checks.map((c) => [c.id, c.status])).toEqual([
      ['key', 'ok'],
      ['permissions', 'ok'],
      ['catalog', 'ok'],
      ['portal', 'ok'],
      ['webhook', 'ok'],
      ['events', 'ok'],
      ['api-version', 'ok'],
    ]);
    expect(granted.ready).toBe(true);
  });
});
