// Every Stripe API route the emulator serves, registered by resource.
import { Router } from '../router.js';
import { registerCatalog } from './catalog.js';
import { registerCheckout } from './checkout.js';
import { registerCreditNotes } from './creditNotes.js';
import { registerCustomers } from './customers.js';
import { registerDiscounts } from './discounts.js';
import { registerEventDestinations } from './eventDestinations.js';
import { registerEvents } from './events.js';
import { registerInvoices } from './invoices.js';
import { registerMeters } from './meters.js';
import { registerPaymentMethods } from './paymentMethods.js';
import { registerPortal } from './portal.js';
import { registerRefunds } from './refunds.js';
import { registerSubscriptionSchedules } from './subscriptionSchedules.js';
import { registerSubscriptions } from './subscriptions.js';
import { registerTaxIds } from './taxIds.js';
import { registerTestClocks } from './testClocks.js';

export function buildApiRouter(): Router {
  const router = new Router();
  registerCustomers(router);
  registerTaxIds(router);
  registerPaymentMethods(router);
  registerCatalog(router);
  registerDiscounts(router);
  registerCheckout(router);
  registerSubscriptions(router);
  registerSubscriptionSchedules(router);
  registerInvoices(router);
  registerRefunds(router);
  registerCreditNotes(router);
  registerTestClocks(router);
  registerEvents(router);
  registerEventDestinations(router);
  registerMeters(router);
  registerPortal(router);
  return router;
}
