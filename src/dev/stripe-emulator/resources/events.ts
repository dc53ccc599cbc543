// Events (list and retrieve) and webhook endpoints (create with a whsec_ secret, list, update, delete).
import type Stripe from 'stripe';
import { invalidRequest, noSuch } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import { inRange, pageOf, paginate } from '../list.js';
import type { StoredEvent } from '../store.js';
import { listFields, p, parse, required } from '../params.js';
import type { Router } from '../router.js';
import { mergeMetadata, mustGet } from './common.js';

function typeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

function checkEventTypes(types: string[]): void {
  types.forEach((t, i) => {
    if (t !== '*' && !/^[a-z_]+(\.[a-z_]+)+$/.test(t)) {
      throw invalidRequest(`Invalid enabled_events[${i}]: must be one of the event types Stripe sends, or '*'.`, {
        param: `enabled_events[${i}]`,
      });
    }
  });
}

export function registerEvents(router: Router): void {
  router.get('/v1/events/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    const ev = emu.renderEvent(params.id!);
    if (!ev) throw noSuch(params.id!, 'id', 'event');
    return ev;
  });

  router.get('/v1/events', ({ emu, raw, path }) => {
    const q = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      type?: string;
      types?: string[];
      created?: unknown;
      delivery_success?: boolean;
    }>({ ...listFields, type: p.str, types: p.arr(p.str), created: p.range, delivery_success: p.bool }, raw);
    if (q.type && q.types) throw invalidRequest('You may only specify one of these parameters: type, types.', { param: 'types' });
    if (q.types && q.types.length > 20) throw invalidRequest('You may pass at most 20 types.', { param: 'types' });
    const filter = (e: StoredEvent) =>
      (!q.type || typeMatches(q.type, e.type)) &&
      (!q.types || q.types.some((t) => typeMatches(t, e.type))) &&
      inRange(e.created, q.created) &&
      (q.delivery_success === undefined || (q.delivery_success ? e.pending === 0 && !e.failed : e.failed));
    const page = pageOf(emu.state.events, filter, q, path);
    return { ...page, data: page.data.map((e) => emu.renderEvent(e.id)) };
  });

  router.post('/v1/webhook_endpoints', ({ emu, raw }) => {
    const body = parse<{
      url?: string;
      enabled_events?: string[];
      description?: string;
      metadata?: Record<string, string | null>;
      api_version?: string;
    }>(
      { url: p.str, enabled_events: p.arr(p.str), description: p.str, metadata: p.meta, api_version: p.str, connect: p.bool },
      raw,
    );
    const url = required<string>(body, 'url');
    if (!/^https?:\/\//.test(url))
      throw invalidRequest('Invalid URL: must be an http or https URL.', { param: 'url', code: 'url_invalid' });
    const events = required<string[]>(body, 'enabled_events');
    checkEventTypes(events);
    const endpoint = {
      id: newId('we'),
      object: 'webhook_endpoint',
      api_version: body.api_version ?? null,
      application: null,
      created: Math.floor(Date.now() / 1000),
      description: body.description ?? null,
      enabled_events: events,
      livemode: false,
      metadata: mergeMetadata({}, body.metadata),
      secret: `whsec_${randomToken(32)}`,
      status: 'enabled',
      url,
    } satisfies Stripe.WebhookEndpoint;
    emu.state.webhookEndpoints.set(endpoint);
    return endpoint;
  });

  // Stripe reveals the signing secret only when the endpoint is created.
  const withoutSecret = (we: Stripe.WebhookEndpoint): Stripe.WebhookEndpoint => {
    const { secret: _secret, ...rest } = we;
    return rest;
  };

  router.get('/v1/webhook_endpoints/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return withoutSecret(mustGet(emu.state.webhookEndpoints, params.id));
  });

  router.post('/v1/webhook_endpoints/:id', ({ emu, params, raw }) => {
    const body = parse<{
      url?: string;
      enabled_events?: string[];
      description?: string | null;
      metadata?: Record<string, string | null>;
      disabled?: boolean;
    }>({ url: p.str, enabled_events: p.arr(p.str), description: p.str, metadata: p.meta, disabled: p.bool }, raw);
    const we = mustGet(emu.state.webhookEndpoints, params.id);
    if (body.url !== undefined) we.url = body.url;
    if (body.enabled_events !== undefined) {
      checkEventTypes(body.enabled_events);
      we.enabled_events = body.enabled_events;
    }
    if (body.description !== undefined) we.description = body.description;
    if (body.metadata !== undefined) we.metadata = mergeMetadata(we.metadata, body.metadata);
    if (body.disabled !== undefined) we.status = body.disabled ? 'disabled' : 'enabled';
    return withoutSecret(we);
  });

  router.delete('/v1/webhook_endpoints/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    const we = mustGet(emu.state.webhookEndpoints, params.id);
    emu.state.webhookEndpoints.delete(we.id);
    return { id: we.id, object: 'webhook_endpoint', deleted: true } satisfies Stripe.DeletedWebhookEndpoint;
  });

  router.get('/v1/webhook_endpoints', ({ emu, raw, path }) => {
    const q = parse<{ limit?: number; starting_after?: string; ending_before?: string }>(listFields, raw);
    return paginate(emu.state.webhookEndpoints.newestFirst().map(withoutSecret), q, path);
  });
}
