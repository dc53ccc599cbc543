import { Writable } from 'node:stream';
import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../lib/errors';
import { validator } from 'hono/validator';
import { invalidInput, notFound, onHttpError, UNEXPECTED } from './errors';

/** A zod check through Hono's validator, answering a failure with the shared 400. */
const valid = <T extends 'param' | 'query' | 'json', S extends z.ZodType>(target: T, schema: S) =>
  validator(target, (value, c) => {
    const parsed = schema.safeParse(value);
    return parsed.success ? (parsed.data as z.output<S>) : invalidInput(c, parsed.error);
  });

/** An app using the shared handlers, with a logger whose lines the test reads. */
function appWithLog() {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const app = new Hono();
  app.get('/conflict', () => {
    throw new AppError('CONFLICT', 'An item with this slug already exists.', { field: 'slug' });
  });
  app.get('/busy', () => {
    throw new AppError('TOO_MANY_REQUESTS', 'Already running.', { retryAfterSeconds: 3 });
  });
  app.get('/boom', () => {
    throw new Error('database exploded');
  });
  app.get('/items/:id', valid('param', z.object({ id: z.string().regex(/^\d+$/, 'must be digits') })), (c) =>
    c.json({ id: c.req.valid('param').id }),
  );
  app.get('/search', valid('query', z.object({ q: z.string().max(3, 'must be at most 3 characters') })), (c) =>
    c.json(c.req.valid('query')),
  );
  app.post('/things', valid('json', z.object({ n: z.number({ error: 'must be a number' }) }).strict()), (c) =>
    c.json(c.req.valid('json')),
  );
  app.notFound(notFound);
  app.onError(onHttpError(pino(sink)));
  return { app, lines };
}

describe('the one HTTP error shape', () => {
  it('an AppError keeps its status, message, field and Retry-After; nothing is logged', async () => {
    const { app, lines } = appWithLog();
    const conflict = await app.request('/conflict');
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({ error: 'An item with this slug already exists.', field: 'slug' });
    const busy = await app.request('/busy');
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('3');
    expect(await busy.json()).toEqual({ error: 'Already running.' });
    expect(lines).toEqual([]);
  });

  it('an unexpected error is logged and answered 500 without its details', async () => {
    const { app, lines } = appWithLog();
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: UNEXPECTED });
    expect(lines.map((l) => l.msg)).toEqual(['unhandled error']);
  });

  it('an unknown path is 404 in the same shape', async () => {
    const { app } = appWithLog();
    const res = await app.request('/nowhere');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Not found.' });
  });

  it('params, query strings and JSON bodies failing their schema get 400 naming the field', async () => {
    const { app } = appWithLog();
    const param = await app.request('/items/abc');
    expect(param.status).toBe(400);
    expect(await param.json()).toEqual({ error: 'id must be digits', field: 'id' });
    const query = await app.request('/search?q=toolong');
    expect(await query.json()).toEqual({ error: 'q must be at most 3 characters', field: 'q' });
    const post = (body: unknown) =>
      app.request('/things', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const body = await post({ n: 'one' });
    expect(body.status).toBe(400);
    expect(await body.json()).toEqual({ error: 'n must be a number', field: 'n' });
    const extra = await post({ n: 1, admin: true });
    expect(await extra.json()).toEqual({ error: 'admin is not accepted here', field: 'admin' });
    expect(await (await post({ n: 1 })).json()).toEqual({ n: 1 });
    expect(await (await app.request('/items/42')).json()).toEqual({ id: '42' });
  });
});
