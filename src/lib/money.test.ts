import { describe, expect, it } from 'vitest';
import { formatAmount, majorUnits, parseAmount } from './money';

describe('formatAmount', () => {
  it('reads most currencies in hundredths and zero-decimal ones in whole units', () => {
    expect(formatAmount(1234, 'usd', { locale: 'en-US' })).toBe('$12.34');
    expect(formatAmount(1234, 'eur', { locale: 'en-US' })).toBe('€12.34');
    expect(formatAmount(1234, 'jpy', { locale: 'en-US' })).toBe('¥1,234');
    expect(majorUnits(500, 'KRW')).toBe(500);
  });

  it('drops the decimals of a whole price only when asked', () => {
    expect(formatAmount(1200, 'usd', { locale: 'en-US', trim: true })).toBe('$12');
    expect(formatAmount(1200, 'usd', { locale: 'en-US' })).toBe('$12.00');
    expect(formatAmount(1250, 'usd', { locale: 'en-US', trim: true })).toBe('$12.50');
  });
});

describe('parseAmount', () => {
  it('reads whole units as the smallest unit, in the currency', () => {
    expect(parseAmount('6', 'usd')).toBe(600);
    expect(parseAmount('6.5', 'usd')).toBe(650);
    expect(parseAmount(' 6.00 ', 'usd')).toBe(600);
    expect(parseAmount('.29', 'usd')).toBe(29);
    expect(parseAmount('0.29', 'usd')).toBe(29);
    expect(parseAmount('$12.34', 'usd')).toBe(1234);
    expect(parseAmount('1,200.00', 'eur')).toBe(120000);
    expect(parseAmount('1200', 'JPY')).toBe(1200);
  });

  it('refuses what is not a plain amount, or has more decimals than the currency', () => {
    for (const text of ['', '.', 'abc', '6.001', '-6', '6e2', '1,20', '6.5.1', '12 34'])
      expect(parseAmount(text, 'usd')).toBeNull();
    expect(parseAmount('12.5', 'jpy')).toBeNull();
  });
});
