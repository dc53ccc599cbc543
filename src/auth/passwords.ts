// Password hashing (Argon2id, OWASP's minimum parameters: m=19 MiB, t=2, p=1) and the password
// policy: 8+ characters, any Unicode, no composition rules, no truncation, not a common password.
import { hash, verify } from '@node-rs/argon2';

// `Algorithm` is a const enum in the package's types, which isolatedModules cannot inline.
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 8;
/** Generous upper bound: long passphrases are welcome, megabyte bodies are not. */
export const PASSWORD_MAX = 1024;

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFKC'), OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password.normalize('NFKC'));
  } catch {
    return false;
  }
}

// A fixed hash verified when the account does not exist, so unknown emails take as long as
// wrong passwords.
let dummyHash: Promise<string> | null = null;
export async function verifyDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('dummy password for timing equality');
  await verifyPassword(await dummyHash, password);
  return false;
}
