// The hosted Checkout page (`/c/pay/:session`): plan summary, card form, optional promotion code,
// the simulated 3-D Secure step, then the redirect to success_url (or back to cancel_url).
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import type { PageRequest, PageResponse } from '../http.js';
import { productName } from '../engine/billing.js';
import { formatDate, formatMoney } from '../engine/time.js';
import { checkPromotionCode, completeCheckout, lineItemsOf, refreshExpiry } from '../resources/checkout.js';
import { findPromotionCode } from '../resources/discounts.js';
import { idOf } from '../resources/common.js';
import { authenticatePage, cardFields, esc, hiddenFields, html, page, readCard, redirect } from './layout.js';

interface View {
  error?: string | null;
  promoError?: string | null;
  emailError?: string | null;
  values?: Record<string, unknown>;
}

function discountFor(emu: Emulator, code: string | undefined, subtotal: number): { label: string; amount: number } | null {
  if (!code) return null;
  const promo = findPromotionCode(emu, code);
  const coupon = promo ? emu.state.coupons.get(idOf(promo.promotion.coupon as string) ?? '') : undefined;
  if (!promo || !coupon) return null;
  const amount =
    coupon.percent_off !== null ? Math.round((subtotal * coupon.percent_off) / 100) : Math.min(subtotal, coupon.amount_off ?? 0);
  return { label: promo.code, amount };
}

function trialDays(emu: Emulator, session: Stripe.Checkout.Session): number {
  const meta = emu.state.checkoutMeta[session.id];
  if (meta?.trialDays) return meta.trialDays;
  if (meta?.trialEnd) return Math.max(1, Math.round((meta.trialEnd - emu.now(idOf(session.customer as string))) / 86_400));
  return 0;
}

function render(emu: Emulator, session: Stripe.Checkout.Session, view: View = {}): PageResponse {
  const items = lineItemsOf(emu, session);
  const values = view.values ?? {};
  const currency = session.currency ?? 'usd';
  const subtotal = items.reduce((s, li) => s + li.amount_subtotal, 0);
  const trial = trialDays(emu, session);
  const promo = discountFor(emu, values.promotion_code ? String(values.promotion_code) : undefined, subtotal);
  const dueToday = trial ? 0 : subtotal - (promo?.amount ?? 0);
  const interval = items[0]?.price?.recurring?.interval ?? 'month';
  const customer = session.customer ? emu.state.customers.get(idOf(session.customer as string)!) : undefined;
  const needEmail = !customer && !session.customer_email;
  const lines = items
    .map((li) => {
      const price = li.price!;
      const metered = price.recurring?.usage_type === 'metered';
      const every = esc(price.recurring?.interval ?? 'month');
      if (metered) {
        // The usage line names what it charges for and keeps its price short, so neither side wraps
        // into the other on a narrow screen.
        const label = esc(price.nickname ?? `${productName(emu, price)} usage`);
        return `<li><span>${label}<br><small class="muted">Billed each ${every} for what you use</small></span><span class="amount">${formatMoney(price.unit_amount ?? 0, currency)} / unit</span></li>`;
      }
      const label = `${esc(productName(emu, price))}${li.quantity && li.quantity > 1 ? ` × ${li.quantity}` : ''}`;
      return `<li><span>${label}</span><span class="amount">${formatMoney(li.amount_subtotal, currency)} / ${every}</span></li>`;
    })
    .join('');
  // A plan with a usage price has two items on one product: name each product once, and only
  // those of the fixed-price items when there are any.
  const fixed = items.filter((li) => li.price?.recurring?.usage_type !== 'metered');
  const products = esc([...new Set((fixed.length ? fixed : items).map((li) => productName(emu, li.price!)))].join(', '));
  const summary = `<section class="card" aria-labelledby="summary-title">
<p class="muted">DropIn</p>
<h1 id="summary-title">${trial ? `Try ${products}` : `Subscribe to ${products}`}</h1>
${trial ? `<p class="price">${trial} days free</p><p class="muted">Then ${formatMoney(subtotal - (promo?.amount ?? 0), currency)} per ${esc(interval)} starting ${formatDate(emu.now(customer?.id) + trial * 86_400)}</p>` : `<p class="price">${formatMoney(subtotal, currency)} <span class="muted" style="font-size:1rem">per ${esc(interval)}</span></p>`}
<ul class="lines" style="list-style:none;padding:0">${lines}
${promo ? `<li><span>Promotion code ${esc(promo.label)}</span><span>−${formatMoney(promo.amount, currency)}</span></li>` : ''}
<li style="font-weight:600;border-top:1px solid #eaeef2;margin-top:.5rem;padding-top:.6rem"><span>Total due today</span><span>${formatMoney(dueToday, currency)}</span></li></ul>
${session.cancel_url ? `<p><a href="${esc(session.cancel_url)}">← Back to DropIn</a></p>` : ''}
</section>`;
  const promoBlock = session.allow_promotion_codes
    ? `<label for="promotion_code">Promotion code</label>
<div class="row"><div><input id="promotion_code" name="promotion_code" autocomplete="off" value="${esc(values.promotion_code)}"${view.promoError ? ' aria-invalid="true" aria-describedby="promo-error"' : ''}></div>
<div style="flex:0 0 auto"><button class="button secondary" type="submit" name="action" value="apply" formnovalidate>Apply</button></div></div>
${view.promoError ? `<div id="promo-error" class="error" role="alert">${esc(view.promoError)}</div>` : ''}`
    : '';
  const form = `<section class="card" aria-labelledby="pay-title">
<h2 id="pay-title">Pay with card</h2>
<form method="post" action="/c/pay/${esc(session.id)}" novalidate>
<!-- Pressing Enter pays, even though "Apply" comes first in the form (implicit submission uses the first submit button). -->
<button type="submit" name="action" value="pay" class="default-submit" tabindex="-1" aria-hidden="true"></button>
${needEmail ? `<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required value="${esc(values.email)}"${view.emailError ? ' aria-invalid="true"' : ''}>${view.emailError ? `<div class="error" role="alert">${esc(view.emailError)}</div>` : ''}` : `<p class="muted">Paying as ${esc(customer?.email ?? session.customer_email)}</p>`}
${cardFields(values, view.error ?? null)}
${promoBlock}
<button class="primary" type="submit" name="action" value="pay">${trial ? 'Start trial' : 'Subscribe'}</button>
</form></section>`;
  return html(page(trial ? 'Start your trial' : 'Subscribe', summary + form, { split: true }));
}

function closedPage(session: Stripe.Checkout.Session): PageResponse {
  if (session.status === 'complete') {
    const next = session.success_url?.replaceAll('{CHECKOUT_SESSION_ID}', session.id);
    return html(
      page(
        'Already paid',
        `<section class="card"><h1>You're all set</h1><p>This checkout session is complete.</p>${next ? `<p><a class="button secondary" href="${esc(next)}">Continue</a></p>` : ''}</section>`,
      ),
    );
  }
  return html(
    page(
      'Session expired',
      `<section class="card"><h1>This checkout session has expired</h1><p>Start again from DropIn to get a new one.</p>${session.cancel_url ? `<p><a class="button secondary" href="${esc(session.cancel_url)}">Back to DropIn</a></p>` : ''}</section>`,
    ),
    410,
  );
}

function pay(
  emu: Emulator,
  session: Stripe.Checkout.Session,
  form: Record<string, unknown>,
  authenticated: boolean,
): PageResponse {
  const card = readCard(form);
  if (!card.ok) return render(emu, session, { error: card.error, values: form });
  const result = completeCheckout(emu, session, {
    number: card.number,
    expMonth: card.expMonth,
    expYear: card.expYear,
    name: card.name,
    email: form.email ? String(form.email) : undefined,
    promotionCode: form.promotion_code ? String(form.promotion_code) : undefined,
    authenticated,
  });
  if (result.ok) return redirect(result.redirect);
  if ('needsAuthentication' in result) {
    const carry = {
      card_number: form.card_number,
      expiry: form.expiry,
      cvc: form.cvc,
      name: form.name,
      email: form.email,
      promotion_code: form.promotion_code,
    };
    return html(
      authenticatePage(
        `/c/pay/${session.id}/authenticate`,
        carry,
        formatMoney(session.amount_total ?? 0, session.currency ?? 'usd'),
      ),
    );
  }
  if (result.field === 'promo') return render(emu, session, { promoError: result.error, values: form });
  if (result.field === 'email') return render(emu, session, { emailError: result.error, values: form });
  return render(emu, session, { error: result.error, values: form });
}

export function checkoutPages(emu: Emulator, req: PageRequest): PageResponse | null {
  const m = /^\/c\/pay\/([^/]+)(\/authenticate)?$/.exec(req.path);
  if (!m) return null;
  const session = emu.state.checkoutSessions.get(decodeURIComponent(m[1]!));
  if (!session) return html(page('Not found', '<section class="card"><h1>Checkout session not found</h1></section>'), 404);
  refreshExpiry(emu, session);
  if (session.status !== 'open') return closedPage(session);
  if (req.method === 'GET' && !m[2]) return render(emu, session);
  if (req.method !== 'POST') return null;
  const form = req.form;
  if (m[2]) {
    if (form.decision === 'complete') return pay(emu, session, form, true);
    return render(emu, session, {
      error: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
      values: { ...form, card_number: '', cvc: '' },
    });
  }
  if (form.action === 'apply') {
    const code = String(form.promotion_code ?? '').trim();
    const problem = code ? checkPromotionCode(emu, session, code) : 'Enter a promotion code.';
    return render(emu, session, { promoError: problem, values: problem ? { ...form, promotion_code: code } : form });
  }
  return pay(emu, session, form, false);
}

export { hiddenFields };
