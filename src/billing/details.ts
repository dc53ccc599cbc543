// Billing details: the company name, billing address and tax ID that invoices print. They live on
// the Stripe customer (`name`, `address`, `tax_ids`), read and written there directly: Stripe prints
// them on every invoice finalized afterwards, and checks each tax ID's format (a wrong one comes
// back as an error on the field).
import Stripe from 'stripe';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { customerIdOf } from './customers';
import { toAppError, withStripeErrors } from './errors';
import { requireStripe } from './sync';

/** The tax ID types a subscriber can choose, as Stripe names them, with an example of each format. */
export const TAX_ID_TYPES = {
  eu_vat: { label: 'EU VAT number', example: 'DE123456789' },
  gb_vat: { label: 'UK VAT number', example: 'GB123456789' },
  ch_vat: { label: 'Swiss VAT number', example: 'CHE-123.456.789 MWST' },
  no_vat: { label: 'Norwegian VAT number', example: '123456789MVA' },
  us_ein: { label: 'US EIN', example: '12-3456789' },
  ca_bn: { label: 'Canadian BN', example: '123456789' },
  au_abn: { label: 'Australian ABN', example: '12345678912' },
  nz_gst: { label: 'New Zealand GST number', example: '123456789' },
  in_gst: { label: 'Indian GST number', example: '12ABCDE3456FGZH' },
  sg_gst: { label: 'Singapore GST number', example: 'M12345678X' },
} as const;
export type TaxIdType = keyof typeof TAX_ID_TYPES;

export interface BillingAddress {
  line1: string;
  line2: string;
  city: string;
  state: string;
  postalCode: string;
  /** Two-letter ISO country code. */
  country: string;
}

export interface BillingDetails {
  /** Printed as the invoice's customer name: the company, or the person's name without one. */
  name: string | null;
  address: BillingAddress | null;
  taxId: { type: string; value: string; country: string | null; verification: string | null } | null;
}

function addressOf(a: Stripe.Address | null | undefined): BillingAddress | null {
  if (!a || !(a.line1 || a.city || a.postal_code || a.country)) return null;
  return {
    line1: a.line1 ?? '',
    line2: a.line2 ?? '',
    city: a.city ?? '',
    state: a.state ?? '',
    postalCode: a.postal_code ?? '',
    country: a.country ?? '',
  };
}

async function readCustomer(stripe: Stripe, customerId: string): Promise<Stripe.Customer> {
  const customer = await withStripeErrors(() => stripe.customers.retrieve(customerId, { expand: ['tax_ids'] }));
  if (customer.deleted) throw new AppError('NOT_FOUND', 'Your billing account was closed.');
  return customer;
}

/** The details as Stripe has them; null for an account that has no Stripe customer yet. */
export async function billingDetails(opts: { deps: AppDeps; userId: string }): Promise<BillingDetails | null> {
  const customerId = await customerIdOf(opts.deps, opts.userId);
  if (!customerId) return null;
  const customer = await readCustomer(requireStripe(opts.deps), customerId);
  const taxId = customer.tax_ids?.data[0];
  return {
    name: customer.name ?? null,
    address: addressOf(customer.address),
    taxId: taxId
      ? { type: taxId.type, value: taxId.value, country: taxId.country ?? null, verification: taxId.verification?.status ?? null }
      : null,
  };
}

/**
 * Saves the details on the Stripe customer. The tax ID is replaced only when it changed: the new
 * one is created first (so a wrong value changes nothing), then the old ones are removed. Every
 * write carries a key derived from the action, so a retry does not add a second tax ID.
 */
export async function updateBillingDetails(opts: {
  deps: AppDeps;
  userId: string;
  name: string;
  address: BillingAddress | null;
  taxId: { type: TaxIdType; value: string } | null;
  actionId: string;
}): Promise<BillingDetails> {
  const { deps, userId } = opts;
  const customerId = await customerIdOf(deps, userId);
  if (!customerId) throw new AppError('NOT_FOUND', 'You have no billing account yet. Choose a plan first.');
  const stripe = requireStripe(deps);
  const key = (what: string) => `billing-details:${userId}:${opts.actionId}:${what}`;
  const a = opts.address;
  await withStripeErrors(() =>
    stripe.customers.update(
      customerId,
      {
        name: opts.name,
        // An empty string unsets the address on Stripe.
        address: a
          ? {
              line1: a.line1,
              line2: a.line2,
              city: a.city,
              state: a.state,
              postal_code: a.postalCode,
              country: a.country,
            }
          : '',
      },
      { idempotencyKey: key('customer') },
    ),
  );
  const existing = (await readCustomer(stripe, customerId)).tax_ids?.data ?? [];
  const wanted = opts.taxId;
  const same = (t: Stripe.TaxId) => wanted !== null && t.type === wanted.type && t.value === wanted.value;
  if (wanted && !existing.some(same)) {
    try {
      await stripe.customers.createTaxId(customerId, wanted, { idempotencyKey: key(`tax:${wanted.type}:${wanted.value}`) });
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError && (err.code === 'tax_id_invalid' || err.param === 'value')) {
        const { label, example } = TAX_ID_TYPES[wanted.type];
        throw new AppError('BAD_REQUEST', `This isn't a valid ${label}. It should look like ${example}.`, {
          field: 'taxIdValue',
        });
      }
      throw toAppError(err);
    }
  }
  for (const old of existing) {
    if (same(old)) continue;
    try {
      await stripe.customers.deleteTaxId(customerId, old.id);
    } catch (err) {
      // Removed already (a retried save): what we wanted.
      if (!(err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 404)) throw toAppError(err);
    }
  }
  const details = await billingDetails({ deps, userId });
  if (!details) throw new AppError('NOT_FOUND', 'Your billing account was closed.');
  return details;
}
