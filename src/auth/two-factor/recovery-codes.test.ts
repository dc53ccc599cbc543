import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, matchRecoveryCode, newRecoveryCode, normalizeRecoveryCode } from './recovery-codes';

describe('recovery codes', () => {
  it('are xxxxx-xxxxx in base32 and all different', () => {
    const codes = Array.from({ length: 50 }, newRecoveryCode);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
    expect(new Set(codes).size).toBe(50);
  });

  it('are stored as Argon2id hashes that never contain the code', async () => {
    const code = newRecoveryCode();
    const hash = await hashRecoveryCode(code);
    expect(hash.startsWith('$argon2id$')).toBe(true);
    expect(hash).not.toContain(normalizeRecoveryCode(code));
  });

  it('match whatever the case, spaces and dashes, and only the right hash', async () => {
    const codes = [newRecoveryCode(), newRecoveryCode(), newRecoveryCode()];
    const hashes = await Promise.all(codes.map(hashRecoveryCode));
    const second = codes[1] as string;
    expect(await matchRecoveryCode(hashes, second)).toBe(1);
    expect(await matchRecoveryCode(hashes, ` ${second.toUpperCase().replace('-', ' ')} `)).toBe(1);
    expect(await matchRecoveryCode(hashes, newRecoveryCode())).toBe(-1);
    expect(await matchRecoveryCode(hashes, 'not a code')).toBe(-1);
  });
});
