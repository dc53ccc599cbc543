// Builds a real DropIn for one test file: its own database on the shared FerretDB, real SMTP to
// Mailpit, the Hono app for `app.request()`, and tRPC callers. Nothing is mocked.
import { inject } from 'vitest';
import { parseEnv, type Env } from '../../src/env';
import { createServerDeps, startServer, type RunningServer } from '../../src/server';
import { createApp } from '../../src/app';
import type { ServerDeps } from '../../src/deps';
import { newId } from '../../src/lib/ids';
import { freePort } from '../../scripts/services';

export interface Harness {
  env: Env;
  deps: ServerDeps;
  app: ReturnType<typeof createApp>;
  /** A cookie-keeping client for app.request(), like one browser. */
  browser(opts?: { ip?: string; origin?: string; userAgent?: string }): Browser;
  close(): Promise<void>;
}

export interface Browser {
  cookies: Map<string, string>;
  request(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** tRPC mutation over HTTP; returns status and parsed body. */
  mutation<T = unknown>(proc: string, input?: unknown): Promise<{ status: number; body: TRPCBody<T>; res: Response }>;
  query<T = unknown>(proc: string, input?: unknown): Promise<{ status: number; body: TRPCBody<T>; res: Response }>;
  cookieHeader(): string;
}

export type TRPCBody<T> =
  | { result: { data: T }; error?: undefined }
  | {
      result?: undefined;
      error: {
        message: string;
        code: number;
        data: { code: string; httpStatus: number; fieldErrors: Record<string, string> | null; retryAfterSeconds: number | null };
      };
    };

export function testEnv(overrides: Record<string, string> = {}): Env {
  return parseEnv({
    NODE_ENV: 'test',
    PORT: '0',
    PUBLIC_URL: 'http://dropin.test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    MONGODB_URI: inject('mongoUri'),
    MONGODB_DB: `t_${newId()
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 16)}`,
    SMTP_URL: inject('smtpUrl'),
    MAILPIT_URL: inject('mailpitUrl'),
    // Tests move session dates in the database and expect the next request to see it; the cache
    // itself is covered by tests/integration/session-cache.test.ts.
    SESSION_CACHE_MS: '0',
    ...overrides,
  });
}

export async function createHarness(overrides: Record<string, string> = {}): Promise<Harness> {
  const env = testEnv(overrides);
  const deps = await createServerDeps(env);
  const app = createApp(deps);
  return {
    env,
    deps,
    app,
    browser: (opts) => createBrowser(app, env, opts),
    async close() {
      await deps.db.db.dropDatabase().catch(() => {});
      deps.mailer.close();
      await deps.db.close();
    },
  };
}

export interface TestServer extends RunningServer {
  env: Env;
  /** Stops the server and drops its database. */
  close(): Promise<void>;
  /**
   * Stops this server (in-flight requests get `timeoutMs` to finish, then are cut) and starts a new
   * one on the same env: the same database, port and Stripe, as a process restart would.
   */
  restart(opts?: { timeoutMs?: number }): Promise<TestServer>;
}

/** A real listening server (for Chromium, OAuth redirects, benchmarks). */
export async function startTestServer(
  overrides: Record<string, string> = {},
  opts: { webDist?: string } = {},
): Promise<TestServer> {
  // A real port chosen up front, so PUBLIC_URL (and every emailed link) points at this server.
  const port = await freePort();
  const env = testEnv({ HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ...overrides });
  return serveEnv(env, opts);
}

/** A listening server on `env` as it is (the benchmarks parse their own). */
export async function serveEnv(env: Env, opts: { webDist?: string } = {}): Promise<TestServer> {
  const deps = await createServerDeps(env);
  const server = await startServer(deps, opts);
  return {
    ...server,
    env,
    async close() {
      await deps.db.db.dropDatabase().catch(() => {});
      await server.close();
    },
    async restart(stop = {}) {
      await server.close(stop);
      return serveEnv(env, opts);
    },
  };
}

function createBrowser(app: Harness['app'], env: Env, opts: { ip?: string; origin?: string; userAgent?: string } = {}): Browser {
  const cookies = new Map<string, string>();
  const origin = opts.origin ?? env.PUBLIC_URL;
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const request = async (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    if (cookies.size && !headers.has('cookie')) headers.set('cookie', cookieHeader());
    if (!headers.has('origin') && init.method && init.method !== 'GET') headers.set('origin', origin);
    if (!headers.has('user-agent')) headers.set('user-agent', opts.userAgent ?? 'vitest-browser');
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    const res = await app.request(
      `${env.PUBLIC_URL}${path}`,
      { ...init, headers, body },
      { incoming: { socket: { remoteAddress: opts.ip ?? '127.0.0.1' } } },
    );
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const idx = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, idx);
      const value = (pair ?? '').slice(idx + 1);
      if (!value || /max-age=0/i.test(c) || /expires=Thu, 01 Jan 1970/i.test(c)) cookies.delete(name);
      else cookies.set(name, value);
    }
    return res;
  };
  const call = async <T>(kind: 'query' | 'mutation', proc: string, input?: unknown) => {
    const res =
      kind === 'query'
        ? await request(`/trpc/${proc}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`)
        : await request(`/trpc/${proc}`, { method: 'POST', json: input ?? null });
    const body = (await res.json()) as TRPCBody<T>;
    return { status: res.status, body, res };
  };
  return {
    cookies,
    request,
    cookieHeader,
    query: (proc, input) => call('query', proc, input),
    mutation: (proc, input) => call('mutation', proc, input),
  };
}
