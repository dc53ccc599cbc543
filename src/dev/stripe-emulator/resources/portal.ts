// Billing portal: configurations (what the portal lets a customer do) and sessions (a link to the
// emulator's hosted portal page for one customer).
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../list.js';
import { listFields, p, parse, required } from '../params.js';
import type { Router } from '../router.js';
import { mergeMetadata, mustGet } from './common.js';

interface ConfigParams {
  business_profile?: { headline?: string | null; privacy_policy_url?: string | null; terms_of_service_url?: string | null };
  default_return_url?: string | null;
  features?: {
    customer_update?: { enabled?: boolean; allowed_updates?: string[] };
    invoice_history?: { enabled?: boolean };
    payment_method_update?: { enabled?: boolean };
    subscription_cancel?: {
      enabled?: boolean;
      mode?: string;
      proration_behavior?: string;
      cancellation_reason?: { enabled?: boolean; options?: string[] };
    };
    subscription_update?: {
      enabled?: boolean;
      default_allowed_updates?: string[];
      proration_behavior?: string;
      products?: { product: string; prices: string[] }[];
    };
  };
  metadata?: Record<string, string | null>;
  name?: string | null;
  active?: boolean;
  login_page?: { enabled?: boolean };
}

const configFields = {
  business_profile: p.obj({ headline: p.str, privacy_policy_url: p.str, terms_of_service_url: p.str }),
  default_return_url: p.str,
  features: p.obj({
    customer_update: p.obj({ enabled: p.bool, allowed_updates: p.or(p.arr(p.str), p.str) }),
    invoice_history: p.obj({ enabled: p.bool }),
    payment_method_update: p.obj({ enabled: p.bool, payment_method_configuration: p.str }),
    subscription_cancel: p.obj({
      enabled: p.bool,
      mode: p.enum('at_period_end', 'immediately'),
      proration_behavior: p.enum('always_invoice', 'create_prorations', 'none'),
      cancellation_reason: p.obj({ enabled: p.bool, options: p.or(p.arr(p.str), p.str) }),
    }),
    subscription_pause: p.any,
    subscription_update: p.obj({
      enabled: p.bool,
      default_allowed_updates: p.or(p.arr(p.str), p.str),
      proration_behavior: p.enum('always_invoice', 'create_prorations', 'none'),
      products: p.or(p.arr(p.obj({ product: p.str, prices: p.arr(p.str), adjustable_quantity: p.any })), p.str),
      billing_cycle_anchor: p.str,
      schedule_at_period_end: p.any,
      trial_update_behavior: p.str,
    }),
  }),
  metadata: p.meta,
  name: p.str,
  login_page: p.obj({ enabled: p.bool }),
};

function applyConfig(cfg: Stripe.BillingPortal.Configuration, body: ConfigParams): void {
  if (body.business_profile) cfg.business_profile = { ...cfg.business_profile, ...body.business_profile };
  if (body.default_return_url !== undefined) cfg.default_return_url = body.default_return_url;
  if (body.name !== undefined) cfg.name = body.name;
  if (body.active !== undefined) cfg.active = body.active;
  if (body.metadata !== undefined) cfg.metadata = mergeMetadata(cfg.metadata, body.metadata);
  if (body.login_page?.enabled !== undefined)
    cfg.login_page = {
      enabled: body.login_page.enabled,
      url: body.login_page.enabled ? `https://billing.stripe.com/p/login/test_${cfg.id.slice(4, 16)}` : null,
    };
  const f = body.features;
  if (!f) return;
  const cur = cfg.features;
  if (f.customer_update)
    cur.customer_update = {
      enabled: f.customer_update.enabled ?? cur.customer_update.enabled,
      allowed_updates: f.customer_update.allowed_updates ?? cur.customer_update.allowed_updates,
    };
  if (f.invoice_history) cur.invoice_history = { enabled: f.invoice_history.enabled ?? cur.invoice_history.enabled };
  if (f.payment_method_update)
    cur.payment_method_update = {
      enabled: f.payment_method_update.enabled ?? cur.payment_method_update.enabled,
      payment_method_configuration: null,
    };
  if (f.subscription_cancel) {
    const c = f.subscription_cancel;
    cur.subscription_cancel = {
      enabled: c.enabled ?? cur.subscription_cancel.enabled,
      mode: c.mode ?? cur.subscription_cancel.mode,
      proration_behavior: c.proration_behavior ?? cur.subscription_cancel.proration_behavior,
      cancellation_reason: c.cancellation_reason
        ? {
            enabled: c.cancellation_reason.enabled ?? false,
            options: c.cancellation_reason.options ?? [],
            feedback_options: null,
          }
        : cur.subscription_cancel.cancellation_reason,
    };
  }
  if (f.subscription_update) {
    const u = f.subscription_update;
    cur.subscription_update = {
      ...cur.subscription_update,
      enabled: u.enabled ?? cur.subscription_update.enabled,
      default_allowed_updates: u.default_allowed_updates ?? cur.subscription_update.default_allowed_updates,
      proration_behavior: u.proration_behavior ?? cur.subscription_update.proration_behavior,
      products: u.products
        ? u.products.map((x) => ({
            product: x.product,
            prices: x.prices,
            adjustable_quantity: { enabled: false, maximum: null, minimum: 1 },
          }))
        : cur.subscription_update.products,
    };
  }
}

function newConfiguration(emu: Emulator, body: ConfigParams, isDefault: boolean): Stripe.BillingPortal.Configuration {
  const now = Math.floor(Date.now() / 1000);
  const cfg = {
    id: newId('bpc'),
    object: 'billing_portal.configuration',
    active: true,
    application: null,
    business_profile: { headline: null, privacy_policy_url: null, terms_of_service_url: null },
    created: now,
    default_return_url: null,
    features: {
      customer_update: { allowed_updates: [], enabled: false },
      invoice_history: { enabled: true },
      payment_method_update: { enabled: true, payment_method_configuration: null },
      subscription_cancel: {
        cancellation_reason: { enabled: false, feedback_options: null, options: [] },
        enabled: true,
        mode: 'at_period_end',
        proration_behavior: 'none',
      },
      subscription_pause: { duration: { interval_options: [], type: 'indefinite' }, enabled: false },
      subscription_update: {
        billing_cycle_anchor: null,
        default_allowed_updates: [],
        enabled: false,
        products: [],
        proration_behavior: 'create_prorations',
        schedule_at_period_end: { conditions: [] },
        trial_update_behavior: 'end_trial',
      },
    },
    is_default: isDefault,
    livemode: false,
    login_page: { enabled: false, url: null },
    metadata: {},
    name: null,
    updated: now,
  } satisfies Stripe.BillingPortal.Configuration;
  applyConfig(cfg, body);
  emu.state.portalConfigurations.set(cfg);
  emu.emit('billing_portal.configuration.created', cfg);
  return cfg;
}

/**
 * The configuration a session uses: the one asked for, or the account's default. An account has a
 * default only once its portal settings are saved in the Dashboard (`saveDefaultPortalConfiguration`
 * here); until then Stripe refuses sessions that name no configuration.
 */
/**
 * A session's flow from `flow_data`: the payment method update flow (the one DropIn uses) opens the
 * card form and, with `after_completion.type=redirect`, sends the customer to its return_url once a
 * card is saved. Other flow types are refused, as an unmodelled feature should be.
 */
function portalFlow(data: unknown): Stripe.BillingPortal.Session.Flow | null {
  if (data === undefined) return null;
  const f = data as { type?: string; after_completion?: { type?: string; redirect?: { return_url?: string } } };
  if (f.type !== 'payment_method_update')
    throw invalidRequest(`The emulator supports flow_data[type]=payment_method_update only, not ${String(f.type)}.`, {
      param: 'flow_data[type]',
    });
  const after = f.after_completion?.type ?? 'portal_homepage';
  if (!['redirect', 'portal_homepage', 'hosted_confirmation'].includes(after))
    throw invalidRequest(`Invalid flow_data[after_completion][type]: ${after}`, { param: 'flow_data[after_completion][type]' });
  const returnUrl = f.after_completion?.redirect?.return_url;
  if (after === 'redirect' && !(returnUrl && /^https?:\/\//.test(returnUrl)))
    throw invalidRequest('Not a valid URL', { param: 'flow_data[after_completion][redirect][return_url]', code: 'url_invalid' });
  return {
    type: 'payment_method_update',
    after_completion: {
      type: after as Stripe.BillingPortal.Session.Flow.AfterCompletion.Type,
      redirect: after === 'redirect' ? { return_url: returnUrl as string } : null,
      hosted_confirmation: after === 'hosted_confirmation' ? { custom_message: null } : null,
    },
    customer_update: null,
    subscription_cancel: null,
    subscription_pause: null,
    subscription_update: null,
    subscription_update_confirm: null,
  } as Stripe.BillingPortal.Session.Flow;
}

export function portalConfiguration(
  emu: Emulator,
  id?: string | Stripe.BillingPortal.Configuration,
): Stripe.BillingPortal.Configuration {
  if (id) return mustGet(emu.state.portalConfigurations, typeof id === 'string' ? id : id.id, 'configuration');
  for (const cfg of emu.state.portalConfigurations.values()) if (cfg.is_default) return cfg;
  throw invalidRequest(
    'No configuration provided and your test mode default configuration has not been created. Provide a configuration or create your default by saving your customer portal settings in test mode at https://dashboard.stripe.com/test/settings/billing/portal.',
  );
}

/** What saving the portal settings in the Dashboard does: the account's default configuration. */
export function saveDefaultPortalConfiguration(emu: Emulator): Stripe.BillingPortal.Configuration {
  for (const cfg of emu.state.portalConfigurations.values()) if (cfg.is_default) return cfg;
  return newConfiguration(emu, {}, true);
}

export function registerPortal(router: Router): void {
  router.post('/v1/billing_portal/configurations', ({ emu, raw }) =>
    newConfiguration(emu, parse<ConfigParams>(configFields, raw), false),
  );

  router.get('/v1/billing_portal/configurations/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.portalConfigurations, params.id, 'configuration');
  });

  router.post('/v1/billing_portal/configurations/:id', ({ emu, params, raw }) => {
    const body = parse<ConfigParams>({ ...configFields, active: p.bool }, raw);
    const cfg = mustGet(emu.state.portalConfigurations, params.id, 'configuration');
    applyConfig(cfg, body);
    cfg.updated = Math.floor(Date.now() / 1000);
    emu.emit('billing_portal.configuration.updated', cfg);
    return cfg;
  });

  router.get('/v1/billing_portal/configurations', ({ emu, raw, path }) => {
    const q = parse<{ limit?: number; starting_after?: string; ending_before?: string; active?: boolean; is_default?: boolean }>(
      { ...listFields, active: p.bool, is_default: p.bool },
      raw,
    );
    const items = emu.state.portalConfigurations.newestFirst(
      (c) => (q.active === undefined || c.active === q.active) && (q.is_default === undefined || c.is_default === q.is_default),
    );
    return paginate(items, q, path);
  });

  router.post('/v1/billing_portal/sessions', ({ emu, raw }) => {
    const body = parse<{ customer?: string; return_url?: string; configuration?: string; locale?: string; flow_data?: unknown }>(
      {
        customer: p.str,
        customer_account: p.str,
        return_url: p.str,
        configuration: p.str,
        locale: p.str,
        on_behalf_of: p.str,
        flow_data: p.any,
        after_expiration: p.any,
      },
      raw,
    );
    const customer = mustGet(emu.state.customers, required(body, 'customer'), 'customer');
    const configuration = portalConfiguration(emu, body.configuration);
    const returnUrl = body.return_url ?? configuration.default_return_url;
    if (returnUrl && !/^https?:\/\//.test(returnUrl))
      throw invalidRequest('Not a valid URL', { param: 'return_url', code: 'url_invalid' });
    const id = newId('bps');
    const flow = portalFlow(body.flow_data);
    const session = {
      id,
      object: 'billing_portal.session',
      configuration: configuration.id,
      created: emu.now(customer.id),
      customer: customer.id,
      customer_account: null,
      flow,
      livemode: false,
      locale: (body.locale as Stripe.BillingPortal.Session.Locale | undefined) ?? null,
      on_behalf_of: null,
      return_url: returnUrl ?? null,
      url: `${emu.baseUrl}/p/session/${id}`,
    } satisfies Stripe.BillingPortal.Session;
    emu.state.portalSessions.set(session);
    emu.emit('billing_portal.session.created', session, { customer: customer.id });
    return session;
  });
}
