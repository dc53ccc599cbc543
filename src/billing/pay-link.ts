// The "update card and pay" link in every dunning email:
// /billing/pay/<invoice>?u=<user>&e=<expiry>&sig=<HMAC>. One click opens the billing portal's card
// form, where a new card also pays what is owed, and returns to the billing page; a paid or voided
// invoice sends the reader to their billing page instead. The signature binds the invoice, the
// account it was sent to and an expiry (14 days), and the link is honoured only while that account
// may use credentials and the invoice is still its customer's, like the hosted invoice link Stripe
// itself emails. Its key is derived for this purpose alone (HKDF, its own label) from the webhook
// secret, which is stable across processes and restarts and set wherever Stripe is; a new webhook
// secret retires old links. Following a link: src/billing/pay-link-route.ts.
import { createHmac, hkdfSync } from 'node:crypto';
import { safeEqual } from '../lib/ids';

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

/** Whether a link's parts are ones we signed and it has not expired. */
export function payLinkValid(
  env: LinkEnv,
  link: { invoiceId: string; userId: string | undefined; expires: string | undefined; sig: string | undefined; now?: Date },
): link is { invoiceId: string; userId: string; expires: string; sig: string } {
  const expires = Number(link.expires);
  if (!link.userId || !link.sig || !Number.isSafeInteger(expires)) return false;
  const expected = sign(env, { invoiceId: link.invoiceId, userId: link.userId, expires });
  return !!expected && safeEqual(expected, link.sig) && expires * 1000 > (link.now ?? new Date()).getTime();
}
