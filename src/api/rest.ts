// The developer REST API at /api/v1: bearer API keys, per-key rate limits, and one counted API
// call per request answered 2xx. Invalid keys (401), rate-limited requests (429), bad input and
// refusals (404, 403) count nothing; a quota refusal (402) keeps nothing either (src/usage/counter.ts).
// Params and query strings are checked by the schemas below; a tool's JSON body by the tool's own
// schema (src/content/tools.ts), as on the web app. Errors have the app's one shape (src/http/errors.ts).
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { AppEnv } from '../http/app-env';
import type { AppDeps } from '../deps';
import { jsonError, notFound, onHttpError } from '../http/errors';
import { valid } from '../http/validate';
import { tooManyMessage } from '../lib/try-again';
import { itemSlug, search, tag } from '../trpc/inputs';
import { consume } from '../usage/counter';
import { type Entitlement, planState } from '../usage/entitlements';
import type { PlanState } from '../usage/plan-state';
import { usageSummary } from '../usage/summary';
import { itemTool, type LibraryItemFull, readItem, searchLibrary } from '../content/library';
import { TOOL_BODY_MAX } from '../content/tools';
import { authenticateApiKey } from './keys';
import { API_RATE_PER_MINUTE, takeToken } from './rate';

type ApiEnv = AppEnv & {
  /** `count` stores this call's unit (once, however often it is called) and says where it leaves the quota. */
  Variables: { apiUserId: string; planState: PlanState; count: () => Promise<Entitlement> };
};

// readItem hands out one shared object per item and plan, so its answer is serialized once too.
const itemBodies = new WeakMap<object, string>();
function itemBody(item: Readonly<LibraryItemFull>): string {
  let body = itemBodies.get(item);
  if (body === undefined) {
    body = JSON.stringify({ data: item });
    itemBodies.set(item, body);
  }
  return body;
}

const itemParams = z.object({ slug: itemSlug() }).strict();
/** Unknown parameters are ignored, as query strings go; known ones must be given once. */
const searchQuery = z.object({ q: search.optional(), tag: tag.optional() });

/** Bodies carrying a tool's input, here and on the web app's tRPC call (src/app.ts). */
export const toolBodyLimit = bodyLimit({
  maxSize: TOOL_BODY_MAX,
  onError: (c) => jsonError(c, 413, 'Request body too large: a tool input is at most 2 MB of text.'),
});

export function restApi(deps: AppDeps) {
  const api = new Hono<ApiEnv>();

  api.use('*', async (c, next) => {
    c.header('Cache-Control', 'private, no-store');
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      c.header('WWW-Authenticate', 'Bearer realm="dropin"');
      return jsonError(c, 401, 'Missing API key. Send it as "Authorization: Bearer <key>".');
    }
    const key = await authenticateApiKey(deps, match[1] as string);
    if (!key) {
      c.header('WWW-Authenticate', 'Bearer realm="dropin", error="invalid_token"');
      return jsonError(c, 401, 'Invalid or revoked API key.');
    }
    const state = await planState(deps, key.userId);
    const limit = API_RATE_PER_MINUTE[state.plan];
    const wait = deps.env.RATE_LIMIT_DISABLED ? 0 : await takeToken(deps, key.id, limit);
    c.header('X-RateLimit-Limit', `${limit};w=60`);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      return jsonError(c, 429, tooManyMessage(`Rate limit of ${limit} requests a minute for this key exceeded.`, wait));
    }
    // One API call per request answered 2xx, under an id of ours, never the client's, so a replayed
    // request id cannot make calls free. The route runs first (every one here only reads): bad input
    // and refusals (404, a locked item's 403) change nothing, usage included. A call past the quota
    // gets 402 in place of the route's answer, and nothing is answered before its unit is stored.
    let counted: Promise<Entitlement> | null = null;
    const count = () => {
      counted ??= consume(deps, {
        userId: key.userId,
        metric: 'api_call',
        unitId: `api:${key.id}:${randomUUID()}`,
        minted: true,
        ref: key.id,
        state,
      });
      return counted;
    };
    c.set('apiUserId', key.userId);
    c.set('planState', state);
    c.set('count', count);
    await next();
    if (!c.res.ok && !counted) return;
    const ent = await count();
    if (ent.limit !== null) {
      const h = c.res.headers;
      h.set('X-Quota-Limit', String(ent.limit));
      h.set('X-Quota-Used', String(ent.used));
      h.set('X-Quota-Remaining', String(ent.remaining ?? 0));
    }
  });

  api.get('/content', valid('query', searchQuery), async (c) => {
    const result = await searchLibrary(deps, { userId: c.get('apiUserId'), ...c.req.valid('query') });
    return c.json({ plan: result.plan, data: result.items });
  });

  api.get('/content/:slug', valid('param', itemParams), async (c) => {
    const { slug } = c.req.valid('param');
    const item = await readItem(deps, { userId: c.get('apiUserId'), slug, state: c.get('planState') });
    return c.body(itemBody(item), 200, { 'Content-Type': 'application/json' });
  });

  // A tool run: the tool's input as the JSON body, its result as `data`. Counts one API call when
  // it answers 200; bad input (400, naming the field) and a locked tool (403) count nothing.
  api.post('/tools/:slug/run', toolBodyLimit, valid('param', itemParams), async (c) => {
    const { slug } = c.req.valid('param');
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json'))
      return jsonError(c, 415, 'Send the input as JSON, with Content-Type: application/json.');
    // Access first: a locked or unknown tool is refused before its body is read.
    const run = await itemTool(deps, { userId: c.get('apiUserId'), slug, state: c.get('planState') });
    let input: unknown;
    try {
      input = await c.req.json();
    } catch {
      return jsonError(c, 400, 'The body is not valid JSON.');
    }
    return c.json({ data: await run(input) });
  });

  api.get('/usage', async (c) => {
    await c.get('count')(); // the summary includes this call
    return c.json({ data: await usageSummary(deps, c.get('apiUserId')) });
  });

  api.notFound(notFound);
  api.onError(onHttpError(deps.log));
  return api;
}
