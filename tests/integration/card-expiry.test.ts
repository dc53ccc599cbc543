// Card expiry warnings: 30 and 7 days before a charge the card on file will not last to, each once
// per card and charge, delivered through the outbox to the subscriber's inbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubscriptionDoc } from '../../src/db/collections';
import { cardExpiryWarning, sendCardExpiryWarnings } from '../../src/billing/card-expiry';
import { createUser } from '../../src/auth/users';
import { createHarness, type Harness } from '../setup/harness';
import { waitForEmail } from '../setup/mailpit';

const DAY = 86_400_000;
const CHARGE = new Date('2027-01-15T10:00:00Z');
const daysBefore = (days: number) => new Date(CHARGE.getTime() - days * DAY);

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

function sub(over: Partial<SubscriptionDoc>): SubscriptionDoc {
  return {
    _id: `sub_exp${Math.random().toString(36).slice(2, 10)}`,
    userId: null,
    customerId: 'cus_exp',
    status: 'active',
    planId: 'pro',
    priceId: 'price_x',
    lookupKey: null,
    interval: 'month',
    unitAmount: 1200,
    currency: 'usd',
    quantity: 1,
    itemId: 'si_x',
    currentPeriodStart: daysBefore(31),
    currentPeriodEnd: CHARGE,
    trialStart: null,
    trialEnd: null,
    cancelAtPeriodEnd: false,
    cancelAt: null,
    canceledAt: null,
    endedAt: null,
    cancellationFeedback: null,
    defaultPaymentMethod: { id: 'pm_old', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2026 },
    latestInvoice: null,
    created: daysBefore(90),
    fetchedAt: new Date(),
    syncedAt: new Date(),
    ...over,
  };
}

describe('card expiry warnings', () => {
  it('warn only when the card runs out before a charge at most 30 days away', () => {
    expect(cardExpiryWarning(sub({}), daysBefore(40))).toBeNull();
    expect(cardExpiryWarning(sub({}), daysBefore(25))?.tier).toBe(30);
    expect(cardExpiryWarning(sub({}), daysBefore(5))?.tier).toBe(7);
    // A card that lasts past the charge, a subscription that ends, an ended one: nothing.
    const lasting = { id: 'pm_new', brand: 'visa', last4: '1111', expMonth: 1, expYear: 2027 };
    expect(cardExpiryWarning(sub({ defaultPaymentMethod: lasting }), daysBefore(5))).toBeNull();
    expect(cardExpiryWarning(sub({ cancelAtPeriodEnd: true }), daysBefore(5))).toBeNull();
    expect(cardExpiryWarning(sub({ status: 'canceled' }), daysBefore(5))).toBeNull();
    // A trial is charged when it ends.
    expect(cardExpiryWarning(sub({ status: 'trialing', trialEnd: daysBefore(-3) }), daysBefore(2))?.chargeAt).toEqual(
      daysBefore(-3),
    );
  });

  it('email 30 and 7 days ahead, each once per card and charge', async () => {
    const user = await createUser(h.deps, {
      email: `expiring-${Date.now()}@example.test`,
      password: null,
      name: 'E',
      emailVerified: true,
      role: 'user',
    });
    await h.deps.db.c.subscriptions.insertOne(sub({ userId: user._id }));
    const outbox = () => h.deps.db.c.emailOutbox.find({ to: user.email }).toArray();

    await sendCardExpiryWarnings(h.deps, daysBefore(25));
    await sendCardExpiryWarnings(h.deps, daysBefore(24));
    expect((await outbox()).map((m) => m._id)).toEqual([`card-expiring:pm_old:${CHARGE.getTime()}:30`]);
    const mail = await waitForEmail(user.email, /card on file is about to expire/);
    expect(mail.text).toContain('ending in 4242');
    expect(mail.text).toContain('January 15, 2027');

    await sendCardExpiryWarnings(h.deps, daysBefore(6));
    await sendCardExpiryWarnings(h.deps, daysBefore(2));
    expect((await outbox()).map((m) => m._id).sort()).toEqual([
      `card-expiring:pm_old:${CHARGE.getTime()}:30`,
      `card-expiring:pm_old:${CHARGE.getTime()}:7`,
    ]);
  });
});
