// Billing details on the Stripe customer: saved through the app, refused field by field when wrong
// (Stripe's tax ID check included, and then nothing about the tax ID changes), and printed on the
// next invoice. Against the Stripe emulator over the real SDK.
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillingDetails } from '../../src/billing/details';
import { DAY } from '../../src/dev/stripe-emulator/testing';
import { settle, startBillingWorld, subscribeThroughCheckout, trpc, verifiedUser, type BillingWorld } from '../setup/billing';

let world: BillingWorld;
beforeAll(async () => {
  world = await startBillingWorld();
});
afterAll(() => world?.close());

type User = Awaited<ReturnType<typeof verifiedUser>>;
const blank = {
  name: 'Acme GmbH',
  line1: '',
  line2: '',
  city: '',
  state: '',
  postalCode: '',
  country: '',
  taxIdType: '',
  taxIdValue: '',
};
const acme = {
  ...blank,
  line1: 'Hauptstr. 1',
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE',
  taxIdType: 'eu_vat',
  taxIdValue: 'DE123456789',
};

async function save(user: User, values: Record<string, string>) {
  return trpc<{ details: BillingDetails }>(world, user.cookie, 'mutation', 'billing.updateDetails', {
    ...values,
    actionId: randomUUID().replaceAll('-', ''),
  });
}

async function customerOf(user: User): Promise<string> {
  return (await world.server.deps.db.c.users.findOne({ _id: user.id }))!.stripeCustomerId!;
}

describe('billing details', () => {
  it('are saved on the Stripe customer and read back', async () => {
    const user = await verifiedUser(world);
    await subscribeThroughCheckout(world, user, 'pro');
    const res = await save(user, acme);
    expect(res.status, res.error?.message).toBe(200);
    expect(res.data.details).toMatchObject({
      name: 'Acme GmbH',
      address: { line1: 'Hauptstr. 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
      taxId: { type: 'eu_vat', value: 'DE123456789', country: 'DE' },
    });
    const customer = (await world.stripe.customers.retrieve(await customerOf(user), { expand: ['tax_ids'] })) as Stripe.Customer;
    expect(customer.name).toBe('Acme GmbH');
    expect(customer.address?.city).toBe('Berlin');
    expect(customer.tax_ids?.data.map((t) => t.value)).toEqual(['DE123456789']);

    // Changing the tax ID replaces it; removing the address unsets it.
    const changed = await save(user, { ...blank, taxIdType: 'us_ein', taxIdValue: '12-3456789' });
    expect(changed.status, changed.error?.message).toBe(200);
    expect(changed.data.details).toMatchObject({ address: null, taxId: { type: 'us_ein', value: '12-3456789' } });
    expect((await world.stripe.customers.listTaxIds(await customerOf(user))).data.map((t) => t.value)).toEqual(['12-3456789']);
  });

  it('a tax ID Stripe refuses is an error on that field, and the saved one stays', async () => {
    const user = await verifiedUser(world);
    await subscribeThroughCheckout(world, user, 'pro');
    expect((await save(user, acme)).status).toBe(200);
    const res = await save(user, { ...acme, taxIdValue: 'DE12' });
    expect(res.status).toBe(400);
    expect(res.error?.data).toMatchObject({
      fieldErrors: { taxIdValue: "This isn't a valid EU VAT number. It should look like DE123456789." },
    });
    expect((await world.stripe.customers.listTaxIds(await customerOf(user))).data.map((t) => t.value)).toEqual(['DE123456789']);
  });

  it('an incomplete address names each missing field', async () => {
    const user = await verifiedUser(world);
    await subscribeThroughCheckout(world, user, 'pro');
    const res = await save(user, { ...blank, postalCode: '10115' });
    expect(res.status).toBe(400);
    expect(res.error?.data).toMatchObject({
      fieldErrors: { line1: 'Enter the street address.', city: 'Enter the city.', country: 'Choose a country.' },
    });
  });

  it('without a Stripe customer there is nothing to edit yet', async () => {
    const user = await verifiedUser(world);
    const read = await trpc<{ details: BillingDetails | null }>(world, user.cookie, 'query', 'billing.details');
    expect(read.data.details).toBeNull();
    expect((await save(user, acme)).status).toBe(404);
  });

  it('the next invoice prints them: its customer name, address and tax ID', async () => {
    const user = await verifiedUser(world);
    await subscribeThroughCheckout(world, user, 'pro');
    expect((await save(user, acme)).status).toBe(200);
    const customer = await customerOf(user);
    await world.control.advanceCustomer(customer, { seconds: 15 * DAY });
    await settle(world);
    const [first] = (await world.stripe.invoices.list({ customer, limit: 1 })).data;
    expect(first).toMatchObject({
      billing_reason: 'subscription_cycle',
      customer_name: 'Acme GmbH',
      customer_address: expect.objectContaining({ line1: 'Hauptstr. 1', country: 'DE' }),
      customer_tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }],
    });
    const page = await (await fetch(first!.hosted_invoice_url!)).text();
    expect(page).toContain('EU VAT DE123456789');
  });
});
