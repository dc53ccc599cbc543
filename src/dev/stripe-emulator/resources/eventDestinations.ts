// API v2: event destinations (webhook endpoints for v2 "thin" events, with their own signing secret)
// and events (the full form of a thin event). Bodies are JSON, as in Stripe's v2 API.
import type Stripe from 'stripe';
import { invalidRequest } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import type { Router } from '../router.js';
import { mustGet } from './common.js';

/** The destination as the API shows it: the secret and URL only when asked for with `include`. */
function view(ed: Stripe.V2.Core.EventDestination, include: string[]): Stripe.V2.Core.EventDestination {
  if (!ed.webhook_endpoint) return ed;
  const { signing_secret, url } = ed.webhook_endpoint;
  return {
    ...ed,
    webhook_endpoint: {
      ...(include.includes('webhook_endpoint.signing_secret') ? { signing_secret } : {}),
      ...(include.includes('webhook_endpoint.url') ? { url } : {}),
    },
  };
}

function includeOf(raw: Record<string, unknown>): string[] {
  const include = raw.include;
  if (include === undefined) return [];
  return (Array.isArray(include) ? include : [include]).map(String);
}

export function registerEventDestinations(router: Router): void {
  router.post('/v2/core/event_destinations', ({ emu, raw }) => {
    const known = ['name', 'description', 'type', 'event_payload', 'enabled_events', 'webhook_endpoint', 'include', 'metadata'];
    const unknown = Object.keys(raw).find((k) => !known.includes(k));
    if (unknown) throw invalidRequest(`Received unknown parameter: ${unknown}`, { param: unknown, code: 'parameter_unknown' });
    const name = raw.name;
    if (typeof name !== 'string' || !name) throw invalidRequest('Missing required param: name.', { param: 'name' });
    if (raw.type !== 'webhook_endpoint')
      throw invalidRequest('The emulator supports event destinations of type `webhook_endpoint` only.', { param: 'type' });
    if (raw.event_payload !== 'thin')
      throw invalidRequest('The emulator supports `event_payload: thin` only.', { param: 'event_payload' });
    const events = raw.enabled_events;
    if (!Array.isArray(events) || !events.length || events.some((e) => typeof e !== 'string'))
      throw invalidRequest('enabled_events must be a non-empty list of event types.', { param: 'enabled_events' });
    const url = (raw.webhook_endpoint as { url?: unknown } | undefined)?.url;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url))
      throw invalidRequest('webhook_endpoint.url must be an http or https URL.', { param: 'webhook_endpoint.url' });
    const now = new Date().toISOString();
    const ed = {
      id: newId('ed_test'),
      object: 'v2.core.event_destination',
      created: now,
      updated: now,
      description: typeof raw.description === 'string' ? raw.description : '',
      enabled_events: events as string[],
      event_payload: 'thin',
      livemode: false,
      metadata: (raw.metadata as Record<string, string> | undefined) ?? {},
      name,
      status: 'enabled',
      type: 'webhook_endpoint',
      webhook_endpoint: { url, signing_secret: `whsec_${randomToken(32)}` },
    } satisfies Stripe.V2.Core.EventDestination;
    emu.state.eventDestinations.set(ed);
    return view(ed, includeOf(raw));
  });

  router.get('/v2/core/event_destinations', ({ emu, raw }) => ({
    data: emu.state.eventDestinations.newestFirst().map((ed) => view(ed, includeOf(raw))),
    next_page_url: null,
    previous_page_url: null,
  }));

  router.get('/v2/core/event_destinations/:id', ({ emu, params, raw }) =>
    view(mustGet(emu.state.eventDestinations, params.id), includeOf(raw)),
  );

  router.get('/v2/core/events/:id', ({ emu, params }) => mustGet(emu.state.v2Events, params.id));
}
