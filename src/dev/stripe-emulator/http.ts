// The HTTP front door. `/v1/...` is Stripe's API (bearer auth, form bodies, idempotency, expand,
// Stripe's error bodies); `/_emulator/...` is the JSON control API for tests; `/c`, `/p`, `/i` are
// the hosted pages a person sees instead of stripe.com.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import qs from 'qs';
import { API_VERSION, type Emulator } from './emulator.js';
import { apiError, invalidRequest, StripeApiError } from './errors.js';
import { applyExpand } from './expand.js';
import { randomToken } from './ids.js';
import type { Router } from './router.js';

export interface PageRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  form: Record<string, unknown>;
}

export interface PageResponse {
  status: number;
  body: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export type PageHandler = (emu: Emulator, req: PageRequest) => PageResponse | null | Promise<PageResponse | null>;
export type ControlHandler = (
  emu: Emulator,
  req: { method: string; path: string; body: Record<string, unknown>; query: Record<string, unknown> },
) => Promise<{ status: number; body: unknown } | null>;

interface IdempotentResult {
  fingerprint: string;
  status: number;
  body: string;
  at: number;
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const QS_OPTIONS = { arrayLimit: 1000, depth: 20, parameterLimit: 10_000 } as const;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>): void {
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function errorJson(err: StripeApiError, requestId: string): string {
  return JSON.stringify({ error: { ...err.body, request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` } });
}

/** The key a request carries (`Bearer <key>`, or Basic with the key as user name). */
function keyOf(header: string | undefined): string {
  const bearer = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const basic = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (bearer) return bearer[1]!.trim();
  if (basic) return Buffer.from(basic[1]!, 'base64').toString().split(':')[0] ?? '';
  return '';
}

function maskKey(key: string): string {
  return key.length > 4 ? `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}` : key;
}

/**
 * The resource a restricted key needs access to for an API path, named like the API's own paths
 * (`customers`, `checkout.sessions`, `billing.meters`, `v2.core.event_destinations`); items,
 * invoice payments and meter events count as their parents.
 */
export function permissionResource(path: string): string {
  const [first = '', second = ''] = path.split('/').slice(2);
  if (path.startsWith('/v2/')) return `v2.${first}.${second}`;
  const grouped = ['billing_portal', 'checkout', 'billing', 'test_helpers', 'radar'];
  const resource = grouped.includes(first) ? `${first}.${second}` : first;
  const parents: Record<string, string> = {
    subscription_items: 'subscriptions',
    invoice_payments: 'invoices',
    invoiceitems: 'invoices',
    'billing.meter_events': 'billing.meters',
  };
  return parents[resource] ?? resource;
}

/** Stripe's 403 for a restricted key without the access a request needs, or null when it has it. */
function permissionError(emu: Emulator, key: string, method: string, path: string): StripeApiError | null {
  const permissions = emu.state.restrictedKeys[key];
  if (!permissions) return null;
  const resource = permissionResource(path);
  const needed = method === 'GET' ? 'read' : 'write';
  const has = permissions[resource];
  if (has === 'write' || has === needed) return null;
  return new StripeApiError(403, {
    type: 'invalid_request_error',
    message: `The provided key '${maskKey(key)}' does not have the required permissions for this endpoint on account 'acct_emulator'. Having the 'rak_${resource.replaceAll('.', '_')}_${needed}' permission would allow this request to continue.`,
  });
}

/** Accepts `Bearer sk_test_…` (and Basic with the key as user name, which Stripe also accepts). */
function authenticate(header: string | undefined): StripeApiError | null {
  if (!header) {
    return new StripeApiError(401, {
      type: 'invalid_request_error',
      message:
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
    });
  }
  const key = keyOf(header);
  if (!/^(sk|rk)_test_[A-Za-z0-9_]+$/.test(key)) {
    const shown = maskKey(key);
    return new StripeApiError(401, {
      type: 'invalid_request_error',
      code: 'api_key_invalid',
      message: `Invalid API Key provided: ${shown}`,
    });
  }
  return null;
}

/** Bounds the shapes kept: a few hundred at most come from DropIn's own calls. */
const MAX_SHAPES = 5_000;

/** Parameter key paths as Stripe's form encoding names them, array indexes collapsed: `items[][price]`. */
export function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return [...new Set(value.flatMap((v) => keyPaths(v, `${prefix}[]`)))].sort();
  if (value && typeof value === 'object') {
    const out = Object.entries(value).flatMap(([k, v]) => keyPaths(v, prefix ? `${prefix}[${k}]` : k));
    return out.length ? out : [prefix];
  }
  return [prefix];
}

function recordShape(
  emu: Emulator,
  req: { method: string; route: string; raw: Record<string, unknown>; path: string; params: string },
): void {
  const { expand, ...rest } = req.raw;
  const expandPaths = (Array.isArray(expand) ? expand : expand === undefined ? [] : [expand]).map(String).sort();
  const keys = keyPaths(rest).filter(Boolean);
  const key = `${req.method} ${req.route} ${keys.join(',')} ${expandPaths.join(',')}`;
  if (emu.shapes.has(key) || emu.shapes.size >= MAX_SHAPES) return;
  emu.shapes.set(key, { method: req.method, route: req.route, keys, expand: expandPaths, path: req.path, params: req.params });
}

export class HttpFrontDoor {
  private readonly idempotency = new Map<string, IdempotentResult>();

  constructor(
    private readonly emu: Emulator,
    private readonly api: Router,
    private readonly pages: PageHandler,
    private readonly control: ControlHandler,
  ) {}

  createServer(): Server {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        console.error('[stripe-emulator] unhandled error', err);
        if (!res.headersSent)
          send(res, 500, JSON.stringify({ error: { type: 'api_error', message: 'Emulator crashed handling this request.' } }), {
            'content-type': 'application/json',
          });
      });
    });
    server.keepAliveTimeout = 30_000;
    return server;
  }

  clearIdempotency(): void {
    this.idempotency.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const bodyText = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);

    if (path.startsWith('/_emulator/')) {
      let body: Record<string, unknown> = {};
      if (bodyText) {
        try {
          body = JSON.parse(bodyText) as Record<string, unknown>;
        } catch {
          send(res, 400, JSON.stringify({ error: 'body must be JSON' }), { 'content-type': 'application/json' });
          return;
        }
      }
      const query = qs.parse(url.search.slice(1), QS_OPTIONS) as Record<string, unknown>;
      const out = await this.control(this.emu, { method, path, body, query });
      if (!out)
        send(res, 404, JSON.stringify({ error: `no control endpoint ${method} ${path}` }), {
          'content-type': 'application/json',
        });
      else send(res, out.status, JSON.stringify(out.body, null, 2), { 'content-type': 'application/json' });
      return;
    }

    if (!path.startsWith('/v1/') && !path.startsWith('/v2/')) {
      const page = await this.pages(this.emu, {
        method,
        path,
        query: qs.parse(url.search.slice(1), QS_OPTIONS) as Record<string, unknown>,
        form: qs.parse(bodyText, QS_OPTIONS) as Record<string, unknown>,
      });
      if (!page) {
        send(res, 404, 'Not found', { 'content-type': 'text/plain; charset=utf-8' });
        return;
      }
      send(res, page.status, page.body, {
        'content-type': page.contentType ?? 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        ...page.headers,
      });
      return;
    }

    this.handleApi(req, res, method, path, url, bodyText);
  }

  private handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    url: URL,
    bodyText: string,
  ): undefined {
    const requestId = `req_${randomToken(14)}`;
    const idemKey = method === 'POST' ? ((req.headers['idempotency-key'] as string | undefined) ?? null) : null;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'request-id': requestId,
      'stripe-version': (req.headers['stripe-version'] as string | undefined) ?? API_VERSION,
      'access-control-allow-origin': '*',
    };
    if (idemKey) headers['idempotency-key'] = idemKey;
    // Returns undefined so `return fail(…)` reads as "answer with this error and stop".
    const fail = (err: StripeApiError): undefined => {
      send(res, err.status, errorJson(err, requestId), headers);
      return undefined;
    };

    const authError = authenticate(req.headers.authorization);
    if (authError) return fail(authError);
    const permissionDenied = permissionError(this.emu, keyOf(req.headers.authorization), method, path);
    if (permissionDenied) return fail(permissionDenied);

    // Injected API faults (before anything executes, like an outage in front of Stripe).
    const fault = this.emu.apiFaults.find(
      (f) =>
        f.remaining > 0 && (!f.pathPrefix || path.startsWith(f.pathPrefix)) && (!f.method || f.method.toUpperCase() === method),
    );
    let failAfter = false;
    if (fault?.afterExecution) {
      fault.remaining--;
      this.emu.apiFaults = this.emu.apiFaults.filter((f) => f.remaining > 0);
      failAfter = true;
    } else if (fault) {
      fault.remaining--;
      this.emu.apiFaults = this.emu.apiFaults.filter((f) => f.remaining > 0);
      if (fault.status === 429) {
        return fail(
          new StripeApiError(429, {
            type: 'invalid_request_error',
            code: 'rate_limit',
            message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
            doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
          }),
        );
      }
      return fail(apiError('An unknown error occurred (injected by the emulator).'));
    }

    // API v2 takes JSON bodies; v1 takes form bodies.
    let raw: Record<string, unknown>;
    if (path.startsWith('/v2/') && method === 'POST') {
      try {
        raw = bodyText ? (JSON.parse(bodyText) as Record<string, unknown>) : {};
      } catch {
        return fail(invalidRequest('The request body is not valid JSON.'));
      }
    } else {
      raw = (method === 'POST' ? qs.parse(bodyText, QS_OPTIONS) : qs.parse(url.search.slice(1), QS_OPTIONS)) as Record<
        string,
        unknown
      >;
    }

    let fingerprint = '';
    if (idemKey) {
      if (idemKey.length > 255)
        return fail(invalidRequest('Idempotency-Key must be at most 255 characters.', { param: 'Idempotency-Key' }));
      fingerprint = createHash('sha256')
        .update(`${method} ${path} ${JSON.stringify(raw)}`)
        .digest('hex');
      const prior = this.idempotency.get(idemKey);
      if (prior && Date.now() - prior.at < IDEMPOTENCY_TTL_MS) {
        if (prior.fingerprint !== fingerprint) {
          return fail(
            new StripeApiError(400, {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idemKey}' if you meant to execute a different request.`,
            }),
          );
        }
        send(res, prior.status, prior.body, { ...headers, 'idempotent-replayed': 'true', 'original-request': requestId });
        return;
      }
    }

    const match = this.api.match(method, path);
    if (!match) {
      return fail(
        invalidRequest(
          `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
          { status: 404 },
        ),
      );
    }

    // v1 only: the contract test replays shapes to stripe-mock, whose spec has no v2 API.
    if (path.startsWith('/v1/'))
      recordShape(this.emu, {
        method,
        route: match.pattern,
        raw,
        path,
        params: method === 'POST' ? bodyText : url.search.slice(1),
      });
    let status = 200;
    let body: string;
    this.emu.request = { id: requestId, idempotencyKey: idemKey };
    try {
      const result = match.handler({ emu: this.emu, method, path, raw, params: match.params });
      body = JSON.stringify(applyExpand(this.emu, result, raw.expand));
      this.emu.onChange();
    } catch (err) {
      if (!(err instanceof StripeApiError)) {
        console.error('[stripe-emulator] handler error', method, path, err);
        return fail(apiError(err instanceof Error ? err.message : String(err)));
      }
      if (err.validation) return fail(err); // never stored for replay
      status = err.status;
      body = errorJson(err, requestId);
    } finally {
      this.emu.request = null;
    }
    if (idemKey) {
      this.idempotency.set(idemKey, { fingerprint, status, body, at: Date.now() });
      if (this.idempotency.size > 50_000) this.pruneIdempotency();
    }
    if (failAfter) return fail(apiError('An unknown error occurred after the request was processed (injected by the emulator).'));
    send(res, status, body, headers);
    return undefined;
  }

  /** Drop expired keys; past the cap, drop the oldest too (the map is in insertion order). */
  private pruneIdempotency(): void {
    const cutoff = Date.now() - IDEMPOTENCY_TTL_MS;
    let excess = this.idempotency.size - 40_000;
    for (const [k, v] of this.idempotency) {
      if (v.at >= cutoff && excess <= 0) break;
      this.idempotency.delete(k);
      excess--;
    }
  }
}
