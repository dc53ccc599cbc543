// Billing portal sessions: a short-lived link to the emulator's hosted portal page for a customer.
import type Stripe from 'stripe';
import { invalidRequest } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import { p, parse, required } from '../params.js';
import type { Router } from '../router.js';
import { mustGet } from './common.js';

export function registerPortal(router: Router): void {
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
    if (body.return_url && !/^https?:\/\//.test(body.return_url))
      throw invalidRequest('Not a valid URL', { param: 'return_url', code: 'url_invalid' });
    const id = newId('bps');
    const session = {
      id,
      object: 'billing_portal.session',
      configuration: body.configuration ?? `bpc_${randomToken(24)}`,
      created: emu.now(customer.id),
      customer: customer.id,
      customer_account: null,
      flow: null,
      livemode: false,
      locale: (body.locale as Stripe.BillingPortal.Session.Locale | undefined) ?? null,
      on_behalf_of: null,
      return_url: body.return_url ?? null,
      url: `${emu.baseUrl}/p/session/${id}`,
    } satisfies Stripe.BillingPortal.Session;
    emu.state.portalSessions.set(session);
    emu.emit('billing_portal.session.created', session, { customer: customer.id });
    return session;
  });
}
