// Contract test against Stripe's own stripe-mock (v0.203.0, OpenAPI spec 2026-08-26.dahlia): the app
// runs its billing flows against the emulator, which records each distinct request shape (method,
// route, parameter keys, expand paths); every shape is then replayed, as sent, to stripe-mock, which
// refuses parameters the spec does not know or whose type is wrong, and every expand path is checked
// against the spec's expandable fields (stripe-mock itself does not). What this cannot see: see
// docs/stripe-emulator.md, "Contract test against stripe-mock".
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTool, toolFile } from '../../scripts/tools';
import { freePort } from '../../scripts/services';
import { createUser } from '../../src/auth/users';
import { checkStripeAccount } from '../../src/billing/doctor';
import { plans } from '../../src/billing/plans';
import { runReconcile } from '../../src/billing/reconcile/run';
import type { RequestShape } from '../../src/dev/stripe-emulator/control';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import { flushMeter } from '../../src/usage/meter';
import { planState } from '../../src/usage/entitlements';
import {
  type RestartableBillingWorld,
  settle,
  startBillingWorld,
  subscribeThroughCheckout,
  trpc,
  verifiedUser,
} from '../setup/billing';

let world: RestartableBillingWorld;
let mock: { url: string; child: ChildProcess };

async function startStripeMock(): Promise<{ url: string; child: ChildProcess }> {
  const bin = await ensureTool('stripe-mock', () => {});
  const port = await freePort();
  const child = spawn(bin, ['-http-addr', `127.0.0.1:${port}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(`${url}/v1/customers`, { headers: { authorization: 'Bearer sk_test_123' } });
      return { url, child };
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('stripe-mock did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

beforeAll(async () => {
  mock = await startStripeMock();
  world = await startBillingWorld();
});
afterAll(async () => {
  await world?.close();
  mock?.child.kill();
});

const action = () => randomUUID().replaceAll('-', '');
const deps = () => world.server.deps;

async function ok(cookie: string, kind: 'query' | 'mutation', proc: string, input?: unknown) {
  const res = await trpc(world, cookie, kind, proc, input);
  expect(res.status, `${proc}: ${res.error?.message}`).toBe(200);
  return res.data;
}

/** The app's billing flows, each through its own edge: what a subscriber, an admin and the jobs do. */
async function driveAppFlows() {
  const email = `admin-${randomUUID().slice(0, 8)}@example.test`;
  const adminUser = await createUser(deps(), {
    email,
    password: 'admin test password',
    name: 'Ada',
    emailVerified: true,
    role: 'admin',
  });
  const admin = (await deps().sessions.create(adminUser._id, { ip: '127.0.0.1', userAgent: 'test' })).cookie.split(';')[0]!;

  // Subscribe, see the dashboard, open the portal, pass the trial, change plan now and at period end.
  const user = await verifiedUser(world);
  await subscribeThroughCheckout(world, user, 'pro');
  await settle(world);
  await ok(user.cookie, 'query', 'billing.summary');
  await ok(user.cookie, 'query', 'billing.invoices');
  await ok(user.cookie, 'mutation', 'billing.portal');
  const customer = (await deps().db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
  await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
  await settle(world);
  const up = await ok(user.cookie, 'query', 'billing.previewChange', { planId: 'business', interval: 'year' });
  await ok(user.cookie, 'mutation', 'billing.changePlan', {
    planId: 'business',
    interval: 'year',
    prorationDate: (up as { prorationDate: number }).prorationDate,
    actionId: action(),
  });
  // The downgrade is scheduled with a promotion code: it goes on the schedule's next phase.
  const coupon = await world.stripe.coupons.create({ percent_off: 20, duration: 'forever' });
  const code = `CONTRACT${randomUUID().slice(0, 6).toUpperCase()}`;
  await world.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code });
  const down = await ok(user.cookie, 'query', 'billing.previewChange', { planId: 'pro', interval: 'year', promotionCode: code });
  await ok(user.cookie, 'mutation', 'billing.changePlan', {
    planId: 'pro',
    interval: 'year',
    prorationDate: (down as { prorationDate: number }).prorationDate,
    promotionCode: code,
    actionId: action(),
  });
  await ok(user.cookie, 'mutation', 'billing.undoScheduledChange', { actionId: action() });
  await ok(user.cookie, 'mutation', 'billing.cancel', { reason: 'too_expensive', comment: '', actionId: action() });
  await ok(user.cookie, 'mutation', 'billing.resume', { actionId: action() });
  await settle(world);

  // API overage reported to the meter: two calls past the quota, counted as one row of units.
  const state = await planState(deps(), user.id);
  await deps().db.c.usageEvents.insertOne({
    _id: `api:contract:${user.id}`,
    userId: user.id,
    metric: 'api_call',
    periodStart: state.period.start,
    periodEnd: state.period.end,
    planId: state.plan,
    at: new Date(),
    ref: null,
    units: plans[state.plan].limits.apiCallsIncluded + 2,
  });
  await flushMeter(deps(), { all: true });

  // The admin refunds the paid invoice and cancels another subscriber's plan.
  const invoices = (await ok(user.cookie, 'query', 'billing.invoices')) as { invoices: { id: string; refundable: number }[] };
  const paid = invoices.invoices.find((i) => i.refundable > 0)!;
  await ok(admin, 'mutation', 'admin.refundInvoice', {
    userId: user.id,
    invoiceId: paid.id,
    amount: 100,
    reason: 'requested_by_customer',
    actionId: action(),
  });
  const other = await verifiedUser(world, 'Other');
  await subscribeThroughCheckout(world, other, 'business');
  // A credit note issued in Stripe's Dashboard (here through the SDK), which the invoice list then reads.
  await world.stripe.creditNotes.create({
    invoice: paid.id,
    lines: [{ type: 'custom_line_item', description: 'Goodwill', unit_amount: 100 }],
    credit_amount: 100,
  });
  await ok(user.cookie, 'query', 'billing.invoices');
  const otherSub = (await deps().db.c.subscriptions.findOne({ userId: other.id }))!;
  await ok(admin, 'mutation', 'admin.cancelSubscription', { subscriptionId: otherSub._id, refund: false, actionId: action() });
  await settle(world);

  // The reconciler, and the doctor against the same account.
  await runReconcile(deps(), { backoffBaseMs: 20, rps: 100 });
  await checkStripeAccount({
    stripe: world.stripe,
    secretKey: world.server.env.STRIPE_SECRET_KEY!,
    publicUrl: world.server.env.PUBLIC_URL,
  });
}

/** stripe-mock's answer to the request as the app sent it; null when it accepts it. */
async function refusal(shape: RequestShape): Promise<string | null> {
  const query = shape.method === 'POST' || !shape.params ? '' : `?${shape.params}`;
  const res = await fetch(`${mock.url}${shape.path}${query}`, {
    method: shape.method,
    headers: {
      authorization: 'Bearer sk_test_123',
      ...(shape.method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(shape.method === 'POST' ? { body: shape.params } : {}),
  });
  if (res.ok) return null;
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  return `${res.status} ${body.error?.message ?? ''}`;
}

type Schema = {
  $ref?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  'x-expandableFields'?: string[];
  'x-expansionResources'?: { oneOf: Schema[] };
};
type Spec = {
  info: { version: string };
  components: { schemas: Record<string, Schema> };
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
};

/** Why an expand path is not one Stripe accepts on this response, or null when it is. */
function badExpand(spec: Spec, shape: RequestShape, expand: string): string | null {
  const deref = (s: Schema): Schema => {
    let cur = s;
    for (let i = 0; i < 10; i++) {
      if (cur.$ref) cur = spec.components.schemas[cur.$ref.split('/').pop()!]!;
      else if (cur['x-expansionResources']) cur = cur['x-expansionResources'].oneOf[0]!;
      else if (cur.anyOf || cur.oneOf) cur = (cur.anyOf ?? cur.oneOf)!.find((x) => x.$ref || x.properties) ?? {};
      else if (cur.items) cur = cur.items;
      else return cur;
    }
    return cur;
  };
  const template = Object.keys(spec.paths).find((p) => new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(shape.path));
  const op = template ? spec.paths[template]![shape.method.toLowerCase()] : undefined;
  const root = op?.responses['200']?.content?.['application/json']?.schema;
  if (!root) return `no ${shape.method} ${shape.path} in the spec`;
  let schema = deref(root);
  const segments = expand.split('.');
  for (const [i, seg] of segments.entries()) {
    const prop = schema.properties?.[seg];
    if (!prop) return `${segments.slice(0, i + 1).join('.')} is not a field`;
    const last = i === segments.length - 1;
    const expandable =
      Boolean(prop['x-expansionResources']) ||
      (schema['x-expandableFields']?.includes(seg) === true && !schema.required?.includes(seg));
    if (last && !expandable) return `${expand} cannot be expanded`;
    schema = deref(prop);
  }
  return null;
}

describe('contract with Stripe (stripe-mock, its OpenAPI spec)', () => {
  it('every request shape the app sent is accepted by stripe-mock, every expand path is expandable', {
    timeout: 300_000,
  }, async () => {
    await driveAppFlows();
    const shapes = await world.control.requestShapes();
    // Enough of the app ran for the check to mean something.
    const routes = new Set(shapes.map((s) => `${s.method} ${s.route}`));
    for (const route of [
      'POST /v1/checkout/sessions',
      'POST /v1/subscriptions/:id',
      'POST /v1/invoices/create_preview',
      'POST /v1/subscription_schedules/:id',
      'POST /v1/billing_portal/sessions',
      'POST /v1/billing/meter_events',
      'POST /v1/refunds',
      'POST /v1/credit_notes',
      'GET /v1/credit_notes',
      'GET /v1/events',
      'GET /v1/subscriptions',
    ])
      expect(routes, `the flows reached ${route}`).toContain(route);
    // The scheduled downgrade carried its promotion code on the next phase.
    expect(
      shapes.some(
        (s) => s.route === '/v1/subscription_schedules/:id' && s.keys.some((k) => /^phases.*discounts.*promotion_code/.test(k)),
      ),
      `a schedule update sent phases[].discounts[].promotion_code: ${JSON.stringify(shapes.filter((s) => s.route === '/v1/subscription_schedules/:id').map((s) => s.keys))}`,
    ).toBe(true);

    const spec = JSON.parse(readFileSync(toolFile('stripe-mock', 'spec3.json'), 'utf8')) as Spec;
    expect(spec.info.version).toBe('2026-08-26.dahlia');
    const refused: string[] = [];
    for (const shape of shapes) {
      const why = await refusal(shape);
      if (why) refused.push(`${shape.method} ${shape.route} [${shape.keys.join(', ')}]: ${why}`);
      for (const e of shape.expand) {
        const bad = badExpand(spec, shape, e);
        if (bad) refused.push(`${shape.method} ${shape.route} expand ${e}: ${bad}`);
      }
    }
    expect(refused).toEqual([]);
  });
});
