// A customer's tax IDs (`/v1/customers/:id/tax_ids`): create, retrieve, list, delete, and
// `expand[]=tax_ids` on the customer. Values are checked against the formats Stripe documents for
// the types listed here, and a wrong one is refused as Stripe refuses it (`tax_id_invalid`, naming
// `value`); a type outside this list is refused naming `type`.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { invalidRequest, noSuch } from '../errors.js';
import { registerIncludable } from '../expand.js';
import { newId } from '../ids.js';
import { fullList, pageOf } from '../list.js';
import { listFields, p, parse, required } from '../params.js';
import type { Router } from '../router.js';
import { mustGet } from './common.js';

/** EU VAT numbers: the member state's code (Greece is EL; XI is Northern Ireland), then 8 to 12 characters. */
const EU_VAT_PREFIXES = [
  'AT',
  'BE',
  'BG',
  'CY',
  'CZ',
  'DE',
  'DK',
  'EE',
  'EL',
  'ES',
  'FI',
  'FR',
  'HR',
  'HU',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SE',
  'SI',
  'SK',
  'XI',
];

/** The types the emulator knows: the format of a value (Stripe's documented examples fit) and its country. */
export const TAX_ID_FORMATS: Record<string, { pattern: RegExp; country: (value: string) => string; example: string }> = {
  eu_vat: {
    pattern: new RegExp(`^(${EU_VAT_PREFIXES.join('|')})[0-9A-Z+*]{8,12}$`),
    country: (v) => ({ EL: 'GR', XI: 'GB' })[v.slice(0, 2)] ?? v.slice(0, 2),
    example: 'DE123456789',
  },
  gb_vat: { pattern: /^GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})$/, country: () => 'GB', example: 'GB123456789' },
  ch_vat: { pattern: /^CHE-\d{3}\.\d{3}\.\d{3} (MWST|TVA|IVA)$/, country: () => 'CH', example: 'CHE-123.456.789 MWST' },
  no_vat: { pattern: /^\d{9}MVA$/, country: () => 'NO', example: '123456789MVA' },
  us_ein: { pattern: /^\d{2}-\d{7}$/, country: () => 'US', example: '12-3456789' },
  ca_bn: { pattern: /^\d{9}$/, country: () => 'CA', example: '123456789' },
  au_abn: { pattern: /^\d{11}$/, country: () => 'AU', example: '12345678912' },
  nz_gst: { pattern: /^\d{8,9}$/, country: () => 'NZ', example: '123456789' },
  in_gst: { pattern: /^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$/, country: () => 'IN', example: '12ABCDE3456FGZH' },
  sg_gst: { pattern: /^M\d{8}[0-9A-Z]$/, country: () => 'SG', example: 'M12345678X' },
};

export function taxIdsOf(emu: Emulator, customerId: string): Stripe.TaxId[] {
  return emu.state.taxIds.newestFirst((t) => t.customer === customerId);
}

export function createTaxId(emu: Emulator, customer: Stripe.Customer, body: { type: string; value: string }): Stripe.TaxId {
  const format = TAX_ID_FORMATS[body.type];
  if (!format)
    throw invalidRequest(`Invalid type: must be one of ${Object.keys(TAX_ID_FORMATS).join(', ')}`, {
      param: 'type',
      code: 'parameter_invalid_string',
    });
  const value = body.value.trim();
  if (!format.pattern.test(value))
    throw invalidRequest(`Invalid value for ${body.type}.`, { param: 'value', code: 'tax_id_invalid' });
  const taxId = {
    id: newId('txi'),
    object: 'tax_id',
    country: format.country(value),
    created: emu.now(customer.id),
    customer: customer.id,
    customer_account: null,
    livemode: false,
    owner: { type: 'customer', customer: customer.id, customer_account: null },
    type: body.type as Stripe.TaxId.Type,
    value,
    // Stripe verifies EU and UK VAT numbers with the tax authority after creating them.
    verification: ['eu_vat', 'gb_vat'].includes(body.type)
      ? { status: 'pending', verified_address: null, verified_name: null }
      : null,
  } satisfies Stripe.TaxId;
  emu.state.taxIds.set(taxId);
  emu.emit('customer.tax_id.created', taxId, { customer: customer.id });
  return taxId;
}

export function registerTaxIds(router: Router): void {
  registerIncludable('customer', 'tax_ids', (emu, obj) =>
    fullList(taxIdsOf(emu, String(obj.id)), `/v1/customers/${String(obj.id)}/tax_ids`),
  );

  router.post('/v1/customers/:id/tax_ids', ({ emu, params, raw }) => {
    const body = parse<{ type: string; value: string }>({ type: p.str, value: p.str }, raw);
    const customer = mustGet(emu.state.customers, params.id);
    return createTaxId(emu, customer, { type: required(body, 'type'), value: required(body, 'value') });
  });

  router.get('/v1/customers/:id/tax_ids', ({ emu, params, raw, path }) => {
    const customer = mustGet(emu.state.customers, params.id);
    const query = parse<{ limit?: number; starting_after?: string; ending_before?: string }>(listFields, raw);
    return pageOf(emu.state.taxIds, (t) => t.customer === customer.id, query, path);
  });

  router.get('/v1/customers/:id/tax_ids/:tax_id', ({ emu, params, raw }) => {
    parse({}, raw);
    const customer = mustGet(emu.state.customers, params.id);
    const taxId = emu.state.taxIds.get(params.tax_id!);
    if (!taxId || taxId.customer !== customer.id) throw noSuch(params.tax_id!);
    return taxId;
  });

  router.delete('/v1/customers/:id/tax_ids/:tax_id', ({ emu, params, raw }) => {
    parse({}, raw);
    const customer = mustGet(emu.state.customers, params.id);
    const taxId = emu.state.taxIds.get(params.tax_id!);
    if (!taxId || taxId.customer !== customer.id) throw noSuch(params.tax_id!);
    emu.state.taxIds.delete(taxId.id);
    emu.emit('customer.tax_id.deleted', taxId, { customer: customer.id });
    return { id: taxId.id, object: 'tax_id', deleted: true } satisfies Stripe.DeletedTaxId;
  });
}
