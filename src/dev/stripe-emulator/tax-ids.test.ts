// Customer tax IDs through the SDK: formats checked as Stripe checks them, the customer's list and
// `expand[]=tax_ids`, events, and invoices that print the customer's details from finalization on.
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStripe, type TestStripe } from './testing.js';

let t: TestStripe;
let stripe: Stripe;
beforeAll(async () => {
  t = await startTestStripe();
  stripe = t.stripe;
});
afterAll(() => t.stop());
beforeEach(() => t.control.reset());

describe('tax IDs', () => {
  it('accepts the documented formats, with the country the number belongs to', async () => {
    const c = await stripe.customers.create({ name: 'Acme GmbH' });
    const cases: [Stripe.TaxIdCreateParams.Type, string, string][] = [
      ['eu_vat', 'DE123456789', 'DE'],
      ['eu_vat', 'EL123456789', 'GR'],
      ['gb_vat', 'GB123456789', 'GB'],
      ['us_ein', '12-3456789', 'US'],
      ['au_abn', '12345678912', 'AU'],
      ['in_gst', '12ABCDE3456FGZH', 'IN'],
      ['ch_vat', 'CHE-123.456.789 MWST', 'CH'],
    ];
    for (const [type, value, country] of cases) {
      const id = await stripe.customers.createTaxId(c.id, { type, value });
      expect(id).toMatchObject({ object: 'tax_id', type, value, country, customer: c.id });
    }
    const listed = await stripe.customers.listTaxIds(c.id, { limit: 100 });
    expect(listed.data).toHaveLength(cases.length);
    const expanded = await stripe.customers.retrieve(c.id, { expand: ['tax_ids'] });
    expect((expanded as Stripe.Customer).tax_ids?.data.map((x) => x.value)).toContain('12-3456789');
  });

  it('refuses a malformed value naming `value`, and an unknown type naming `type`', async () => {
    const c = await stripe.customers.create({});
    await expect(stripe.customers.createTaxId(c.id, { type: 'eu_vat', value: '123' })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'tax_id_invalid',
      param: 'value',
      message: 'Invalid value for eu_vat.',
    });
    await expect(stripe.customers.createTaxId(c.id, { type: 'us_ein', value: '123456789' })).rejects.toMatchObject({
      code: 'tax_id_invalid',
    });
    await expect(
      stripe.customers.createTaxId(c.id, { type: 'xx_tax' as Stripe.TaxIdCreateParams.Type, value: '1' }),
    ).rejects.toMatchObject({ param: 'type' });
    expect((await stripe.customers.listTaxIds(c.id)).data).toEqual([]);
  });

  it('delete removes it and sends customer.tax_id.deleted', async () => {
    const c = await stripe.customers.create({});
    const id = await stripe.customers.createTaxId(c.id, { type: 'us_ein', value: '12-3456789' });
    expect(await stripe.customers.retrieveTaxId(c.id, id.id)).toMatchObject({ id: id.id });
    expect(await stripe.customers.deleteTaxId(c.id, id.id)).toEqual({ id: id.id, object: 'tax_id', deleted: true });
    await expect(stripe.customers.retrieveTaxId(c.id, id.id)).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
    const types = (await stripe.events.list({ limit: 10 })).data.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['customer.tax_id.created', 'customer.tax_id.deleted']));
  });

  it("an invoice prints the customer's name, address and tax IDs as they were when it was finalized", async () => {
    const c = await stripe.customers.create({
      name: 'Acme GmbH',
      address: { line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' },
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    await stripe.customers.createTaxId(c.id, { type: 'eu_vat', value: 'DE123456789' });
    const price = await stripe.prices.create({
      currency: 'eur',
      unit_amount: 1200,
      recurring: { interval: 'month' },
      product_data: { name: 'P' },
    });
    const sub = await stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }], expand: ['latest_invoice'] });
    const inv = sub.latest_invoice as Stripe.Invoice;
    expect(inv).toMatchObject({
      customer_name: 'Acme GmbH',
      customer_address: expect.objectContaining({ line1: 'Hauptstr. 1', country: 'DE' }),
      customer_tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }],
    });
    const page = await (await fetch(inv.hosted_invoice_url!)).text();
    expect(page).toContain('Acme GmbH');
    expect(page).toContain('EU VAT DE123456789');
    // Finalized: a later change to the customer does not rewrite it.
    await stripe.customers.update(c.id, { name: 'Acme AG' });
    expect((await stripe.invoices.retrieve(inv.id)).customer_name).toBe('Acme GmbH');
  });
});
