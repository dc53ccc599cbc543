import { describe, expect, it } from 'vitest';
import { parseEnv } from '../env';
import { retrySchedule } from './retry-schedule';

const at = (iso: string) => new Date(iso);

describe('retrySchedule', () => {
  it("lists Stripe's next attempt, then the retry setting's days after each later failure", () => {
    expect(retrySchedule({ attempts: 1, next: at('2026-12-04T00:00:00Z'), retryDays: [3, 5, 7] })).toEqual([
      { attempt: 2, at: '2026-12-04T00:00:00.000Z', scheduled: true },
      { attempt: 3, at: '2026-12-09T00:00:00.000Z', scheduled: false },
      { attempt: 4, at: '2026-12-16T00:00:00.000Z', scheduled: false },
    ]);
    expect(retrySchedule({ attempts: 3, next: at('2026-12-16T00:00:00Z'), retryDays: [3, 5, 7] })).toEqual([
      { attempt: 4, at: '2026-12-16T00:00:00.000Z', scheduled: true },
    ]);
  });

  it('is empty once Stripe has stopped retrying', () => {
    expect(retrySchedule({ attempts: 4, next: null, retryDays: [3, 5, 7] })).toEqual([]);
  });

  it('the setting is parsed once at startup, and a bad one stops it naming the variable', () => {
    expect(parseEnv({ STRIPE_RETRY_DAYS: ' 3, 5 ,7' }).STRIPE_RETRY_DAYS).toEqual([3, 5, 7]);
    expect(parseEnv({}).STRIPE_RETRY_DAYS).toEqual([3, 5, 7]);
    expect(parseEnv({ STRIPE_RETRY_DAYS: '7,3' }).STRIPE_RETRY_DAYS).toEqual([7, 3]);
    for (const bad of ['3,,7', '0', '61', '3.5', '3;5', 'x', '1e1'])
      expect(() => parseEnv({ STRIPE_RETRY_DAYS: bad }), bad).toThrow(
        /STRIPE_RETRY_DAYS must list whole days between 1 and 60, separated by commas/,
      );
  });
});
