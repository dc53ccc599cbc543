// A credit note's PDF (`/cn/:id/pdf`, the credit note's `pdf`), laid out like the invoice PDF: what
// was credited, of which invoice, and where the money went (balance, card refund, outside Stripe).
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import type { PageRequest, PageResponse } from '../http.js';
import { formatDate, formatMoney } from '../engine/time.js';
import { idOf } from '../resources/common.js';
import { billToLines } from './invoice.js';
import { html, page } from './layout.js';
import { amountRows, renderPdf } from './pdf.js';

export async function creditNotePdf(emu: Emulator, note: Stripe.CreditNote): Promise<Buffer> {
  const invoice = emu.state.invoices.get(idOf(note.invoice as string) ?? '');
  const money = (n: number) => formatMoney(n, note.currency);
  return renderPdf({ title: `Credit note ${note.number}` }, (doc) => {
    doc.fontSize(20).text('Credit note');
    doc.moveDown(0.5).fontSize(10).fillColor('#555');
    doc.text(`Credit note number: ${note.number}`);
    doc.text(`Invoice: ${invoice?.number ?? idOf(note.invoice as string)}`);
    doc.text(`Date of issue: ${formatDate(note.effective_at ?? note.created)}`);
    if (note.status === 'void') doc.text(`Voided: ${formatDate(note.voided_at ?? note.created)}`);
    if (note.reason) doc.text(`Reason: ${note.reason.replaceAll('_', ' ')}`);
    doc.moveDown().fillColor('#000').fontSize(11).text('DropIn');
    if (invoice) {
      doc.fontSize(10).text('Bill to');
      for (const line of billToLines(invoice)) doc.text(line);
    }
    doc.moveDown().fontSize(10);
    amountRows(
      doc,
      note.lines.data.length
        ? note.lines.data.map((l) => [l.description ?? 'Credit', money(l.amount)] as const)
        : [['Credit', money(note.amount)] as const],
    );
    doc.moveDown();
    doc.fontSize(12).text(`Total credit: ${money(note.total)}`, { align: 'right' });
    doc.fontSize(10);
    if (note.pre_payment_amount) doc.text(`Reduced the amount due: ${money(note.pre_payment_amount)}`, { align: 'right' });
    const refunded = note.refunds.reduce((s, r) => s + r.amount_refunded, 0);
    if (refunded) doc.text(`Refunded to the card: ${money(refunded)}`, { align: 'right' });
    const txn = note.customer_balance_transaction
      ? emu.state.customerBalanceTransactions.get(idOf(note.customer_balance_transaction as string) ?? '')
      : undefined;
    if (txn) doc.text(`Credited to the customer balance: ${money(-txn.amount)}`, { align: 'right' });
    if (note.out_of_band_amount) doc.text(`Credited outside Stripe: ${money(note.out_of_band_amount)}`, { align: 'right' });
    if (note.memo) doc.moveDown().text(note.memo);
  });
}

export async function creditNotePages(emu: Emulator, req: PageRequest): Promise<PageResponse | null> {
  const m = /^\/cn\/([^/]+)\/pdf$/.exec(req.path);
  if (!m || req.method !== 'GET') return null;
  const note = emu.state.creditNotes.get(decodeURIComponent(m[1]!));
  if (!note) return html(page('Not found', '<section class="card"><h1>Credit note not found</h1></section>'), 404);
  return {
    status: 200,
    body: await creditNotePdf(emu, note),
    contentType: 'application/pdf',
    headers: { 'content-disposition': `inline; filename="credit-note-${note.number}.pdf"` },
  };
}
