// Recovery codes: ten single-use codes shown once when two-factor sign-in is turned on (or the set
// is renewed), stored only as Argon2id hashes like passwords.
import { randomBytes } from 'node:crypto';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { hashPassword, verifyPassword } from '../passwords';

export const RECOVERY_CODE_COUNT = 10;

/** `xxxxx-xxxxx`: 50 random bits in base32 (no 0/1/8/9 to misread), grouped to copy by hand. */
export function newRecoveryCode(): string {
  const raw = encodeBase32LowerCaseNoPadding(randomBytes(7)).slice(0, 10);
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}

/** What was typed, as it was hashed: case, spaces and dashes do not matter. */
export function normalizeRecoveryCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]/g, '');
}

export function looksLikeRecoveryCode(input: string): boolean {
  return /^[a-z2-7]{10}$/.test(normalizeRecoveryCode(input));
}

export function hashRecoveryCode(code: string): Promise<string> {
  return hashPassword(normalizeRecoveryCode(code));
}

/** The index in `hashes` of the code `input` matches, or -1. */
export async function matchRecoveryCode(hashes: string[], input: string): Promise<number> {
  if (!looksLikeRecoveryCode(input)) return -1;
  const normalized = normalizeRecoveryCode(input);
  for (let i = 0; i < hashes.length; i++) {
    if (await verifyPassword(hashes[i] as string, normalized)) return i;
  }
  return -1;
}
