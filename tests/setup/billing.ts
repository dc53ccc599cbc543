// A DropIn server wired to its own Stripe emulator, as `npm start` does: the plan catalog pushed,
// the webhook endpoint registered with its signing secret, the real SDK over HTTP.
import type Stripe from 'stripe';
import { emulatorControl, type EmulatorControl } from '../../src/dev/stripe-emulator/index';
import { startLocalStripe, type LocalStripe } from '../../src/dev/local-stripe';
import { SCHEDULE_CODE_EXPAND, SCHEDULE_EXPAND } from '../../src/billing/mirror';
import { clearPriceCache } from '../../src/billing/prices';
import { freePort } from '../../scripts/services';
import { startTestServer, type TestServer } from './harness';
import type { RunningServer } from '../../src/server';
import type { Env } from '../../src/env';
import { newId } from '../../src/lib/ids';
import type { ChangePreview } from '../../src/billing/changes';
import type { BillingSummary } from '../../src/billing/dashboard';
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { payCheckout } from '../../src/dev/stripe-emulator/testing';

export interface BillingWorld {
  server: RunningServer & { env: Env };
  stripe: Stripe;
  control: EmulatorControl;
  emulatorUrl: string;
  close(): Promise<void>;
}

/** A world whose app server can be restarted (a test server, not `npm start`'s). */
export interface RestartableBillingWorld extends BillingWorld {
  server: TestServer;
  /** Stops the app server and starts a new one on the same database, port and emulator. */
  restartServer(opts?: { timeoutMs?: number }): Promise<void>;
}

export async function startBillingWorld(
  overrides: Record<string, string> = {},
  opts: { webDist?: string; webhookConcurrency?: number } = {},
): Promise<RestartableBillingWorld> {
  const port = await freePort();
  const { webhookConcurrency, ...serverOpts } = opts;
  const local = await startLocalStripe({
    serverPort: port,
    tickIntervalMs: 0,
    webhookRetrySchedule: [50, 100, 200, 400],
    webhookConcurrency,
  });
  clearPriceCache();
  const server = await startTestServer(
    {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...local.env,
      ...overrides,
    },
    serverOpts,
  );
  return billingWorld(server, local);
}

/** The world around a server already started on `local`'s STRIPE_* variables. */
export function billingWorld(server: TestServer, local: Pick<LocalStripe, 'emulator' | 'stripe'>): RestartableBillingWorld {
  const world: RestartableBillingWorld = {
    server,
    stripe: local.stripe,
    control: emulatorControl(local.emulator.url),
    emulatorUrl: local.emulator.url,
    async restartServer(opts) {
      world.server = await world.server.restart(opts);
    },
    async close() {
      await world.server.close();
      await local.emulator.stop();
    },
  };
  return world;
}

const SUBSCRIPTION_EXPAND = [
  'data.customer.invoice_settings.default_payment_method',
  'data.default_payment_method',
  `data.${SCHEDULE_EXPAND}`,
  `data.${SCHEDULE_CODE_EXPAND}`,
];

/** Every subscription in the emulator, those on test clocks included, expanded as the reconciler lists them. */
export async function allStripeSubscriptions(world: BillingWorld): Promise<Stripe.Subscription[]> {
  const out: Stripe.Subscription[] = [];
  const expand = SUBSCRIPTION_EXPAND;
  for await (const s of world.stripe.subscriptions.list({ status: 'all', limit: 100, expand })) out.push(s);
  for await (const clock of world.stripe.testHelpers.testClocks.list({ limit: 100 })) {
    for await (const s of world.stripe.subscriptions.list({ status: 'all', limit: 100, expand, test_clock: clock.id }))
      out.push(s);
  }
  return out;
}

/** A verified user with a session cookie, made through the app's own functions. */
export async function verifiedUser(world: BillingWorld, name = 'Billing Tester', opts: { role?: 'admin' } = {}) {
  const { createUser } = await import('../../src/auth/users');
  const email = `${opts.role ?? 'billing'}-${newId()
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')}@example.test`;
  const user = await createUser(world.server.deps, {
    email,
    password: 'billing test password',
    name,
    emailVerified: true,
    ...(opts.role ? { role: opts.role } : {}),
  });
  const { cookie } = await world.server.deps.sessions.create(user._id, { ip: '127.0.0.1', userAgent: 'test' });
  return { id: user._id, email, cookie: cookie.split(';')[0] as string };
}

/**
 * A plan change as the billing page makes it: the preview, then the change at the preview's
 * proration date under a new action id. Both must answer 200.
 */
export async function changePlan(
  world: BillingWorld,
  user: { cookie: string },
  opts: { planId: 'pro' | 'business'; interval: 'month' | 'year'; promotionCode?: string },
) {
  const preview = await trpc<ChangePreview>(world, user.cookie, 'query', 'billing.previewChange', opts);
  expect(preview.status, preview.error?.message).toBe(200);
  const changed = await trpc<BillingSummary>(world, user.cookie, 'mutation', 'billing.changePlan', {
    ...opts,
    prorationDate: preview.data.prorationDate,
    actionId: randomUUID().replaceAll('-', ''),
  });
  expect(changed.status, changed.error?.message).toBe(200);
  return { preview: preview.data, summary: changed.data };
}

/** A tRPC call over real HTTP with the user's cookie. */
export async function trpc<T = unknown>(
  world: BillingWorld,
  cookie: string,
  kind: 'query' | 'mutation',
  proc: string,
  input?: unknown,
): Promise<{ status: number; data: T; error?: { message: string; data?: { code: string } } }> {
  const base = world.server.env.PUBLIC_URL;
  const res =
    kind === 'query'
      ? await fetch(`${base}/trpc/${proc}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, {
          headers: { cookie },
        })
      : await fetch(`${base}/trpc/${proc}`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/json', origin: base },
          body: JSON.stringify(input ?? null),
        });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string; data?: { code: string } } };
  return { status: res.status, data: body.result?.data as T, error: body.error };
}

/** Subscribes `user` the way the app does: Checkout started over tRPC, paid with 4242…, completed. */
export async function subscribeThroughCheckout(
  world: BillingWorld,
  user: { cookie: string },
  planId: 'pro' | 'business' = 'pro',
): Promise<void> {
  const start = await trpc<{ url: string }>(world, user.cookie, 'mutation', 'billing.startCheckout', {
    planId,
    interval: 'month',
    actionId: randomUUID().replaceAll('-', ''),
  });
  expect(start.status, start.error?.message).toBe(200);
  const paid = await payCheckout(start.data.url, { number: '4242424242424242' });
  expect(paid.status).toBe(303);
  const sessionId = new URL(paid.location as string).searchParams.get('session_id');
  const done = await trpc(world, user.cookie, 'mutation', 'billing.completeCheckout', { sessionId });
  expect(done.status, done.error?.message).toBe(200);
}

/** Polls `check` until it holds; the deadline only bounds a test that would otherwise hang. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every webhook the emulator owes delivered, and every delivered event processed by the app's worker. */
export async function settle(world: {
  control: Pick<EmulatorControl, 'waitForDeliveries'>;
  server: { worker: { drain(timeoutMs?: number): Promise<void> } };
}): Promise<void> {
  const { pending } = await world.control.waitForDeliveries(30_000);
  expect(pending, 'webhook deliveries still pending').toBe(0);
  await world.server.worker.drain(30_000);
}
