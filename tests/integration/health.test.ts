import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../setup/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe('health and headers', () => {
  it('answers /healthz and /readyz with a database ping', async () => {
    const b = h.browser();
    expect((await b.request('/healthz')).status).toBe(200);
    const ready = await b.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, db: true });
  });

  it('sends security headers on every response', async () => {
    const res = await h.browser().request('/healthz');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBeTruthy();
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('reports not ready when the database is unreachable', async () => {
    const other = await createHarness();
    await other.deps.db.client.close();
    const res = await other.browser().request('/readyz');
    expect(res.status).toBe(503);
  });
});
