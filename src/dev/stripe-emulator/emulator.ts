// The emulator's shared context: state, time (real, per-customer offset, or test clock), event
// emission and the webhook dispatcher. Resource handlers and the billing engine receive it.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type Stripe from 'stripe';
import { newId } from './ids.js';
import { realNow, State } from './store.js';
import type { WebhookDispatcher } from './webhooks.js';

export const API_VERSION = '2026-10-28.endive';

export interface ApiFault {
  status: 500 | 429;
  remaining: number;
  pathPrefix?: string;
  method?: string;
  /**
   * Fail only after the request has run (a 500 whose response was "lost"): the change is made and
   * stored for idempotent replay, so a retry with the same key gets the original result.
   */
  afterExecution?: boolean;
}

/**
 * One distinct shape of API request: method, route, the parameter key paths sent (array indexes
 * collapsed to `[]`) and the expand paths, with the first request of that shape as sent. The
 * contract test replays them against Stripe's own stripe-mock.
 */
export interface RequestShape {
  method: string;
  route: string;
  keys: string[];
  expand: string[];
  /** The first request of this shape: its path and its form body or query string. */
  path: string;
  params: string;
}

export interface RequestInfo {
  id: string;
  idempotencyKey: string | null;
}

export class Emulator {
  readonly state = new State();
  apiFaults: ApiFault[] = [];
  /** The API request being handled, recorded on the events it causes (Stripe's `event.request`). */
  request: RequestInfo | null = null;
  baseUrl = '';
  onChange: () => void = () => {};
  /** Distinct request shapes seen since start (or the last reset), by shape key. */
  readonly shapes = new Map<string, RequestShape>();

  constructor(readonly webhooks: WebhookDispatcher) {}

  // ---- time -------------------------------------------------------------------------------------

  /** The current time for a customer: its test clock's frozen time, or real time plus its offset. */
  now(customerId?: string | null): number {
    if (!customerId) return realNow();
    const customer = this.state.customers.get(customerId);
    const clockId = customer ? clockOf(customer) : null;
    if (clockId) {
      const clock = this.state.testClocks.get(clockId);
      if (clock) return clock.frozen_time;
    }
    return realNow() + (this.state.customerOffset[customerId] ?? 0);
  }

  clockTime(clockId: string | null | undefined): number {
    if (!clockId) return realNow();
    return this.state.testClocks.get(clockId)?.frozen_time ?? realNow();
  }

  // ---- events -----------------------------------------------------------------------------------

  /**
   * Record an event and start delivering it. `object` is serialised now — a snapshot, as on Stripe:
   * later changes to the object never change an event already sent.
   */
  emit(
    type: string,
    object: { id?: string; object?: string },
    opts: { customer?: string | null; previous?: Record<string, unknown> | null } = {},
  ): string {
    const customer = opts.customer ?? null;
    const endpoints = [...this.state.webhookEndpoints.values()].filter(
      (we) => we.status === 'enabled' && (we.enabled_events.includes('*') || we.enabled_events.includes(type)),
    );
    const data: { object: unknown; previous_attributes?: Record<string, unknown> } = { object };
    if (opts.previous && Object.keys(opts.previous).length > 0) data.previous_attributes = opts.previous;
    const event = {
      id: newId('evt'),
      object: 'event' as const,
      api_version: API_VERSION,
      created: this.now(customer),
      data: data as Stripe.Event.Data,
      livemode: false,
      pending_webhooks: endpoints.length,
      request: this.request
        ? { id: this.request.id, idempotency_key: this.request.idempotencyKey }
        : { id: null, idempotency_key: null },
      type: type as Stripe.Event.Type,
    } satisfies Stripe.EventBase;
    const json = JSON.stringify(event);
    this.state.events.set({
      id: event.id,
      type,
      created: event.created,
      customer,
      data: this.pack(json),
      pending: endpoints.length,
      failed: false,
    });
    for (const we of endpoints) {
      this.webhooks.enqueue(event.id, type, json, { endpointId: we.id, url: we.url, secret: we.secret ?? '' });
    }
    this.onChange();
    return event.id;
  }

  // Events are most of the emulator's memory (a full object snapshot each). They are deflated with a
  // preset dictionary made of this state's first events: Stripe objects repeat the same keys, so a
  // typical event shrinks about tenfold. The dictionary lives in the state, so persisted events stay
  // readable after a restart.
  private dictionary: Buffer | null = null;
  private readonly samples: string[] = [];

  private pack(json: string): string {
    const dict = this.eventDictionary();
    if (!dict) {
      this.samples.push(json);
      if (this.samples.join('').length >= 24_000) {
        this.state.eventDictionary = Buffer.from(this.samples.join('')).subarray(-32_768).toString('base64');
        this.samples.length = 0;
      }
      return `j:${json}`;
    }
    // Latin-1 keeps one byte per byte in a V8 one-byte string (base64 would add a third).
    return `l:${deflateRawSync(json, { dictionary: dict, memLevel: 4 }).toString('latin1')}`;
  }

  private unpack(data: string): string {
    if (data.startsWith('j:')) return data.slice(2);
    const bytes = Buffer.from(data.slice(2), data.startsWith('l:') ? 'latin1' : 'base64');
    const dict = this.eventDictionary();
    return inflateRawSync(bytes, dict ? { dictionary: dict } : {}).toString('utf8');
  }

  private eventDictionary(): Buffer | null {
    const stored = this.state.eventDictionary;
    if (!stored) {
      this.dictionary = null;
      return null;
    }
    if (!this.dictionary) this.dictionary = Buffer.from(stored, 'base64');
    return this.dictionary;
  }

  /**
   * Record an API v2 event and send its thin notification (id, type, related object; no data) to
   * every enabled event destination that subscribes to its type, signed like any webhook. The
   * receiver fetches the full event with GET /v2/core/events/:id.
   */
  emitThin(type: string, data: Record<string, unknown>, related: { id: string; type: string; url: string } | null): string {
    const created = new Date().toISOString();
    const id = `evt_test_${newId('').slice(1)}`;
    const base = { id, object: 'v2.core.event' as const, type, created, livemode: false, context: undefined };
    const thin = related ? { ...base, related_object: related } : base;
    this.state.v2Events.set({ ...thin, data } as unknown as Stripe.V2.Core.Event);
    const json = JSON.stringify(thin);
    for (const ed of this.state.eventDestinations.values()) {
      if (ed.status !== 'enabled' || ed.type !== 'webhook_endpoint' || !ed.webhook_endpoint?.url) continue;
      if (!ed.enabled_events.includes(type) && !ed.enabled_events.includes('*')) continue;
      this.webhooks.enqueue(id, type, json, {
        endpointId: ed.id,
        url: ed.webhook_endpoint.url,
        secret: ed.webhook_endpoint.signing_secret ?? '',
      });
    }
    this.onChange();
    return id;
  }

  settleDelivery(eventId: string, ok: boolean): void {
    const ev = this.state.events.get(eventId);
    if (!ev) return;
    if (ok) ev.pending = Math.max(0, ev.pending - 1);
    else ev.failed = true;
    this.onChange();
  }

  /** An event as the API returns it now (the snapshot, with the live delivery counter). */
  renderEvent(id: string): Record<string, unknown> | undefined {
    const ev = this.state.events.get(id);
    if (!ev) return undefined;
    const parsed = JSON.parse(this.unpack(ev.data)) as Record<string, unknown>;
    parsed.pending_webhooks = ev.pending;
    return parsed;
  }
}

export function clockOf(customer: Stripe.Customer): string | null {
  const c = customer.test_clock;
  return typeof c === 'string' ? c : (c?.id ?? null);
}

/** Top-level fields whose value changed: Stripe's `data.previous_attributes`. */
export function previousAttributes(before: object, after: object): Record<string, unknown> {
  const prev: Record<string, unknown> = {};
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  for (const key of Object.keys(a)) {
    if (JSON.stringify(b[key]) !== JSON.stringify(a[key])) prev[key] = b[key] ?? null;
  }
  return prev;
}

export function snapshot<T>(obj: T): T {
  return structuredClone(obj);
}
