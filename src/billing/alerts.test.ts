import { describe, expect, it } from 'vitest';
import type { SubscriptionDoc } from '../db/collections';
import { accountAlerts } from './alerts';
import { SUBSCRIPTION_STATUSES, hasPaymentTrouble } from './status';

function sub(fields: Partial<SubscriptionDoc>): SubscriptionDoc {
  return {
    _id: 'sub_1',
    status: 'active',
    planId: 'pro',
    cancelAtPeriodEnd: false,
    cancelAt: null,
    currentPeriodEnd: new Date('2027-01-16T00:00:00Z'),
    latestInvoice: {
      id: 'in_1',
      status: 'open',
      amountDue: 1200,
      amountPaid: 0,
      currency: 'usd',
      hostedInvoiceUrl: 'https://stripe.test/i/in_1',
      attemptCount: 1,
      nextPaymentAttempt: new Date('2026-12-20T00:00:00Z'),
    },
    ...fields,
  } as SubscriptionDoc;
}

describe('accountAlerts', () => {
  it('every status with payment trouble (and only those) needs action, with pay and update-card buttons', () => {
    for (const status of SUBSCRIPTION_STATUSES) {
      const alerts = accountAlerts({ subscription: sub({ status }) });
      const required = alerts.filter((a) => a.severity === 'action_required');
      expect(required.length, status).toBe(hasPaymentTrouble(status) ? 1 : 0);
      if (required[0])
        expect(required[0].actions).toEqual([
          { kind: 'pay_invoice', url: 'https://stripe.test/i/in_1' },
          { kind: 'update_payment_method' },
        ]);
    }
  });

  it('past due names the amount, the plan and the next retry', () => {
    const [alert] = accountAlerts({ subscription: sub({ status: 'past_due' }) });
    expect(alert?.title).toBe('Your last payment failed');
    expect(alert?.message).toBe(
      "We couldn't charge $12.00 for your Pro plan. We'll try again on Dec 20, 2026. Pay the invoice or update your payment method to keep Pro.",
    );
  });

  it('no pay button once the invoice is no longer open', () => {
    const latestInvoice = { ...sub({}).latestInvoice!, status: 'void' };
    const [alert] = accountAlerts({ subscription: sub({ status: 'unpaid', latestInvoice }) });
    expect(alert?.actions).toEqual([{ kind: 'update_payment_method' }]);
  });

  it('a scheduled cancellation is one notice with the end date and Resume', () => {
    const alerts = accountAlerts({ subscription: sub({ cancelAtPeriodEnd: true }) });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      kind: 'cancel_scheduled',
      severity: 'notice',
      title: 'Your Pro plan ends on Jan 16, 2027',
    });
    expect(alerts[0]?.actions).toEqual([{ kind: 'resume' }]);
  });

  it('a card that expires before the next charge (30 days away or less) needs action: update the card', () => {
    const card = { id: 'pm_1', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2026 };
    const renewing = sub({ defaultPaymentMethod: card, latestInvoice: null });
    const now = new Date('2026-12-20T00:00:00Z');
    const [alert, ...rest] = accountAlerts({ subscription: renewing, now });
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({
      kind: 'card_expiring',
      severity: 'action_required',
      title: 'Your card expires before your next payment',
      message:
        'Your Visa ending in 4242 expires before we charge your Pro plan on Jan 16, 2027. Update your payment method to keep Pro without interruption.',
      actions: [{ kind: 'update_payment_method' }],
    });
    // More than 30 days before the charge, a card that lasts, or a failed payment's own alert: none.
    expect(accountAlerts({ subscription: renewing, now: new Date('2026-12-01T00:00:00Z') })).toEqual([]);
    expect(accountAlerts({ subscription: sub({ defaultPaymentMethod: { ...card, expYear: 2027 } }), now })).toEqual([]);
    const failing = accountAlerts({ subscription: sub({ status: 'past_due', defaultPaymentMethod: card }), now });
    expect(failing.map((a) => a.kind)).toEqual(['payment_failed']);
  });

  it('nothing without a subscription, or for a healthy one', () => {
    expect(accountAlerts({ subscription: null })).toEqual([]);
    expect(accountAlerts({ subscription: sub({}) })).toEqual([]);
  });
});
