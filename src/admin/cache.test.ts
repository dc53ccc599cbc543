import { describe, expect, it, vi } from 'vitest';
import { StaleCache } from './cache';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('StaleCache', () => {
  it('builds once for concurrent readers and serves the value until it is old', async () => {
    let builds = 0;
    const cache = new StaleCache(async () => ++builds, 60_000);
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect([a.value, b.value, builds]).toEqual([1, 1, 1]);
    expect((await cache.get()).value).toBe(1);
  });

  it('serves a stale value while rebuilding in the background', async () => {
    let builds = 0;
    let release = () => {};
    const cache = new StaleCache(async () => {
      const n = ++builds;
      if (n > 1) await new Promise<void>((r) => (release = r));
      return n;
    }, 0);
    expect((await cache.get()).value).toBe(1);
    // Old at once (maxAge 0): a read starts a rebuild and is answered the value held meanwhile.
    await vi.waitFor(
      async () => {
        expect((await cache.get()).value).toBe(1);
        expect(builds).toBe(2);
      },
      { timeout: 5_000 },
    );
    release();
    await vi.waitFor(async () => expect((await cache.get()).value).toBe(2), { timeout: 5_000 });
  });

  it('after invalidate() a quick build is waited for, so an admin sees their own change', async () => {
    let value = 'before';
    const cache = new StaleCache(async () => value, 60_000);
    expect((await cache.get()).value).toBe('before');
    value = 'after';
    cache.invalidate();
    expect((await cache.get()).value).toBe('after');
  });

  it('a build that started before invalidate() is not kept', async () => {
    let value = 'old';
    let release: () => void = () => {};
    const cache = new StaleCache(async () => {
      const v = value;
      await new Promise<void>((r) => {
        release = r;
      });
      return v;
    }, 60_000);
    const first = cache.get();
    await tick();
    value = 'new';
    cache.invalidate();
    const second = cache.get();
    release();
    await tick();
    release();
    expect((await first).value).toBe('new');
    expect((await second).value).toBe('new');
  });

  it('fresh reads always rebuild', async () => {
    let builds = 0;
    const cache = new StaleCache(async () => ++builds, 60_000);
    await cache.get();
    expect((await cache.get({ fresh: true })).value).toBe(2);
  });

  it('with a quick threshold, a small value is rebuilt for every reader once old, a slow one served stale', async () => {
    let builds = 0;
    const quick = new StaleCache(async () => ++builds, 0, 1_000);
    await quick.get();
    await tick();
    expect((await quick.get()).value).toBe(2); // old and quick to build: waited for, not stale

    let slowBuilds = 0;
    const slow = new StaleCache(
      async () => {
        await new Promise((r) => setTimeout(r, 30));
        return ++slowBuilds;
      },
      0,
      10,
    );
    await slow.get();
    await tick();
    expect((await slow.get()).value).toBe(1); // took longer than quickMs: stale, rebuilt behind
  });

  it('update() changes the value held and keeps its age', async () => {
    const cache = new StaleCache(async () => [1, 2], 60_000);
    const { at } = await cache.get();
    cache.update((v) => v.filter((n) => n !== 1));
    expect(await cache.get()).toEqual({ value: [2], at });
  });

  it('prime() serves a stored value to a new process once, never after a build or an invalidation', async () => {
    let builds = 0;
    const cache = new StaleCache(async () => ++builds, 60_000);
    await cache.prime(async () => ({ value: 100, at: Date.now() - 1_000 }));
    expect((await cache.get()).value).toBe(100);
    expect(builds).toBe(0);
    cache.invalidate();
    await cache.prime(async () => ({ value: 100, at: Date.now() }));
    expect((await cache.get()).value).toBe(1);
  });
});
