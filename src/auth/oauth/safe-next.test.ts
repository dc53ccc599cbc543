import { describe, expect, it } from 'vitest';
import { safeNext } from './safe-next';

const site = 'https://dropin.example';

describe('safeNext', () => {
  it.each([
    ['/app', '/app'],
    ['/app/settings?tab=sessions#top', '/app/settings?tab=sessions#top'],
    ['/a/../b', '/b'],
    ['/%E2%9C%93', '/%E2%9C%93'],
  ])('keeps the same-site path %s', (raw, want) => {
    expect(safeNext(raw, site)).toBe(want);
  });

  it.each([
    'https://evil.example',
    'https://evil.example/app',
    'http://dropin.example.evil.example/',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    ' /app',
    '%2F%2Fevil.example',
    '/%2F%2Fevil.example',
    '/%2Fevil.example',
    '/%5Cevil.example',
    '/%252F%252Fevil.example',
    '/%5C%5Cevil.example',
    'javascript:alert(1)',
    '/javascript:alert(1)',
    'data:text/html,hi',
    'app',
    '',
    `/${'a'.repeat(5000)}`,
    '/%E0%A4%A',
  ])('sends %j to the default', (raw) => {
    expect(safeNext(raw, site)).toBe('/app');
  });

  it('uses the given fallback for missing values', () => {
    expect(safeNext(undefined, site, '/settings')).toBe('/settings');
    expect(safeNext(null, site)).toBe('/app');
  });
});
