// The hosted invoice page (`/i/:id`, with a pay form for open invoices and the invoice's credit
// notes) and its PDF (`/i/:id/pdf`).
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { StripeApiError } from '../errors.js';
import type { PageRequest, PageResponse } from '../http.js';
import { formatDate, formatMoney } from '../engine/time.js';
import { idOf } from '../resources/common.js';
import { payInvoice } from '../resources/invoices.js';
import { attachPaymentMethod, createCardPaymentMethod, TEST_CARDS } from '../resources/paymentMethods.js';
import { authenticatePage, cardFields, esc, html, page, readCard, redirect } from './layout.js';
import { amountRows, renderPdf } from './pdf.js';

const TAX_ID_LABELS: Record<string, string> = {
  eu_vat: 'EU VAT',
  gb_vat: 'GB VAT',
  ch_vat: 'CH VAT',
  no_vat: 'NO VAT',
  us_ein: 'US EIN',
  ca_bn: 'CA BN',
  au_abn: 'AU ABN',
  nz_gst: 'NZ GST',
  in_gst: 'IN GST',
  sg_gst: 'SG GST',
};

/** The "Bill to" block as Stripe prints it: name, address, email, then each tax ID with its type. */
export function billToLines(invoice: Stripe.Invoice): string[] {
  const a = invoice.customer_address;
  const cityLine = a ? [a.postal_code, a.city, a.state].filter(Boolean).join(' ') : '';
  return [
    invoice.customer_name,
    a?.line1,
    a?.line2,
    cityLine,
    a?.country,
    invoice.customer_email,
    ...(invoice.customer_tax_ids ?? []).map((t) => `${TAX_ID_LABELS[t.type] ?? t.type.toUpperCase()} ${t.value}`),
  ].filter((l): l is string => Boolean(l));
}

function render(
  emu: Emulator,
  invoice: Stripe.Invoice,
  values: Record<string, unknown>,
  error: string | null,
  notice: string | null,
): PageResponse {
  const lines = invoice.lines.data
    .map(
      (l) =>
        `<tr><td>${esc(l.description)}<br><span class="muted">${formatDate(l.period.start)} – ${formatDate(l.period.end)}</span></td><td class="num">${formatMoney(l.amount, l.currency)}</td></tr>`,
    )
    .join('');
  const discount = invoice.subtotal - invoice.total;
  const payable = invoice.status === 'open' && invoice.amount_remaining > 0;
  const body = `<section class="card" aria-labelledby="inv-title">
<p class="muted">DropIn</p>
<h1 id="inv-title">Invoice ${esc(invoice.number ?? invoice.id)}</h1>
${notice ? `<div class="notice" role="status">${esc(notice)}</div>` : ''}
<p class="muted">Bill to</p>
<address class="bill-to">${billToLines(invoice).map(esc).join('<br>')}</address>
<p class="price">${formatMoney(invoice.status === 'paid' ? invoice.amount_paid : invoice.amount_remaining, invoice.currency)}</p>
<p><span class="status">${esc(invoice.status)}</span> ${invoice.status === 'paid' && invoice.status_transitions.paid_at ? `Paid on ${formatDate(invoice.status_transitions.paid_at)}` : invoice.status_transitions.finalized_at ? `Issued on ${formatDate(invoice.status_transitions.finalized_at)}` : ''}</p>
<table><thead><tr><th>Description</th><th class="num">Amount</th></tr></thead><tbody>${lines}
${discount ? `<tr><td>Discount</td><td class="num">−${formatMoney(discount, invoice.currency)}</td></tr>` : ''}
<tr><th>Total</th><th class="num">${formatMoney(invoice.total, invoice.currency)}</th></tr></tbody></table>
<p><a href="/i/${esc(invoice.id)}/pdf">Download invoice PDF</a></p></section>
${creditNotesSection(emu, invoice)}
${
  payable
    ? `<section class="card" aria-labelledby="pay-title"><h2 id="pay-title">Pay this invoice</h2>
<form method="post" action="/i/${esc(invoice.id)}" novalidate>${cardFields(values, error)}
<button class="primary" type="submit">Pay ${formatMoney(invoice.amount_remaining, invoice.currency)}</button></form></section>`
    : ''
}`;
  return html(page(`Invoice ${invoice.number ?? invoice.id}`, body, { split: payable }));
}

/** The invoice's credit notes, oldest first, each with its PDF, as Stripe's hosted page lists them. */
function creditNotesSection(emu: Emulator, invoice: Stripe.Invoice): string {
  const notes = [...emu.state.creditNotes.values()]
    .filter((n) => idOf(n.invoice as string) === invoice.id)
    .sort((a, b) => a.created - b.created);
  if (!notes.length) return '';
  const rows = notes
    .map(
      (n) =>
        `<tr><td><a href="/cn/${esc(n.id)}/pdf">${esc(n.number)}</a><br><span class="muted">${formatDate(n.effective_at ?? n.created)}${n.status === 'void' ? ' · voided' : ''}</span></td><td class="num">${n.status === 'void' ? `<s>${formatMoney(n.total, n.currency)}</s>` : `−${formatMoney(n.total, n.currency)}`}</td></tr>`,
    )
    .join('');
  return `<section class="card" aria-labelledby="cn-title"><h2 id="cn-title">Credit notes</h2>
<table><thead><tr><th>Credit note</th><th class="num">Amount</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function pay(emu: Emulator, invoice: Stripe.Invoice, form: Record<string, unknown>, authenticated: boolean): PageResponse {
  const card = readCard(form);
  if (!card.ok) return render(emu, invoice, form, card.error, null);
  const behavior = TEST_CARDS[card.number]?.behavior;
  if ((behavior === 'auth_setup' || behavior === 'auth_always') && !authenticated) {
    return html(
      authenticatePage(
        `/i/${invoice.id}/authenticate`,
        { card_number: form.card_number, expiry: form.expiry, cvc: form.cvc, name: form.name },
        formatMoney(invoice.amount_remaining, invoice.currency),
      ),
    );
  }
  const customerId = idOf(invoice.customer as string)!;
  const pm = createCardPaymentMethod(emu, card.number, {
    expMonth: card.expMonth,
    expYear: card.expYear,
    name: card.name,
    created: emu.now(customerId),
  });
  try {
    attachPaymentMethod(emu, pm, customerId);
    payInvoice(emu, invoice, { paymentMethod: pm.id, onSession: true });
  } catch (err) {
    if (err instanceof StripeApiError) return render(emu, invoice, { ...form, card_number: '' }, err.body.message, null);
    throw err;
  }
  return redirect(`/i/${invoice.id}?paid=1`);
}

export async function invoicePdf(_emu: Emulator, invoice: Stripe.Invoice): Promise<Buffer> {
  return renderPdf({ title: `Invoice ${invoice.number ?? invoice.id}` }, (doc) => {
    doc.fontSize(20).text('Invoice', { continued: false });
    doc.moveDown(0.5).fontSize(10).fillColor('#555');
    doc.text(`Invoice number: ${invoice.number ?? '(draft)'}`);
    doc.text(`Date of issue: ${formatDate(invoice.status_transitions.finalized_at ?? invoice.created)}`);
    doc.text(`Status: ${String(invoice.status)}`);
    doc.moveDown().fillColor('#000').fontSize(11).text('DropIn');
    doc.fontSize(10).text('Bill to');
    for (const line of billToLines(invoice)) doc.text(line);
    doc.moveDown();
    doc.fontSize(10);
    amountRows(
      doc,
      invoice.lines.data.map((line) => [line.description ?? '', formatMoney(line.amount, line.currency)] as const),
    );
    doc.moveDown();
    const discount = invoice.subtotal - invoice.total;
    doc.text(`Subtotal: ${formatMoney(invoice.subtotal, invoice.currency)}`, { align: 'right' });
    if (discount) doc.text(`Discount: -${formatMoney(discount, invoice.currency)}`, { align: 'right' });
    doc.fontSize(12).text(`Total: ${formatMoney(invoice.total, invoice.currency)}`, { align: 'right' });
    doc
      .fontSize(10)
      .text(
        `Amount ${invoice.status === 'paid' ? 'paid' : 'due'}: ${formatMoney(invoice.status === 'paid' ? invoice.amount_paid : invoice.amount_remaining, invoice.currency)}`,
        { align: 'right' },
      );
  });
}

export async function invoicePages(emu: Emulator, req: PageRequest): Promise<PageResponse | null> {
  const m = /^\/i\/([^/]+)(\/pdf|\/authenticate)?$/.exec(req.path);
  if (!m) return null;
  const invoice = emu.state.invoices.get(decodeURIComponent(m[1]!));
  if (!invoice || invoice.status === 'draft')
    return html(page('Not found', '<section class="card"><h1>Invoice not found</h1></section>'), 404);
  if (m[2] === '/pdf' && req.method === 'GET') {
    const pdf = await invoicePdf(emu, invoice);
    return {
      status: 200,
      body: pdf,
      contentType: 'application/pdf',
      headers: { 'content-disposition': `inline; filename="invoice-${invoice.number ?? invoice.id}.pdf"` },
    };
  }
  if (m[2] === '/authenticate' && req.method === 'POST') {
    if (req.form.decision !== 'complete')
      return render(
        emu,
        invoice,
        { ...req.form, card_number: '' },
        'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
        null,
      );
    return pay(emu, invoice, req.form, true);
  }
  if (m[2]) return null;
  if (req.method === 'POST') return pay(emu, invoice, req.form, false);
  return render(emu, invoice, {}, null, req.query.paid ? 'Thank you — this invoice is paid.' : null);
}
