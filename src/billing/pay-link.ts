// The "update card and pay" link in every dunning email: /billing/pay/<invoice>?sig=<HMAC>. One
// click opens the customer's billing portal, where a new card also pays what is owed; a paid or
// voided invoice sends the reader to their billing page instead. The signature binds the invoice,
// so a link opens the portal of that invoice's customer only, like the hosted invoice link Stripe
// itself emails. It is keyed from the webhook secret (stable across processes and restarts, set
// wherever Stripe is), so a new webhook secret retires old links.
import { createHmac } from 'node:crypto';
import type { AppDeps } from '../deps';
import { safeEqual } from '../lib/ids';
import { withStripeErrors } from './errors';
import { AppError } from '../lib/errors';
import { portalConfigurationId } from './portal';

type LinkEnv = { PUBLIC_URL: string; STRIPE_WEBHOOK_SECRET?: string | undefined };

function sign(env: LinkEnv, invoiceId: string): string | null {
  if (!env.STRIPE_WEBHOOK_SECRET) return null;
  const key = createHmac('sha256', env.STRIPE_WEBHOOK_SECRET).update('dropin pay link').digest();
  return createHmac('sha256', key).update(invoiceId).digest('base64url');
}

/** The link for an invoice, or null where billing has no webhook secret (the email then links the invoice). */
export function payLink(env: LinkEnv, invoiceId: string): string | null {
  const sig = sign(env, invoiceId);
  return sig ? `${env.PUBLIC_URL}/billing/pay/${encodeURIComponent(invoiceId)}?sig=${sig}` : null;
}

export type PayLinkTarget = { ok: true; url: string } | { ok: false; status: 404; message: string };

/**
 * Where a pay link leads now: the portal while the invoice is open; the billing page (behind the
 * login) once it is settled, or when the link is not one we signed (an old secret, a typo).
 */
export async function followPayLink(deps: AppDeps, opts: { invoiceId: string; sig: string | undefined }): Promise<PayLinkTarget> {
  const billing = `${deps.env.PUBLIC_URL}/app/billing`;
  const expected = sign(deps.env, opts.invoiceId);
  if (!expected || !opts.sig || !safeEqual(expected, opts.sig)) return { ok: true, url: billing };
  const stripe = deps.stripe;
  if (!stripe) throw new AppError('UNAVAILABLE', 'Billing is not configured on this server.');
  const invoice = await withStripeErrors(() => stripe.invoices.retrieve(opts.invoiceId)).catch(() => null);
  if (!invoice?.customer) return { ok: false, status: 404, message: 'This invoice no longer exists.' };
  if (invoice.status !== 'open') return { ok: true, url: billing };
  const customer = typeof invoice.customer === 'string' ? invoice.customer : invoice.customer.id;
  const configuration = await withStripeErrors(() => portalConfigurationId(stripe));
  const session = await withStripeErrors(() =>
    stripe.billingPortal.sessions.create({
      customer,
      ...(configuration ? { configuration } : {}),
      return_url: billing,
      flow_data: { type: 'payment_method_update' },
    }),
  );
  return { ok: true, url: session.url };
}
