import { describe, expect, it } from 'vitest';
import {
  ACCESS_STATUSES,
  effectivePlan,
  ENDED_STATUSES,
  grantsAccess,
  hasPaymentTrouble,
  isEnded,
  isOpen,
  isPaying,
  isRunning,
  OPEN_STATUSES,
  PAYING_STATUSES,
  PAYMENT_TROUBLE_STATUSES,
  RUNNING_STATUSES,
  SUBSCRIPTION_STATUSES,
} from './status';

const sorted = (list: readonly string[]) => [...list].sort();

describe('status groups', () => {
  it('every status is either open or ended, never both', () => {
    expect(sorted([...OPEN_STATUSES, ...ENDED_STATUSES])).toEqual(sorted(SUBSCRIPTION_STATUSES));
    for (const s of SUBSCRIPTION_STATUSES) expect(isOpen(s)).toBe(!isEnded(s));
  });

  it('only open subscriptions grant access, run, owe a payment or pay', () => {
    for (const group of [ACCESS_STATUSES, RUNNING_STATUSES, PAYMENT_TROUBLE_STATUSES, PAYING_STATUSES])
      for (const s of group) expect(isOpen(s)).toBe(true);
  });

  it('past_due keeps access while Stripe retries; unpaid, incomplete and paused do not', () => {
    expect(SUBSCRIPTION_STATUSES.filter(grantsAccess)).toEqual(['trialing', 'active', 'past_due']);
  });

  it('a subscription runs from its start until it ends or pauses, paid or not', () => {
    expect(SUBSCRIPTION_STATUSES.filter(isRunning)).toEqual(['trialing', 'active', 'past_due', 'unpaid']);
  });

  it('payment trouble is a failed renewal or a first payment not made', () => {
    expect(SUBSCRIPTION_STATUSES.filter(hasPaymentTrouble)).toEqual(['past_due', 'unpaid', 'incomplete']);
    expect(hasPaymentTrouble('cancel_scheduled')).toBe(false);
  });

  it('paying subscriptions are the accessible ones past their trial', () => {
    expect(SUBSCRIPTION_STATUSES.filter(isPaying)).toEqual(['active', 'past_due']);
  });

  it('a status Stripe may add later belongs to no group', () => {
    for (const test of [grantsAccess, isOpen, isEnded, isRunning, isPaying, hasPaymentTrouble])
      expect(test('some_new_status')).toBe(false);
  });
});

describe('effectivePlan', () => {
  it('is Free without a subscription', () => {
    expect(effectivePlan(null)).toBe('free');
  });

  it('is the subscribed plan while the status grants access', () => {
    for (const status of ACCESS_STATUSES) expect(effectivePlan({ planId: 'pro', status })).toBe('pro');
    expect(effectivePlan({ planId: 'business', status: 'past_due' })).toBe('business');
  });

  it('falls back to Free when the status grants no access', () => {
    for (const status of ['unpaid', 'incomplete', 'paused', 'canceled', 'incomplete_expired'])
      expect(effectivePlan({ planId: 'business', status })).toBe('free');
  });

  it('grants nothing for a plan the catalog does not know', () => {
    expect(effectivePlan({ planId: null, status: 'active' })).toBe('free');
    expect(effectivePlan({ planId: 'enterprise', status: 'active' })).toBe('free');
    expect(effectivePlan({ planId: 'constructor', status: 'active' })).toBe('free');
  });
});
