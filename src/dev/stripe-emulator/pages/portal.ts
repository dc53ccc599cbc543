// The hosted billing portal (`/p/session/:id`): current plans, cancel or renew at period end,
// update the card (which also retries what is owed), invoice history, and the way back to the app.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import type { PageRequest, PageResponse } from '../http.js';
import { cancelSubscriptionNow, periodOf, productName } from '../engine/billing.js';
import { chargeOutcome } from '../engine/invoices.js';
import { formatDate, formatMoney } from '../engine/time.js';
import { idOf } from '../resources/common.js';
import { attachPaymentMethod, createCardPaymentMethod, TEST_CARDS } from '../resources/paymentMethods.js';
import { payInvoice } from '../resources/invoices.js';
import { updateSubscription } from '../resources/subscriptions.js';
import { updateCustomer } from '../resources/customers.js';
import { portalConfiguration } from '../resources/portal.js';
import { StripeApiError } from '../errors.js';
import { authenticatePage, cardFields, esc, html, page, readCard, redirect } from './layout.js';

function statusText(_emu: Emulator, sub: Stripe.Subscription): string {
  const { end } = periodOf(sub);
  if (sub.cancel_at) return `Cancels on ${formatDate(sub.cancel_at)}`;
  if (sub.status === 'trialing') return `Trial ends on ${formatDate(sub.trial_end ?? end)}`;
  if (sub.status === 'past_due') return 'Payment failed — update your card to keep your plan';
  if (sub.status === 'unpaid') return 'Unpaid — update your card to restore your plan';
  if (sub.status === 'incomplete') return 'Waiting for the first payment';
  return `Renews on ${formatDate(end)}`;
}

function render(emu: Emulator, session: Stripe.BillingPortal.Session, notice: string | null): PageResponse {
  const customer = emu.state.customers.get(session.customer);
  if (!customer) return html(page('Not found', '<section class="card"><h1>Customer not found</h1></section>'), 404);
  const subs = emu.state.subscriptions.newestFirst(
    (s) => idOf(s.customer as string) === customer.id && s.status !== 'canceled' && s.status !== 'incomplete_expired',
  );
  const pmId =
    idOf(customer.invoice_settings.default_payment_method as string) ?? idOf(subs[0]?.default_payment_method as string);
  const pm = pmId ? emu.state.paymentMethods.get(pmId) : undefined;
  const invoices = emu.state.invoices
    .newestFirst((i) => idOf(i.customer as string) === customer.id && i.status !== 'draft')
    .slice(0, 24);
  const base = `/p/session/${esc(session.id)}`;
  const cfg = portalConfiguration(emu, session.configuration as string);
  const { subscription_cancel: cancelFeature, subscription_update: updateFeature } = cfg.features;
  const switchOptions = (sub: Stripe.Subscription): string => {
    if (!updateFeature.enabled || !updateFeature.default_allowed_updates.includes('price')) return '';
    const current = sub.items.data[0]!.price.id;
    const prices = (updateFeature.products ?? []).flatMap((x) => x.prices).filter((id) => id !== current);
    return prices
      .map((id) => emu.state.prices.get(id))
      .filter((price): price is Stripe.Price => Boolean(price?.active))
      .map(
        (
          price,
        ) => `<form method="post" action="${base}/switch" class="inline"><input type="hidden" name="subscription" value="${esc(sub.id)}">
<input type="hidden" name="price" value="${esc(price.id)}"><button class="button secondary" type="submit">Switch to ${esc(productName(emu, price))} (${formatMoney(price.unit_amount ?? 0, price.currency)} / ${esc(price.recurring?.interval ?? 'month')})</button></form> `,
      )
      .join('');
  };
  const cancelButton = (sub: Stripe.Subscription): string => {
    if (!cancelFeature.enabled) return '';
    const renew = sub.cancel_at_period_end;
    return `<form method="post" action="${base}/${renew ? 'renew' : 'cancel'}" class="inline">
<input type="hidden" name="subscription" value="${esc(sub.id)}">
<button class="button ${renew ? 'secondary' : 'danger'}" type="submit">${renew ? 'Renew plan' : 'Cancel plan'}</button></form>`;
  };
  const plans = subs.length
    ? subs
        .map((sub) => {
          const item = sub.items.data[0]!;
          const amount = formatMoney((item.price.unit_amount ?? 0) * (item.quantity ?? 1), item.price.currency);
          return `<div class="card" style="margin-bottom:1rem"><h3 style="margin:0">${esc(productName(emu, item.price))}</h3>
<p class="price">${amount} <span class="muted" style="font-size:1rem">per ${esc(item.price.recurring?.interval ?? 'month')}</span></p>
<p><span class="status">${esc(sub.status)}</span> ${esc(statusText(emu, sub))}</p>
${switchOptions(sub)}${cancelButton(sub)}</div>`;
        })
        .join('')
    : '<p>No active plans.</p>';
  const rows = invoices
    .map(
      (
        i,
      ) => `<tr><td>${formatDate(i.created)}</td><td class="num">${formatMoney(i.total, i.currency)}</td><td><span class="status">${esc(i.status)}</span></td>
<td>${i.hosted_invoice_url ? `<a href="/i/${esc(i.id)}">View invoice ${esc(i.number ?? '')}</a>` : ''}</td></tr>`,
    )
    .join('');
  const body = `<section>
${session.return_url ? `<p><a href="${esc(session.return_url)}">← Return to DropIn</a></p>` : ''}
<h1>Billing for ${esc(customer.name ?? customer.email ?? customer.id)}</h1>
${cfg.business_profile.headline ? `<p class="muted">${esc(cfg.business_profile.headline)}</p>` : ''}
${notice ? `<div class="notice" role="status">${esc(notice)}</div>` : ''}
<h2>Current plan</h2>${plans}
${
  cfg.features.payment_method_update.enabled
    ? `<div class="card" style="margin-bottom:1rem"><h2>Payment method</h2>
<p>${pm?.card ? `${esc(pm.card.brand[0]!.toUpperCase() + pm.card.brand.slice(1))} •••• ${esc(pm.card.last4)} · Expires ${String(pm.card.exp_month).padStart(2, '0')}/${String(pm.card.exp_year).slice(-2)}` : 'No payment method on file.'}</p>
<form method="get" action="${base}/payment-method" class="inline"><button class="button secondary" type="submit">Update payment method</button></form></div>`
    : ''
}
${cfg.features.invoice_history.enabled ? `<div class="card"><h2>Invoice history</h2>${rows ? `<table><thead><tr><th>Date</th><th class="num">Amount</th><th>Status</th><th><span class="muted">Invoice</span></th></tr></thead><tbody>${rows}</tbody></table>` : '<p>No invoices yet.</p>'}</div>` : ''}
</section>`;
  return html(page('Billing', body));
}

function paymentMethodForm(
  session: Stripe.BillingPortal.Session,
  values: Record<string, unknown>,
  error: string | null,
): PageResponse {
  const base = `/p/session/${esc(session.id)}`;
  return html(
    page(
      'Update payment method',
      `<section class="card" aria-labelledby="pm-title"><p><a href="${base}">← Back</a></p><h1 id="pm-title">Update payment method</h1>
<form method="post" action="${base}/payment-method" novalidate>${cardFields(values, error)}
<button class="primary" type="submit">Save card</button></form></section>`,
    ),
  );
}

function savePaymentMethod(
  emu: Emulator,
  session: Stripe.BillingPortal.Session,
  form: Record<string, unknown>,
  authenticated: boolean,
): PageResponse {
  const card = readCard(form);
  if (!card.ok) return paymentMethodForm(session, form, card.error);
  const behavior = TEST_CARDS[card.number]?.behavior;
  if ((behavior === 'auth_setup' || behavior === 'auth_always') && !authenticated) {
    return html(
      authenticatePage(
        `/p/session/${session.id}/payment-method/authenticate`,
        { card_number: form.card_number, expiry: form.expiry, cvc: form.cvc, name: form.name },
        'saving your card',
      ),
    );
  }
  const customer = emu.state.customers.get(session.customer)!;
  const pm = createCardPaymentMethod(emu, card.number, {
    expMonth: card.expMonth,
    expYear: card.expYear,
    name: card.name,
    email: customer.email,
    created: emu.now(customer.id),
  });
  try {
    attachPaymentMethod(emu, pm, customer.id);
  } catch (err) {
    if (err instanceof StripeApiError) return paymentMethodForm(session, { ...form, card_number: '' }, err.body.message);
    throw err;
  }
  updateCustomer(emu, customer, { invoice_settings: { default_payment_method: pm.id } });
  for (const sub of emu.state.subscriptions.values()) {
    if (idOf(sub.customer as string) === customer.id && !['canceled', 'incomplete_expired'].includes(sub.status)) {
      updateSubscription(emu, sub, { default_payment_method: pm.id });
    }
  }
  // Like the real portal, a new card immediately pays what is owed.
  let notice = 'Your payment method was updated.';
  for (const inv of emu.state.invoices.newestFirst(
    (i) => idOf(i.customer as string) === customer.id && i.status === 'open' && i.amount_remaining > 0,
  )) {
    if (!chargeOutcome(emu, pm.id, true).ok) break;
    try {
      payInvoice(emu, inv, { paymentMethod: pm.id, onSession: true });
      notice = 'Your payment method was updated and your outstanding invoice was paid.';
    } catch {
      notice = 'Your payment method was updated, but paying the outstanding invoice failed.';
    }
  }
  // A payment method update flow that redirects on completion leaves the portal here.
  const done = session.flow?.after_completion.redirect?.return_url;
  if (session.flow?.type === 'payment_method_update' && done) return redirect(done);
  return redirect(`/p/session/${session.id}?notice=${encodeURIComponent(notice)}`);
}

export function portalPages(emu: Emulator, req: PageRequest): PageResponse | null {
  const m = /^\/p\/session\/([^/]+)(?:\/(cancel|renew|switch|payment-method)(\/authenticate)?)?$/.exec(req.path);
  if (!m) return null;
  const session = emu.state.portalSessions.get(decodeURIComponent(m[1]!));
  if (!session) return html(page('Not found', '<section class="card"><h1>This billing session has expired</h1></section>'), 404);
  const action = m[2];
  // A payment method update flow opens on the card form rather than the portal's home.
  if (!action && req.method === 'GET' && session.flow?.type === 'payment_method_update' && !req.query.notice)
    return paymentMethodForm(session, {}, null);
  if (!action && req.method === 'GET') return render(emu, session, req.query.notice ? String(req.query.notice) : null);
  if (action === 'payment-method') {
    if (req.method === 'GET') return paymentMethodForm(session, {}, null);
    if (m[3]) {
      if (req.form.decision !== 'complete')
        return paymentMethodForm(
          session,
          { ...req.form, card_number: '' },
          'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
        );
      return savePaymentMethod(emu, session, req.form, true);
    }
    return savePaymentMethod(emu, session, req.form, false);
  }
  if ((action === 'cancel' || action === 'renew' || action === 'switch') && req.method === 'POST') {
    const sub = emu.state.subscriptions.get(String(req.form.subscription ?? ''));
    if (!sub || idOf(sub.customer as string) !== session.customer)
      return html(page('Not found', '<section class="card"><h1>Plan not found</h1></section>'), 404);
    const { subscription_cancel: cancelFeature, subscription_update: updateFeature } = portalConfiguration(
      emu,
      session.configuration as string,
    ).features;
    let notice: string;
    if (action === 'switch') {
      const allowed =
        updateFeature.enabled && (updateFeature.products ?? []).some((x) => x.prices.includes(String(req.form.price)));
      if (!allowed)
        return html(page('Not allowed', '<section class="card"><h1>This plan change is not offered</h1></section>'), 403);
      const price = emu.state.prices.get(String(req.form.price))!;
      updateSubscription(emu, sub, {
        items: [{ id: sub.items.data[0]!.id, price: price.id }],
        proration_behavior: updateFeature.proration_behavior as 'always_invoice' | 'create_prorations' | 'none',
      });
      notice = `Your plan is now ${productName(emu, price)}.`;
    } else if (!cancelFeature.enabled) {
      return html(page('Not allowed', '<section class="card"><h1>Canceling is not offered here</h1></section>'), 403);
    } else if (action === 'cancel' && cancelFeature.mode === 'immediately') {
      cancelSubscriptionNow(emu, sub, {
        reason: 'cancellation_requested',
        prorate: cancelFeature.proration_behavior !== 'none',
        invoiceNow: cancelFeature.proration_behavior === 'always_invoice',
      });
      notice = 'Your plan has been canceled.';
    } else {
      updateSubscription(emu, sub, { cancel_at_period_end: action === 'cancel' });
      notice =
        action === 'cancel'
          ? `Your plan will be canceled on ${formatDate(periodOf(sub).end)}.`
          : 'Your plan will renew as usual.';
    }
    return redirect(`/p/session/${session.id}?notice=${encodeURIComponent(notice)}`);
  }
  return null;
}
