import { describe, expect, it } from 'vitest';
import { tooManyMessage, tryAgainIn, waitInWords, withoutRetry, withRetryIn } from './try-again';

describe('waitInWords', () => {
  it('counts seconds under a minute, rounding a fraction up, singular for one', () => {
    expect(waitInWords(0.2)).toBe('1 second');
    expect(waitInWords(1)).toBe('1 second');
    expect(waitInWords(2)).toBe('2 seconds');
    expect(waitInWords(30)).toBe('30 seconds');
    expect(waitInWords(59)).toBe('59 seconds');
    expect(waitInWords(59.5)).toBe('1 minute');
  });

  it('counts minutes from one minute up, rounding up so the wait is never too short', () => {
    expect(waitInWords(60)).toBe('1 minute');
    expect(waitInWords(61)).toBe('2 minutes');
    expect(waitInWords(120)).toBe('2 minutes');
    expect(waitInWords(45 * 60 - 30)).toBe('45 minutes');
    expect(waitInWords(59 * 60)).toBe('59 minutes');
  });

  it('says "an hour" for a full hour and "about" for longer waits, to the nearest hour', () => {
    expect(waitInWords(59 * 60 + 1)).toBe('an hour');
    expect(waitInWords(3600)).toBe('an hour');
    expect(waitInWords(3601)).toBe('about an hour');
    expect(waitInWords(1.4 * 3600)).toBe('about an hour');
    expect(waitInWords(1.5 * 3600)).toBe('about 2 hours');
    expect(waitInWords(5 * 3600 + 600)).toBe('about 5 hours');
  });

  it('refuses a negative or non-finite wait', () => {
    expect(() => waitInWords(-1)).toThrow(/seconds ≥ 0, got -1/);
    expect(() => waitInWords(Number.NaN)).toThrow(/got NaN/);
    expect(() => waitInWords(Number.POSITIVE_INFINITY)).toThrow(/got Infinity/);
  });
});

describe('tryAgainIn', () => {
  it('is one sentence, and says so once the wait is over', () => {
    expect(tryAgainIn(45 * 60)).toBe('Try again in 45 minutes.');
    expect(tryAgainIn(1)).toBe('Try again in 1 second.');
    expect(tryAgainIn(0)).toBe('You can try again now.');
    expect(tryAgainIn(-3)).toBe('You can try again now.');
  });
});

describe('a rate-limit message and its countdown', () => {
  const what = 'Too many sign-ups from this network.';

  it('says what happened, then when to retry', () => {
    expect(tooManyMessage(what, 3600)).toBe('Too many sign-ups from this network. Try again in an hour.');
    expect(tooManyMessage(what, 30)).toBe('Too many sign-ups from this network. Try again in 30 seconds.');
  });

  it('re-tells the wait as it counts down, down to "now"', () => {
    const sent = tooManyMessage(what, 3600);
    expect(withRetryIn(sent, 90)).toBe('Too many sign-ups from this network. Try again in 2 minutes.');
    expect(withRetryIn(sent, 59)).toBe('Too many sign-ups from this network. Try again in 59 seconds.');
    expect(withRetryIn(sent, 0)).toBe('Too many sign-ups from this network. You can try again now.');
    expect(withRetryIn(withRetryIn(sent, 0), 5)).toBe('Too many sign-ups from this network. Try again in 5 seconds.');
  });

  it('leaves a message that says something else about retrying as it is', () => {
    const busy = 'Headline analyzer is already running for you: try again when it has finished.';
    expect(withRetryIn(busy, 10)).toBe(busy);
    expect(withoutRetry(busy)).toBe(busy);
  });

  it('strips the retry sentence to leave what happened', () => {
    expect(withoutRetry(tooManyMessage(what, 120))).toBe(what);
    expect(withoutRetry(tooManyMessage(what, 0))).toBe(what);
  });
});
