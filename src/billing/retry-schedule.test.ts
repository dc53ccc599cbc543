import { describe, expect, it } from 'vitest';
import { parseRetryDays, retrySchedule } from './retry-schedule';

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

  it('names the variable when the setting is not a list of days', () => {
    expect(parseRetryDays(' 3, 5 ,7')).toEqual([3, 5, 7]);
    expect(() => parseRetryDays('3,,7')).toThrow(/STRIPE_RETRY_DAYS/);
    expect(() => parseRetryDays('0')).toThrow(/STRIPE_RETRY_DAYS/);
  });
});
