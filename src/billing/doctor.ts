// `npm run stripe:doctor`: checks that a Stripe account is ready for DropIn, each finding with its
// fix: the key (mode, and every permission DropIn needs, tried with a call that changes nothing),
// the catalog, the customer portal configuration, the webhook endpoint and the API version. Read-only
// unless `fix` is set, which pushes the catalog and portal configuration (what `npm run
// stripe:catalog` does) and checks again. Works the same against the emulator and a real account.
import Stripe from 'stripe';
import { HANDLED_EVENT_TYPES, HANDLED_THIN_EVENT_TYPES, missingEventTypes } from '../webhooks/event-types';
import { catalogPriceSpecs, catalogProductSpecs, findApiMeter, livePrices, priceMatches, pushCatalog } from './catalog';
import { API_METER } from './plans';
import { findPortalConfiguration, portalConfigurationParams, portalDifferences } from './portal';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  /** The line of the go-live checklist in docs/deployment.md this verifies. */
  id: 'key' | 'permissions' | 'catalog' | 'portal' | 'webhook' | 'events' | 'api-version';
  status: CheckStatus;
  summary: string;
  /** Each problem found, one line each. */
  problems: string[];
  /** What to do about them. */
  fix?: string;
}

export interface DoctorReport {
  checks: Check[];
  /** True when nothing blocks going live (warnings do not). */
  ready: boolean;
  fixed?: Awaited<ReturnType<typeof pushCatalog>>;
}

/** An object id that exists on no account: every probe asks about it, so none changes anything. */
const PROBE = 'dropin_doctor_probe';

/**
 * Each permission DropIn's key needs, as the Dashboard's restricted-key form groups them, with a
 * call that needs exactly that access and changes nothing: a read or an update of an object that
 * does not exist (Stripe checks the key's permission before it looks the object up, so a 404 means
 * the key may, a 403 that it may not). docs/deployment.md lists the same.
 */
export const STRIPE_PERMISSIONS: {
  resource: string;
  label: string;
  access: 'read' | 'write';
  usedFor: string;
  probe: (stripe: Stripe) => Promise<unknown>;
}[] = [
  {
    resource: 'customers',
    label: 'Customers',
    access: 'write',
    usedFor: 'a customer per subscriber; its email follows the account; its billing details and tax IDs',
    probe: (s) => s.customers.update(`cus_${PROBE}`, {}),
  },
  {
    resource: 'checkout.sessions',
    label: 'Checkout Sessions',
    access: 'write',
    usedFor: 'subscribing',
    probe: (s) => s.checkout.sessions.expire(`cs_${PROBE}`),
  },
  {
    resource: 'billing_portal.sessions',
    label: 'Customer portal',
    access: 'write',
    usedFor: '"Manage billing"',
    probe: (s) => s.billingPortal.sessions.create({ customer: `cus_${PROBE}` }),
  },
  {
    resource: 'billing_portal.configurations',
    label: 'Customer portal',
    access: 'write',
    usedFor: 'the portal configuration (stripe:catalog, stripe:doctor --fix)',
    probe: (s) => s.billingPortal.configurations.update(`bpc_${PROBE}`, {}),
  },
  {
    resource: 'products',
    label: 'Products',
    access: 'write',
    usedFor: 'the plan catalog (stripe:catalog)',
    probe: (s) => s.products.update(`prod_${PROBE}`, {}),
  },
  {
    resource: 'prices',
    label: 'Prices',
    access: 'write',
    usedFor: 'the plan catalog; prices looked up by lookup_key',
    probe: (s) => s.prices.update(`price_${PROBE}`, {}),
  },
  {
    resource: 'subscriptions',
    label: 'Subscriptions',
    access: 'write',
    usedFor: 'plan changes, cancellation, the metered item; the reconciler lists them',
    probe: (s) => s.subscriptions.update(`sub_${PROBE}`, {}),
  },
  {
    resource: 'subscription_schedules',
    label: 'Subscription schedules',
    access: 'write',
    usedFor: 'changes that take effect at the period end',
    probe: (s) => s.subscriptionSchedules.release(`sub_sched_${PROBE}`),
  },
  {
    resource: 'invoices',
    label: 'Invoices',
    access: 'write',
    usedFor: 'invoice history, plan-change previews, paying an open invoice',
    probe: (s) => s.invoices.pay(`in_${PROBE}`),
  },
  {
    resource: 'payment_intents',
    label: 'PaymentIntents',
    access: 'read',
    usedFor: "an invoice's payment, for refunds",
    probe: (s) => s.paymentIntents.retrieve(`pi_${PROBE}`),
  },
  {
    resource: 'charges',
    label: 'Charges',
    access: 'read',
    usedFor: 'what an invoice charged and what is refunded',
    probe: (s) => s.charges.retrieve(`ch_${PROBE}`),
  },
  {
    resource: 'refunds',
    label: 'Refunds',
    access: 'write',
    usedFor: "the admin's refunds",
    probe: (s) => s.refunds.update(`re_${PROBE}`, {}),
  },
  {
    resource: 'credit_notes',
    label: 'Credit notes',
    access: 'read',
    usedFor: 'credit notes listed under their invoices',
    probe: (s) => s.creditNotes.retrieve(`cn_${PROBE}`),
  },
  {
    resource: 'payment_methods',
    label: 'PaymentMethods',
    access: 'read',
    usedFor: 'the card on file (expanded on subscriptions and customers)',
    probe: (s) => s.paymentMethods.retrieve(`pm_${PROBE}`),
  },
  {
    resource: 'coupons',
    label: 'Coupons',
    access: 'read',
    usedFor: "the admin's discount actions",
    probe: (s) => s.coupons.retrieve(`coupon_${PROBE}`),
  },
  {
    resource: 'promotion_codes',
    label: 'Promotion codes',
    access: 'read',
    usedFor: 'looking up the promotion code typed with a plan change',
    probe: (s) => s.promotionCodes.retrieve(`promo_${PROBE}`),
  },
  {
    resource: 'events',
    label: 'Events',
    access: 'read',
    usedFor: 'the reconciler replays missed events',
    probe: (s) => s.events.retrieve(`evt_${PROBE}`),
  },
  {
    resource: 'billing.meters',
    label: 'Billing meters (and meter events)',
    access: 'write',
    usedFor: 'reporting API overage; the meter (stripe:catalog)',
    probe: (s) => s.billing.meters.update(`mtr_${PROBE}`, {}),
  },
  {
    resource: 'test_helpers.test_clocks',
    label: 'Test clocks',
    access: 'read',
    usedFor: 'test mode only: demo customers on a test clock',
    probe: (s) => s.testHelpers.testClocks.retrieve(`clock_${PROBE}`),
  },
  {
    resource: 'v2.core.events',
    label: 'Events (v2)',
    access: 'read',
    usedFor: 'reading the meter error reports behind the thin events sent to /webhooks/stripe/events',
    probe: (s) => s.v2.core.events.retrieve(`evt_${PROBE}`),
  },
  {
    resource: 'v2.core.event_destinations',
    label: 'Event destinations',
    access: 'read',
    usedFor: 'stripe:doctor only: the destination of meter error reports',
    probe: (s) => s.v2.core.eventDestinations.retrieve(`ed_${PROBE}`),
  },
  {
    resource: 'webhook_endpoints',
    label: 'Webhook endpoints',
    access: 'read',
    usedFor: 'stripe:doctor only (the app itself never calls it)',
    probe: (s) => s.webhookEndpoints.retrieve(`we_${PROBE}`),
  },
];

export async function checkStripeAccount(opts: {
  stripe: Stripe;
  /** The key in use (its prefix tells the mode and kind). */
  secretKey: string;
  publicUrl: string;
  /** Going live: a test-mode key is a blocker. */
  requireLive?: boolean;
  fix?: boolean;
}): Promise<DoctorReport> {
  const { stripe } = opts;
  const checks: Check[] = [];
  const key = checkKey(opts.secretKey, opts.requireLive ?? false);
  checks.push(key);
  const permissions = await checkPermissions(stripe, opts.secretKey);
  checks.push(permissions);
  if (permissions.problems.some((p) => p.includes('is not valid'))) return finish(checks);

  let fixed: DoctorReport['fixed'];
  if (opts.fix) fixed = await pushCatalog(stripe);
  checks.push(await guarded('catalog', () => checkCatalog(stripe)));
  checks.push(await guarded('portal', () => checkPortal(stripe)));
  checks.push(await guarded('webhook', () => checkWebhook(stripe, opts.publicUrl)));
  checks.push(await guarded('events', () => checkEventDestination(stripe, opts.publicUrl)));
  checks.push(await guarded('api-version', () => checkApiVersion(stripe, opts.publicUrl)));
  return { ...finish(checks), ...(fixed ? { fixed } : {}) };
}

function finish(checks: Check[]): DoctorReport {
  return { checks, ready: checks.every((c) => c.status !== 'fail') };
}

/** A check whose calls failed (a permission missing, Stripe away) is a failure that says why. */
async function guarded(id: Check['id'], run: () => Promise<Check>): Promise<Check> {
  try {
    return await run();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      id,
      status: 'fail',
      summary: 'could not be checked',
      problems: [message],
      fix: 'Fix the permissions above, then run again.',
    };
  }
}

function checkKey(secretKey: string, requireLive: boolean): Check {
  const m = /^(sk|rk)_(live|test)_/.exec(secretKey);
  if (!m)
    return {
      id: 'key',
      status: 'fail',
      summary: 'not a Stripe secret or restricted key',
      problems: ['STRIPE_SECRET_KEY should start with sk_live_, rk_live_, sk_test_ or rk_test_'],
      fix: 'Copy the key from the Dashboard: Developers → API keys.',
    };
  const mode = m[2] as 'live' | 'test';
  const kind = m[1] === 'rk' ? 'restricted key' : 'secret key';
  const problems: string[] = [];
  let status: CheckStatus = 'ok';
  if (requireLive && mode === 'test') {
    status = 'fail';
    problems.push('a test-mode key: no real payments are taken');
  }
  if (m[1] === 'sk' && mode === 'live') {
    if (status === 'ok') status = 'warn';
    problems.push('a live secret key can do anything on the account; a restricted key with the permissions below is enough');
  }
  return {
    id: 'key',
    status,
    summary: `${mode} mode, ${kind}`,
    problems,
    ...(problems.length
      ? {
          fix: 'Create a restricted key (Developers → API keys → Create restricted key) with the permissions listed in docs/deployment.md.',
        }
      : {}),
  };
}

async function checkPermissions(stripe: Stripe, secretKey: string): Promise<Check> {
  const missing: string[] = [];
  const unsure: string[] = [];
  const results = await Promise.all(
    STRIPE_PERMISSIONS.map(async (perm) => {
      try {
        await perm.probe(stripe);
        return { perm, outcome: 'allowed' as const };
      } catch (err) {
        if (err instanceof Stripe.errors.StripePermissionError) return { perm, outcome: 'denied' as const, err };
        if (err instanceof Stripe.errors.StripeAuthenticationError) return { perm, outcome: 'invalid' as const, err };
        // A refusal of the request itself (no such object, bad parameters) comes after the permission check.
        if (err instanceof Stripe.errors.StripeInvalidRequestError) return { perm, outcome: 'allowed' as const };
        return { perm, outcome: 'unknown' as const, err };
      }
    }),
  );
  const invalid = results.find((r) => r.outcome === 'invalid');
  if (invalid)
    return {
      id: 'permissions',
      status: 'fail',
      summary: 'the key was refused',
      problems: [`the key ${secretKey.slice(0, 8)}… is not valid: ${(invalid.err as Error).message}`],
      fix: 'Put a current key in STRIPE_SECRET_KEY (Developers → API keys).',
    };
  for (const r of results) {
    const name = `${r.perm.label} (${r.perm.access}; ${r.perm.resource})`;
    if (r.outcome === 'denied') missing.push(`${name}: ${r.perm.usedFor}`);
    if (r.outcome === 'unknown') unsure.push(`${name}: ${(r.err as Error).message}`);
  }
  const problems = [...missing.map((m) => `missing ${m}`), ...unsure.map((u) => `could not check ${u}`)];
  return {
    id: 'permissions',
    status: problems.length ? 'fail' : 'ok',
    summary: problems.length
      ? `${missing.length} missing${unsure.length ? `, ${unsure.length} not checked` : ''}`
      : `all ${STRIPE_PERMISSIONS.length} tried and granted`,
    problems,
    ...(problems.length
      ? {
          fix: 'Edit the restricted key in the Dashboard (Developers → API keys) and grant what is missing, at the access shown.',
        }
      : {}),
  };
}

async function checkCatalog(stripe: Stripe): Promise<Check> {
  const problems: string[] = [];
  const meter = await findApiMeter(stripe);
  if (!meter) problems.push(`no active billing meter for the event "${API_METER.eventName}"`);
  for (const spec of catalogProductSpecs) {
    try {
      const product = await stripe.products.retrieve(spec.id);
      if (!product.active) problems.push(`product ${spec.id} is archived`);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      problems.push(`product ${spec.id} is missing`);
    }
  }
  const prices = await livePrices(stripe);
  for (const spec of catalogPriceSpecs) {
    const price = prices.get(spec.lookupKey);
    if (!price) problems.push(`no active price with lookup key ${spec.lookupKey}`);
    else if (!priceMatches(price, spec, meter?.id ?? null))
      problems.push(`price ${price.id} (${spec.lookupKey}) differs from src/billing/plans.ts`);
  }
  return {
    id: 'catalog',
    status: problems.length ? 'fail' : 'ok',
    summary: problems.length
      ? `${problems.length} problem${problems.length === 1 ? '' : 's'}`
      : `${catalogProductSpecs.length} products, ${catalogPriceSpecs.length} prices and the meter match src/billing/plans.ts`,
    problems,
    ...(problems.length ? { fix: 'npm run stripe:catalog (or stripe:doctor --fix)' } : {}),
  };
}

async function checkPortal(stripe: Stripe): Promise<Check> {
  const fix = 'npm run stripe:doctor -- --fix (or npm run stripe:catalog) creates or corrects it from src/billing/portal.ts';
  const cfg = await findPortalConfiguration(stripe);
  if (!cfg)
    return {
      id: 'portal',
      status: 'fail',
      summary: "no DropIn customer portal configuration: 'Manage billing' would fail",
      problems: ['Stripe refuses portal sessions until a configuration exists'],
      fix,
    };
  const problems = portalDifferences(cfg, portalConfigurationParams(await livePrices(stripe)));
  return {
    id: 'portal',
    status: problems.length ? 'fail' : 'ok',
    summary: problems.length
      ? `configuration ${cfg.id} differs from DropIn's`
      : `configuration ${cfg.id} matches src/billing/portal.ts`,
    problems,
    ...(problems.length ? { fix } : {}),
  };
}

function webhookUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/$/, '')}/webhooks/stripe`;
}

async function checkWebhook(stripe: Stripe, publicUrl: string): Promise<Check> {
  const url = webhookUrl(publicUrl);
  const fix = `In the Dashboard (Developers → Webhooks), have one enabled endpoint for ${url} with API version ${Stripe.API_VERSION} and these events: ${HANDLED_EVENT_TYPES.join(', ')}.`;
  const endpoints: Stripe.WebhookEndpoint[] = [];
  for await (const we of stripe.webhookEndpoints.list({ limit: 100 })) if (we.url === url) endpoints.push(we);
  const enabled = endpoints.filter((we) => we.status === 'enabled');
  if (!enabled.length)
    return {
      id: 'webhook',
      status: 'fail',
      summary: endpoints.length ? `the endpoint for ${url} is disabled` : `no webhook endpoint for ${url}`,
      problems: ['without it the app learns of changes made outside it only at the nightly reconcile'],
      fix,
    };
  const problems: string[] = [];
  for (const we of enabled) {
    const missing = missingEventTypes(we.enabled_events);
    if (missing.length) problems.push(`${we.id} does not send ${missing.join(', ')}`);
  }
  const warnings: string[] = [];
  if (enabled.length > 1)
    warnings.push(`${enabled.length} endpoints for ${url}: each event arrives more than once (the inbox keeps one)`);
  if (!url.startsWith('https://')) warnings.push(`${url} is not HTTPS`);
  return {
    id: 'webhook',
    status: problems.length ? 'fail' : warnings.length ? 'warn' : 'ok',
    summary: problems.length
      ? `the endpoint for ${url} misses events DropIn handles`
      : `${enabled.map((we) => we.id).join(', ')} sends every event DropIn handles`,
    problems: [...problems, ...warnings],
    ...(problems.length || warnings.length ? { fix } : {}),
  };
}

/**
 * Stripe reports meter events it could not apply only as v2 thin events, to an event destination:
 * without one, unbilled overage goes unnoticed (a warning: nothing else depends on it).
 */
async function checkEventDestination(stripe: Stripe, publicUrl: string): Promise<Check> {
  const url = `${webhookUrl(publicUrl)}/events`;
  const fix = `In the Dashboard (Developers → Webhooks → Add destination), add an event destination for ${url} with a thin payload and the events ${HANDLED_THIN_EVENT_TYPES.join(', ')}; put its signing secret in STRIPE_EVENTS_WEBHOOK_SECRET.`;
  const list = await stripe.v2.core.eventDestinations.list({ include: ['webhook_endpoint.url'] });
  const mine = list.data.filter((ed) => ed.status === 'enabled' && ed.webhook_endpoint?.url === url);
  const covering = mine.filter((ed) => HANDLED_THIN_EVENT_TYPES.every((t) => ed.enabled_events.includes(t)));
  if (!covering.length)
    return {
      id: 'events',
      status: 'warn',
      summary: mine.length ? `the event destination for ${url} misses events` : `no event destination for ${url}`,
      problems: ['meter events Stripe cannot apply would go unnoticed: that overage is not billed'],
      fix,
    };
  return { id: 'events', status: 'ok', summary: `${covering[0]!.id} sends ${HANDLED_THIN_EVENT_TYPES.join(', ')}`, problems: [] };
}

/**
 * The SDK pins the version of every API call; webhook payloads come in the endpoint's version (the
 * account's default when the endpoint names none). The app reads only ids from payloads and fetches
 * the state through the API, so a different version is a warning, not a blocker.
 */
async function checkApiVersion(stripe: Stripe, publicUrl: string): Promise<Check> {
  const sdk = Stripe.API_VERSION;
  const problems: string[] = [];
  const url = webhookUrl(publicUrl);
  for await (const we of stripe.webhookEndpoints.list({ limit: 100 })) {
    if (we.url === url && we.api_version && we.api_version !== sdk)
      problems.push(`endpoint ${we.id} sends events in ${we.api_version}`);
  }
  const latest = (await stripe.events.list({ limit: 1 })).data[0];
  if (latest?.api_version && latest.api_version !== sdk)
    problems.push(`the account's events are rendered in ${latest.api_version} (its default API version)`);
  return {
    id: 'api-version',
    status: problems.length ? 'warn' : 'ok',
    summary: `the stripe SDK pins ${sdk}`,
    problems,
    ...(problems.length
      ? { fix: `Set the webhook endpoint's API version to ${sdk} (or upgrade the account's default in Workbench).` }
      : {}),
  };
}
