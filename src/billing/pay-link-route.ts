// GET /billing/pay/:invoiceId — the dunning email's "update card and pay" link (billing/pay-link.ts
// makes and checks it; following it needs the account's state, which is the server's alone).
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env';
import type { AppDeps, ServerDeps } from '../deps';
import { credentialAllowed } from '../auth/account-state';
import { jsonError } from '../http/errors';
import { AppError } from '../lib/errors';
import { withStripeErrors } from './errors';
import { payLinkValid } from './pay-link';
import { portalConfigurationId } from './portal';

export function payLinkRoutes(deps: ServerDeps) {
  const app = new Hono<AppEnv>();
  app.get('/:invoiceId', async (c) => {
    c.header('Cache-Control', 'private, no-store');
    c.header('Referrer-Policy', 'no-referrer');
    const invoiceId = c.req.param('invoiceId');
    if (!/^in_[A-Za-z0-9_]{1,200}$/.test(invoiceId)) return jsonError(c, 404, 'This invoice no longer exists.');
    const target = await followPayLink(deps, {
      invoiceId,
      userId: c.req.query('u'),
      expires: c.req.query('e'),
      sig: c.req.query('sig'),
    });
    if (!target.ok) return jsonError(c, target.status, target.message);
    return c.redirect(target.url, 303);
  });
  return app;
}

export type PayLinkTarget = { ok: true; url: string } | { ok: false; status: 404; message: string };

/**
 * Where a pay link leads now: the portal's card form while the invoice is open; the billing page
 * (behind the login) once it is settled, or when the link is not one we signed, has expired, names
 * an account that may no longer sign in, or an invoice no longer that account's customer's.
 */
export async function followPayLink(
  deps: AppDeps,
  opts: { invoiceId: string; userId: string | undefined; expires: string | undefined; sig: string | undefined; now?: Date },
): Promise<PayLinkTarget> {
  const billing = `${deps.env.PUBLIC_URL}/app/billing`;
  if (!payLinkValid(deps.env, opts)) return { ok: true, url: billing };
  const user = await deps.db.c.users.findOne({ _id: opts.userId }, { projection: { disabled: 1, stripeCustomerId: 1 } });
  if (!credentialAllowed(user) || !user?.stripeCustomerId) return { ok: true, url: billing };
  const stripe = deps.stripe;
  if (!stripe) throw new AppError('UNAVAILABLE', 'Billing is not configured on this server.');
  const invoice = await withStripeErrors(() => stripe.invoices.retrieve(opts.invoiceId)).catch(() => null);
  if (!invoice?.customer) return { ok: false, status: 404, message: 'This invoice no longer exists.' };
  const customer = typeof invoice.customer === 'string' ? invoice.customer : invoice.customer.id;
  if (customer !== user.stripeCustomerId || invoice.status !== 'open') return { ok: true, url: billing };
  // DropIn's configuration (the account's default if the catalog push has not made one), opened on
  // the card form and returning to the billing page once a card is saved.
  const configuration = await withStripeErrors(() => portalConfigurationId(stripe));
  const session = await withStripeErrors(() =>
    stripe.billingPortal.sessions.create({
      customer,
      return_url: billing,
      ...(configuration ? { configuration } : {}),
      flow_data: {
        type: 'payment_method_update',
        after_completion: { type: 'redirect', redirect: { return_url: billing } },
      },
    }),
  );
  return { ok: true, url: session.url };
}
