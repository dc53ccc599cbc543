// The password policy: 8 to 1024 characters after NFKC
// normalisation, any Unicode, no composition rules, never truncated, not one of the 10,000 most
// common passwords, not the account's own email. Hashing lives in ./passwords.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../lib/errors';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords';

// Bundled (no network at run time); see common-passwords.LICENSE.txt for where it comes from.
// Loaded on first use, then kept: about 100 KB.
let common: Set<string> | null = null;
function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(path.join(import.meta.dirname, 'common-passwords.txt'), 'utf8')
      .split('\n')
      .filter(Boolean),
  );
  return common;
}

function canonical(password: string): string {
  return password.normalize('NFKC');
}

/** Counts characters as people do (code points), not UTF-16 units. */
function length(password: string): number {
  return [...canonical(password)].length;
}

/** True when the password (case-insensitively) is on the bundled common-password list. */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(canonical(password).toLowerCase());
}

/**
 * Throws a BAD_REQUEST AppError naming `field` when `password` breaks the policy. `email` is the
 * account's address (the password may not equal it).
 */
export function validateNewPassword(opts: { password: string; email?: string | null; field?: string }): void {
  const field = opts.field ?? 'password';
  const n = length(opts.password);
  if (n < PASSWORD_MIN) {
    throw new AppError('BAD_REQUEST', `Use at least ${PASSWORD_MIN} characters.`, { field });
  }
  if (n > PASSWORD_MAX) {
    throw new AppError('BAD_REQUEST', `Use at most ${PASSWORD_MAX} characters.`, { field });
  }
  if (isCommonPassword(opts.password)) {
    throw new AppError('BAD_REQUEST', 'This password is too common. Please choose another.', { field });
  }
  if (opts.email && canonical(opts.password).trim().toLowerCase() === opts.email.toLowerCase()) {
    throw new AppError('BAD_REQUEST', 'Your password cannot be your email address.', { field });
  }
}
