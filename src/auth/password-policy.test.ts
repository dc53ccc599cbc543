import { describe, expect, it } from 'vitest';
import { AppError } from '../lib/errors';
import { isCommonPassword, validateNewPassword } from './password-policy';

function reason(password: string, email?: string): string | null {
  try {
    validateNewPassword({ password, email });
    return null;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return err.message;
  }
}

describe('password policy', () => {
  it('counts characters, not UTF-16 units or bytes', () => {
    expect(reason('🔑🔑🔑🔑🔑🔑🔑')).toMatch(/at least 8/); // 7 characters, 14 units
    expect(reason('🔑🔑🔑🔑🔑🔑🔑🔑')).toBeNull();
    expect(reason('x'.repeat(1024))).toBeNull();
    expect(reason('x'.repeat(1025))).toMatch(/at most 1024/);
  });

  it('has no composition rules', () => {
    expect(reason('all lower case words')).toBeNull();
  });

  it('knows common passwords whatever their case or Unicode form', () => {
    expect(isCommonPassword('password1')).toBe(true);
    expect(isCommonPassword('PassWord1')).toBe(true);
    expect(isCommonPassword('ｐａｓｓｗｏｒｄ１')).toBe(true); // full-width, NFKC folds it
    expect(isCommonPassword('plum-orbit-lantern-42')).toBe(false);
  });

  it('refuses the account email as password', () => {
    expect(reason(' Me@Example.test', 'me@example.test')).toMatch(/email/);
  });
});
