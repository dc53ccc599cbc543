// Hosted pages: Checkout (/c), billing portal (/p), invoices (/i).
import type { PageHandler } from '../http.js';
import { checkoutPages } from './checkout.js';
import { invoicePages } from './invoice.js';
import { portalPages } from './portal.js';

export const pages: PageHandler = async (emu, req) => {
  const out = checkoutPages(emu, req) ?? portalPages(emu, req) ?? (await invoicePages(emu, req));
  if (out) emu.onChange();
  return out;
};
