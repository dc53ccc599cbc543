// Stripe-looking identifiers: a resource prefix and a random base62 tail.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! % 62];
  return out;
}

/** `newId('cus')` → `cus_1Q…` (24 chars after the prefix, like Stripe's newer ids). */
export function newId(prefix: string): string {
  return `${prefix}_1${randomToken(23)}`;
}
