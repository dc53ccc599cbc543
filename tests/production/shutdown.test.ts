// Graceful shutdown of the HTTP server (what PM2's reload and stop rely on): a request in flight
// when the stop begins still gets its answer, idle keep-alive sockets do not hold the stop up, new
// connections are refused, and a request that never ends is cut at the deadline.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { createServerDeps, startServer } from '../../src/server';
import { testEnv } from '../setup/harness';

/** A listening server on a free port with fake Stripe keys (the webhook route needs a secret). */
async function start() {
  const env = testEnv({ HOST: '127.0.0.1', STRIPE_WEBHOOK_SECRET: 'whsec_shutdown_test', STRIPE_SECRET_KEY: 'sk_test_shutdown' });
  return startServer(await createServerDeps(env));
}

/**
 * Resolves when this process's HTTP server reaches `stage` for a request to `pathname`: `start`
 * once it has read the headers, `finish` once it has written the whole answer (Node's own
 * diagnostics channels: nothing in the server is changed).
 */
function serverSees(stage: 'start' | 'finish', pathname: string): Promise<void> {
  const channel = stage === 'start' ? 'http.server.request.start' : 'http.server.response.finish';
  return new Promise((resolve) => {
    const listener = (message: unknown) => {
      if ((message as { request: http.IncomingMessage }).request.url !== pathname) return;
      unsubscribe(channel, listener);
      resolve();
    };
    subscribe(channel, listener);
  });
}

/**
 * Starts a POST whose body arrives in two parts; `finish()` sends the rest. `arrived` resolves
 * once the app has the request and is waiting for the rest of its body, `answered` once the
 * server has written its answer.
 */
function slowRequest(url: string) {
  const arrived = serverSees('start', '/webhooks/stripe');
  const answered = serverSees('finish', '/webhooks/stripe');
  const body = JSON.stringify({ id: 'evt_shutdown', object: 'event' });
  const half = Math.floor(body.length / 2);
  let finish = () => {};
  const res = new Promise<{ status: number; connection: string | undefined; ms: number }>((resolve, reject) => {
    const started = Date.now();
    const req = http.request(`${url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length, 'stripe-signature': 't=1,v1=00' },
    });
    req.on('response', (r) => {
      r.resume();
      r.on('end', () => resolve({ status: r.statusCode ?? 0, connection: r.headers.connection, ms: Date.now() - started }));
    });
    req.on('error', reject);
    req.write(body.slice(0, half));
    finish = () => req.end(body.slice(half));
  });
  return { res, arrived, answered, finish: () => finish() };
}

function canConnect(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/healthz`, { agent: false }, (r) => {
      r.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
  });
}

describe('graceful shutdown', () => {
  it('finishes the request in flight, refuses new connections and does not wait for idle keep-alive sockets', async () => {
    const server = await start();
    // An idle keep-alive socket, as nginx keeps: it must not delay the stop.
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve) => http.get(`${server.url}/healthz`, { agent }, (r) => r.resume().on('end', resolve)));
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);

    const idleSocket = Object.values(agent.freeSockets).flat()[0];
    const idleClosed = new Promise<void>((resolve) => idleSocket?.once('close', () => resolve()));
    const slow = slowRequest(server.url);
    await server.deps.db.db.dropDatabase(); // nothing stored; the database is this test's own
    await slow.arrived;
    const stopStarted = Date.now();
    const order: string[] = [];
    void slow.answered.then(() => order.push('answered'));
    const closing = server.close({ timeoutMs: 10_000 }).then(() => {
      order.push('stopped');
      return Date.now();
    });
    // The stop is under way: the idle socket is closed at once, new connections are refused.
    await idleClosed;
    expect(await canConnect(server.url), 'new connections are refused once the stop began').toBe(false);
    expect(order, 'the stop waits for the request in flight').toEqual([]);

    slow.finish();
    const answer = await slow.res;
    const stoppedAt = await closing;
    expect(order, 'the stop ends after the answer was written').toEqual(['answered', 'stopped']);
    // The signature is fake, so the route's own answer is a 400: what matters is that it arrived.
    expect(answer.status).toBe(400);
    expect(answer.connection).toBe('close');
    const stopMs = stoppedAt - stopStarted;
    console.log(`shutdown: in-flight request answered after ${answer.ms} ms; stop took ${stopMs} ms`);
    // Had the idle socket held the stop up, it would have lasted until Node's 5 s keep-alive timeout.
    expect(stopMs).toBeLessThan(5_000);
    agent.destroy();
  });

  it('cuts a request that never finishes at the deadline', async () => {
    const server = await start();
    const slow = slowRequest(server.url);
    const outcome = slow.res.then(
      () => 'answered',
      () => 'cut',
    );
    await server.deps.db.db.dropDatabase();
    await slow.arrived;
    const started = Date.now();
    await server.close({ timeoutMs: 500 });
    const ms = Date.now() - started;
    expect(await outcome).toBe('cut');
    expect(ms).toBeGreaterThanOrEqual(450);
    // The deadline given, not the 10 s default (a busy machine adds time, not seconds of it).
    expect(ms).toBeLessThan(8_000);
  });
});
