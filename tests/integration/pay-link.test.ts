// Failed-payment recovery, end to end at the HTTP level: a renewal's card declines, the dunning email
// carries a one-click "update card and pay" link, the link opens the billing portal, a new card
// pays the invoice, and the overview's recovered revenue moves (recovered by a card update). A
// forged link opens no portal; a settled invoice's link leads to the billing page.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/auth/users';
import { DAY, postForm, cardFields } from '../../src/dev/stripe-emulator/testing';
import {
  settle,
  startBillingWorld,
  subscribeThroughCheckout,
  trpc,
  verifiedUser,
  waitFor,
  type BillingWorld,
} from '../setup/billing';
import { waitForEmail } from '../setup/mailpit';
import type { Overview } from '../../src/admin/analytics';
import { payLink } from '../../src/billing/pay-link';
import { followPayLink } from '../../src/billing/pay-link-route';

let world: BillingWorld;
let admin: { cookie: string };
beforeAll(async () => {
  world = await startBillingWorld();
  const user = await createUser(world.server.deps, {
    email: `pay-admin-${randomUUID().slice(0, 8)}@example.test`,
    password: null,
    name: 'Admin',
    emailVerified: true,
    role: 'admin',
  });
  admin = await world.server.deps.sessions.create(user._id, { ip: '127.0.0.1', userAgent: 'test' });
});
afterAll(() => world?.close());

const overview = async () => (await trpc<Overview>(world, admin.cookie, 'query', 'admin.overview', { fresh: true })).data;
const get = (url: string) => fetch(url, { redirect: 'manual' });

describe('the dunning email link', () => {
  it('updates the card and pays in one click, and the recovery is counted as a card update', async () => {
    const user = await verifiedUser(world, 'Paula Recover');
    await subscribeThroughCheckout(world, user);
    await settle(world);
    const sub = (await world.server.deps.db.c.subscriptions.findOne({ userId: user.id }))!;
    // Past the trial, then a renewal whose card declines.
    await world.control.advanceCustomer(sub.customerId, { seconds: 15 * DAY });
    await settle(world);
    await world.control.setCardBehavior(sub.defaultPaymentMethod!.id, 'decline_insufficient_funds');
    await world.control.advanceCustomer(sub.customerId, { seconds: 31 * DAY });
    await settle(world);
    const failing = (await world.server.deps.db.c.subscriptions.findOne({ _id: sub._id }))!;
    expect(failing.status).toBe('past_due');
    const before = await overview();

    const email = await waitForEmail(user.email, /payment failed/i);
    const link = email.text.match(/https?:\/\/\S+\/billing\/pay\/in_\w+\?u=[\w-]+&e=\d+&sig=[\w-]+/)?.[0];
    expect(link, email.text).toBeDefined();
    expect(email.text).toMatch(/Update card and pay/);

    // A forged signature opens no portal: it leads to the billing page, behind the login.
    const forged = await get(`${link!.split('?')[0]}?sig=${'x'.repeat(43)}`);
    expect(forged.status).toBe(303);
    expect(forged.headers.get('location')).toBe(`${world.server.env.PUBLIC_URL}/app/billing`);

    // Signed for another account, expired, or for an account that may no longer sign in: no portal.
    const billing = `${world.server.env.PUBLIC_URL}/app/billing`;
    const deps = world.server.deps;
    const invoiceId = failing.latestInvoice!.id;
    const other = await verifiedUser(world, 'Someone Else');
    const theirs = payLink(deps.env, { invoiceId, userId: other.id })!;
    expect((await get(theirs)).headers.get('location')).toBe(billing);
    const [u, e, sig] = ['u', 'e', 'sig'].map((k) => new URL(link!).searchParams.get(k) ?? undefined);
    expect(u).toBe(user.id);
    const expired = await followPayLink(deps, {
      invoiceId,
      userId: u,
      expires: e,
      sig,
      now: new Date(Number(e) * 1000 + 1),
    });
    expect(expired).toEqual({ ok: true, url: billing });
    const tampered = new URL(link!);
    tampered.searchParams.set('e', String(Number(e) + 86_400));
    expect((await get(tampered.toString())).headers.get('location')).toBe(billing);
    await deps.db.c.users.updateOne({ _id: user.id }, { $set: { disabled: true } });
    expect((await get(link!)).headers.get('location')).toBe(billing);
    await deps.db.c.users.updateOne({ _id: user.id }, { $set: { disabled: false } });

    // The link opens the portal's card form (not its home); a new card pays what is owed, and the
    // portal returns to the billing page.
    const opened = await get(link!);
    expect(opened.status).toBe(303);
    const portal = opened.headers.get('location')!;
    expect(portal).toContain('/p/session/');
    const form = await (await fetch(portal)).text();
    expect(form).toMatch(/name="card_number"/);
    const saved = await postForm(`${portal}/payment-method`, cardFields({ number: '4242424242424242' }));
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(billing);
    await settle(world);
    await waitFor('the subscription is active again', async () => {
      return (await world.server.deps.db.c.subscriptions.findOne({ _id: sub._id }))?.status === 'active';
    });

    // The overview's recovered revenue moves, by a card update.
    await waitFor(
      'the recovery reaches the overview',
      async () => (await overview()).recovery[0]!.recoveredCount > before.recovery[0]!.recoveredCount,
    );
    const after = await overview();
    const usd = (o: Overview) => o.recovery[0]!.recovered.find((m) => m.currency === 'usd')?.amount ?? 0;
    expect(usd(after) - usd(before)).toBe(failing.latestInvoice!.amountDue);
    expect(after.recovery[0]!.byStep.card_update).toBe(before.recovery[0]!.byStep.card_update + 1);
    const recovered = await world.server.deps.db.c.adminRecoveries.findOne({ subscriptionId: sub._id });
    expect(recovered).toMatchObject({ step: 'card_update', amount: failing.latestInvoice!.amountDue });

    // The invoice is paid: the same link now leads to the billing page.
    const again = await get(link!);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(`${world.server.env.PUBLIC_URL}/app/billing`);
  });
});
