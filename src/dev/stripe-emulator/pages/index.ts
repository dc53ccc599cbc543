// Hosted pages: Checkout (/c), billing portal (/p), invoices (/i), credit note PDFs (/cn).
import type { PageHandler } from '../http.js';
import { checkoutPages } from './checkout.js';
import { creditNotePages } from './creditNote.js';
import { invoicePages } from './invoice.js';
import { portalPages } from './portal.js';

export const pages: PageHandler = async (emu, req) => {
  const out =
    checkoutPages(emu, req) ?? portalPages(emu, req) ?? (await invoicePages(emu, req)) ?? (await creditNotePages(emu, req));
  if (out) emu.onChange();
  return out;
};
