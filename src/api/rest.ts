// The developer REST API at /api/v1: bearer API keys, per-key rate limits, and one counted API
// call per request answered 2xx. Invalid keys (401), rate-limited requests (429), bad input and
// refusals (404, 403) count nothing; a quota refusal (402) keeps nothing either (src/usage/counter.ts).
// Each route is declared with @hono/zod-openapi: its params and query string are checked by the
// schemas in ./schemas.ts, which also describe its answers, and the spec served at
// /api/v1/openapi.json is generated from the same declarations. A tool's JSON body is checked by
// the tool's own schema (src/content/tools.ts), as on the web app, after the access check.
// Errors have the app's one shape (src/http/errors.ts).
import { randomUUID } from 'node:crypto';
import { createRoute, OpenAPIHono, type RouteConfig, type RouteConfigToTypedResponse, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../http/app-env';
import type { AppDeps } from '../deps';
import { errorBody, invalidInput, jsonError, notFound, onHttpError } from '../http/errors';
import { tooManyMessage } from '../lib/try-again';
import { consume } from '../usage/counter';
import { type Entitlement, planState } from '../usage/entitlements';
import type { PlanState } from '../usage/plan-state';
import { usageSummary } from '../usage/summary';
import { itemTool, type LibraryItemFull, readItem, searchLibrary } from '../content/library';
import { cohortInput, headlineInput, mrrInput, TOOL_BODY_MAX } from '../content/tools';
import { authenticateApiKey } from './keys';
import { API_RATE_PER_MINUTE, takeToken } from './rate';
import { errorSchema, itemParams, itemResult, searchQuery, searchResult, toolResult, usageResult } from './schemas';

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

/** Bodies carrying a tool's input, here and on the web app's tRPC call (src/app.ts). */
export const toolBodyLimit = bodyLimit({
  maxSize: TOOL_BODY_MAX,
  onError: (c) => jsonError(c, 413, 'Request body too large: a tool input is at most 2 MB of text.'),
});

const json = <T>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const error = (description: string) => json(errorSchema, description);

/** The answers every route may give past its own: authentication, rate, quota, our own failure. */
const common = {
  401: {
    ...error('Missing, invalid or revoked API key.'),
    headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: 'Bearer' } },
  },
  402: error("The plan's included calls are used up and it does not bill overage (Free): upgrade."),
  429: {
    ...error("Rate limit of the key's plan exceeded (or, for the cohort analyzer, a run already in progress)."),
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait.' } },
  },
  500: error('Something went wrong on our side.'),
} satisfies RouteConfig['responses'];
const badInput = { 400: error('Bad input: `field` names the parameter or body field.') };

const searchRoute = createRoute({
  method: 'get',
  path: '/content',
  tags: ['Library'],
  summary: 'Search the published library',
  description: 'Every published item matching the words and tag, each with `locked` and the plan that unlocks it.',
  request: { query: searchQuery },
  responses: { 200: json(searchResult, 'The matching items.'), ...badInput, ...common },
});

const itemRoute = createRoute({
  method: 'get',
  path: '/content/{slug}',
  tags: ['Library'],
  summary: 'Read one library item',
  description: "The item with its body, if the key's plan includes it.",
  request: { params: itemParams },
  responses: {
    200: json(itemResult, 'The item.'),
    ...badInput,
    403: error('The item needs a higher plan; the sentence names it.'),
    404: error('No published item has this slug.'),
    ...common,
  },
});

const toolRoute = createRoute({
  method: 'post',
  path: '/tools/{slug}/run',
  tags: ['Tools'],
  summary: 'Run a tool item',
  description:
    'Runs the tool on the JSON body, which is the input of that tool (one of the three inputs below), and answers its result as `data`.',
  middleware: [toolBodyLimit] as const,
  request: {
    params: itemParams,
    // A plain reference, not a zod schema, so the route does not parse the body itself: the tool's
    // own schema does, once access is granted (src/content/library.ts itemTool).
    body: {
      required: true,
      content: {
        'application/json': {
          schema: {
            oneOf: [
              { $ref: '#/components/schemas/HeadlineInput' },
              { $ref: '#/components/schemas/MrrInput' },
              { $ref: '#/components/schemas/CohortInput' },
            ],
          },
        },
      },
    },
  },
  responses: {
    200: json(toolResult, "The tool's result."),
    ...badInput,
    403: error('The tool needs a higher plan; the sentence names it.'),
    404: error('No published tool has this slug.'),
    413: error('The body is over 4.2 MB.'),
    415: error('The body is not sent as application/json.'),
    ...common,
  },
});

const usageRoute = createRoute({
  method: 'get',
  path: '/usage',
  tags: ['Usage'],
  summary: "This period's usage",
  description: 'Usage per metric against its quota, overage so far, and past periods. This call is included.',
  responses: { 200: json(usageResult, 'The usage summary.'), ...common },
});

export function restApi(deps: AppDeps) {
  const api = new OpenAPIHono<ApiEnv>({
    // Params and query strings that fail their schema: 400 naming the field, in the one error shape.
    defaultHook: (result, c) => (result.success ? undefined : invalidInput(c, result.error)),
  });

  api.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key from Settings → API keys: `Authorization: Bearer dropin_test_…`.',
  });
  // The tools' own input schemas, as zod itself writes them in JSON Schema (they are built before
  // @hono/zod-openapi extends zod, so they carry no OpenAPI metadata of their own).
  for (const [name, schema] of [
    ['HeadlineInput', headlineInput],
    ['MrrInput', mrrInput],
    ['CohortInput', cohortInput],
  ] as const) {
    const { $schema: _, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input' });
    api.openAPIRegistry.registerComponent('schemas', name, jsonSchema as never);
  }

  // The spec is public and counts nothing: registered before the key check, so it answers first.
  let spec: unknown = null;
  api.get('/openapi.json', (c) => {
    spec ??= api.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'DropIn REST API',
        version: '1',
        description:
          'Search and read the library, run its tools, read usage. One API call is counted per request answered 2xx. ' +
          'Answers to counted calls carry X-Quota-Limit, X-Quota-Used and X-Quota-Remaining; every answer past ' +
          'authentication carries X-RateLimit-Limit. Answers are Cache-Control: no-store.',
      },
      servers: [{ url: `${deps.env.PUBLIC_URL}/api/v1` }],
      security: [{ apiKey: [] }],
    });
    c.header('Cache-Control', 'no-cache');
    return c.json(spec);
  });

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

  api.openapi(searchRoute, async (c) => {
    const result = await searchLibrary(deps, { userId: c.get('apiUserId'), ...c.req.valid('query') });
    return c.json({ plan: result.plan, data: result.items }, 200);
  });

  api.openapi(itemRoute, async (c) => {
    const { slug } = c.req.valid('param');
    const item = await readItem(deps, { userId: c.get('apiUserId'), slug, state: c.get('planState') });
    // The JSON of itemResult, serialized once per item.
    return c.body(itemBody(item), 200, { 'Content-Type': 'application/json' }) as unknown as RouteConfigToTypedResponse<
      typeof itemRoute
    >;
  });

  // A tool run: the tool's input as the JSON body, its result as `data`. Counts one API call when
  // it answers 200; bad input (400, naming the field) and a locked tool (403) count nothing.
  api.openapi(toolRoute, async (c) => {
    const { slug } = c.req.valid('param');
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json'))
      return c.json(errorBody('Send the input as JSON, with Content-Type: application/json.'), 415);
    // Access first: a locked or unknown tool is refused before its body is read.
    const run = await itemTool(deps, { userId: c.get('apiUserId'), slug, state: c.get('planState') });
    let input: unknown;
    try {
      input = await c.req.json();
    } catch {
      return c.json(errorBody('The body is not valid JSON.'), 400);
    }
    return c.json({ data: await run(input) }, 200);
  });

  api.openapi(usageRoute, async (c) => {
    await c.get('count')(); // the summary includes this call
    return c.json({ data: await usageSummary(deps, c.get('apiUserId')) }, 200);
  });

  api.notFound(notFound);
  api.onError(onHttpError(deps.log));
  return api;
}
