import { generateTOTP } from '@oslojs/otp';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { describe, expect, it } from 'vitest';
import { TOTP_PERIOD_SECONDS, matchTotp, newTotpSecret, totpCode, totpKeyUri, totpStep } from './totp';

describe('TOTP', () => {
  const secret = newTotpSecret();
  const now = Date.UTC(2026, 0, 1, 12, 0, 10);
  const step = totpStep(now);

  it('matches the code of the current step and of one step either side, returning that step', () => {
    expect(matchTotp(secret, totpCode(secret, step), now)).toBe(step);
    expect(matchTotp(secret, totpCode(secret, step - 1), now)).toBe(step - 1);
    expect(matchTotp(secret, totpCode(secret, step + 1), now)).toBe(step + 1);
  });

  it('refuses codes two steps away, other secrets and malformed input', () => {
    expect(matchTotp(secret, totpCode(secret, step - 2), now)).toBeNull();
    expect(matchTotp(secret, totpCode(secret, step + 2), now)).toBeNull();
    expect(matchTotp(newTotpSecret(), totpCode(secret, step), now)).toBeNull();
    expect(matchTotp(secret, '12345', now)).toBeNull();
    expect(matchTotp(secret, 'abcdef', now)).toBeNull();
  });

  it('agrees with the library computing the current code from the clock (what an app shows)', () => {
    const code = generateTOTP(decodeBase32IgnorePadding(secret), TOTP_PERIOD_SECONDS, 6);
    expect(matchTotp(secret, code)).not.toBeNull();
  });

  it('builds an otpauth URI naming the issuer, the account and the secret', () => {
    const uri = new URL(totpKeyUri({ issuer: 'DropIn', accountName: 'a@b.c', secret }));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('issuer')).toBe('DropIn');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(decodeURIComponent(uri.pathname)).toContain('a@b.c');
  });
});
