import { describe, expect, it } from 'vitest';
import { readRememberedDevice } from './second-factor';

describe('readRememberedDevice', () => {
  const env = { NODE_ENV: 'test' as const };
  const token = 'a'.repeat(20) + 'B_-'.repeat(8);

  it('reads the cookie like every other cookie: quoted values too, whatever else the header holds', () => {
    expect(readRememberedDevice(env, `other=%E0%A4%A; dropin_device=${token}`)).toBe(token);
    expect(readRememberedDevice(env, `dropin_device="${token}"; other=1`)).toBe(token);
  });

  it('answers null for a missing, malformed or foreign value, never throws', () => {
    expect(readRememberedDevice(env, null)).toBeNull();
    expect(readRememberedDevice(env, 'other=%E0%A4%A')).toBeNull();
    expect(readRememberedDevice(env, 'dropin_device=%E0%A4%A')).toBeNull();
    expect(readRememberedDevice(env, 'dropin_device=short')).toBeNull();
    expect(readRememberedDevice({ NODE_ENV: 'production' }, `dropin_device=${token}`)).toBeNull();
    expect(readRememberedDevice({ NODE_ENV: 'production' }, `__Host-dropin_device=${token}`)).toBe(token);
  });
});
