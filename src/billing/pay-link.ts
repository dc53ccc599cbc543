// The "update card and pay" link in every dunning email:
// /billing/pay/<invoice>?u=<user>&e=<expiry>&sig=<HMAC>. One click opens the billing portal's card
// form, where a new card also pays what is owed, and returns to the billing page; a paid or voided
// invoice sends the reader to their billing page instead. The signature binds the invoice, the
// account it was sent to and an expiry (14 days), and the link is honoured only while that account
// may use credentials and the invoice is still its customer's, like the hosted invoice link Stripe
// itself emails. Its key is derived for this purpose alone (HKDF, its own label) from the webhook
// secret, which is stable across processes and restarts and set wherever Stripe is; a new webhook
// secret retires old links.
import { createHmac, hkdfSync } from 'node:crypto';
import type { AppDeps } from '../deps';
import { credentialAllowed } from '../auth/account-state';
import { safeEqual } from '../lib/ids';
import { withStripeErrors } from './errors';
import { AppError } from '../lib/errors';
import { portalConfigurationId } from './portal';

type LinkEnv = { PUBLIC_URL: string; STRIPE_WEBHOOK_SECRET?: string | undefined };

/** How long a link in an email works: past Stripe's retries, which end within a few weeks. */
export const PAY_LINK_TTL_MS = 14 * 86_400_000;

const keys = new Map<string, Buffer>();

function keyOf(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, 'dropin', 'dropin/billing/pay-link/v2', 32));
    keys.set(secret, key);
  }
  return key;
}

function sign(env: LinkEnv, link: { invoiceId: string; userId: string; expires: number }): string | null {
  if (!env.STRIPE_WEBHOOK_SECRET) return null;
  return createHmac('sha256', keyOf(env.STRIPE_WEBHOOK_SECRET))
    .update(`pay\n${link.invoiceId}\n${link.userId}\n${link.expires}`)
    .digest('base64url');
}

/**
 * The link for an invoice emailed to `userId`, or null where billing has no webhook secret (the
 * email then links the invoice).
 */
export function payLink(env: LinkEnv, opts: { invoiceId: string; userId: string; now?: Date }): string | null {
  const expires = Math.floor(((opts.now ?? new Date()).getTime() + PAY_LINK_TTL_MS) / 1000);
  const sig = sign(env, { invoiceId: opts.invoiceId, userId: opts.userId, expires });
  if (!sig) return null;
  const query = new URLSearchParams({ u: opts.userId, e: String(expires), sig });
  return `${env.PUBLIC_URL}/billing/pay/${encodeURIComponent(opts.invoiceId)}?${query}`;
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
  const now = opts.now ?? new Date();
  const expires = Number(opts.expires);
  if (!opts.userId || !opts.sig || !Number.isSafeInteger(expires)) return { ok: true, url: billing };
  const expected = sign(deps.env, { invoiceId: opts.invoiceId, userId: opts.userId, expires });
  if (!expected || !safeEqual(expected, opts.sig) || expires * 1000 <= now.getTime()) return { ok: true, url: billing };
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
