import { describe, expect, it } from 'vitest';
import { formatAmount, majorUnits } from './money';

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
