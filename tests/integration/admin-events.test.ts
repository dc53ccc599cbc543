// The Stripe events log (src/admin/events.ts) over inbox rows written directly: newest first with
// stable paging, each search kind, a small inbox read live on every request, and a large one served
// from its snapshot (with "as of") until Refresh, while an event id is still found live.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookEventDoc } from '../../src/db/collections';
import { EVENT_LOG_MAX_AGE_MS, EVENT_LOG_QUICK_MS, eventLog, listEvents } from '../../src/admin/events';
import { cacheFor } from '../../src/admin/cache';
import { createHarness, type Harness } from '../setup/harness';

const T0 = Date.parse('2026-11-26T12:00:00Z');
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

function event(i: number, over: Partial<WebhookEventDoc> = {}): WebhookEventDoc {
  const at = new Date(T0 + i * 1000);
  const type = i % 3 === 0 ? 'invoice.paid' : 'customer.subscription.updated';
  return {
    _id: `evt_log${String(i).padStart(3, '0')}`,
    type,
    customerId: `cus_log${i % 4}`,
    objectId: type === 'invoice.paid' ? `in_log${i}` : `sub_log${i % 4}`,
    livemode: false,
    payload: JSON.stringify({ id: `evt_log${i}` }),
    created: at,
    receivedAt: at,
    duplicates: 0,
    status: i % 10 === 0 ? 'parked' : 'processed',
    attempts: 1,
    nextAttemptAt: at,
    lockedUntil: null,
    lastError: i % 10 === 0 ? 'boom' : null,
    processedAt: at,
    ...over,
  };
}

const page = (q: Partial<Parameters<typeof listEvents>[1]> = {}) => listEvents(h.deps, { page: 1, pageSize: 10, ...q });

describe('Stripe events log', () => {
  it('lists newest first, pages without overlap, and searches by id, customer, object and type', async () => {
    await h.deps.db.c.webhookEvents.insertMany(Array.from({ length: 30 }, (_, i) => event(i)));
    const first = await page();
    expect(first.total).toBe(30);
    expect(first.rows[0]?.id).toBe('evt_log029');
    const second = await page({ page: 2 });
    expect(second.rows[0]?.id).toBe('evt_log019');
    expect((await page({ search: 'evt_log007' })).rows.map((r) => r.id)).toEqual(['evt_log007']);
    const byCustomer = await page({ search: 'cus_log1', pageSize: 100 });
    expect(byCustomer.total).toBe(8);
    expect(byCustomer.rows.every((r) => r.customerId === 'cus_log1')).toBe(true);
    expect((await page({ search: 'in_log9' })).rows.map((r) => r.id)).toEqual(['evt_log009']);
    const invoices = await page({ search: 'invoice.', pageSize: 100 });
    expect(invoices.total).toBe(10);
    const parked = await page({ status: 'parked' });
    expect(parked.rows.map((r) => r.id)).toEqual(['evt_log020', 'evt_log010', 'evt_log000']);
  });

  it('a small inbox is read live: an event recorded a moment ago is listed', async () => {
    // The live threshold is a reading time; on a busy machine this inbox can take longer than the
    // production one, so it is registered here (for a connection object of its own) with a
    // threshold any machine meets.
    const deps = { ...h.deps, db: { ...h.deps.db } };
    cacheFor(deps, 'events', () => eventLog(h.deps), EVENT_LOG_MAX_AGE_MS, 60_000);
    await listEvents(deps, { page: 1, pageSize: 10 });
    await h.deps.db.c.webhookEvents.insertOne(event(31));
    const { rows, asOf } = await listEvents(deps, { page: 1, pageSize: 10 });
    expect(rows[0]?.id).toBe('evt_log031');
    expect(asOf).not.toBeNull();
  });

  it('a large inbox is served from the snapshot until refreshed; an exact event id is read live', async () => {
    // Stand in for an inbox that takes longer to read than the live threshold: it is then served
    // from the snapshot (cache.ts), registered here for a connection object of its own (caches are
    // per connection: a second server process would have its own).
    const deps = { ...h.deps, db: { ...h.deps.db } };
    let reads = 0;
    cacheFor(
      deps,
      'events',
      async () => {
        reads += 1;
        const rows = await eventLog(h.deps);
        await new Promise((r) => setTimeout(r, EVENT_LOG_QUICK_MS + 50));
        return rows;
      },
      EVENT_LOG_MAX_AGE_MS,
      EVENT_LOG_QUICK_MS,
    );
    const before = await listEvents(deps, { page: 1, pageSize: 10 });
    await h.deps.db.c.webhookEvents.insertOne(event(40));
    const stale = await listEvents(deps, { page: 1, pageSize: 10 });
    expect(stale.rows[0]?.id).toBe(before.rows[0]?.id);
    expect(stale.asOf).toBe(before.asOf);
    const exact = await listEvents(deps, { search: 'evt_log040', page: 1, pageSize: 10 });
    expect(exact.rows.map((r) => r.id)).toEqual(['evt_log040']);
    expect(exact.asOf).toBeNull();
    const refreshed = await listEvents(deps, { page: 1, pageSize: 10, fresh: true });
    expect(refreshed.rows[0]?.id).toBe('evt_log040');
    expect(reads).toBe(2);
  });
});
