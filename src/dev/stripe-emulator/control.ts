// A typed client for the emulator's control API, for tests and scripts:
//   const ctl = emulatorControl(emulator.url); await ctl.reset(); await ctl.injectApiFault({ status: 500 });
import type { RequestShape } from './emulator.js';
import type { CardBehavior, Settings } from './store.js';
import type { Delivery, WebhookFault } from './webhooks.js';

export type { CardBehavior, Delivery, RequestShape, Settings };

export interface ApiFaultInput {
  status: 500 | 429;
  /** How many API calls fail (default 1). */
  count?: number;
  /** Only calls whose path starts with this, e.g. `/v1/subscriptions`. */
  pathPrefix?: string;
  method?: 'GET' | 'POST' | 'DELETE';
  /** Run the request, then answer 500 anyway (a lost response): retries with the same Idempotency-Key replay it. */
  afterExecution?: boolean;
}

export interface WebhookFaultInput {
  action: WebhookFault['action'];
  count?: number;
  delayMs?: number;
  types?: string[];
}

export interface EmulatorControl {
  health(): Promise<{ ok: boolean; memory: { rss: number; heapUsed: number } }>;
  state(): Promise<Record<string, unknown>>;
  reset(): Promise<void>;
  injectApiFault(fault: ApiFaultInput): Promise<void>;
  injectWebhookFault(fault: WebhookFaultInput): Promise<void>;
  clearFaults(): Promise<void>;
  getObject<T = Record<string, unknown>>(id: string): Promise<T>;
  /** Change a stored object without any event (deep-merged JSON), to create drift. */
  patchObject<T = Record<string, unknown>>(id: string, patch: Record<string, unknown>): Promise<T>;
  /** Remove a stored object without any event (the app's mirror now points at nothing). */
  deleteObject(id: string): Promise<{ id: string; deleted: true }>;
  /** Move one customer's time forward (its test clock if it has one) and run billing on the way. */
  advanceCustomer(
    customerId: string,
    by: { to: number } | { seconds: number },
  ): Promise<{ customer: string; now: number; steps: number }>;
  deliveries(filter?: { event?: string; type?: string; status?: Delivery['status'] }): Promise<Delivery[]>;
  /** Wait until no webhook delivery is pending (or the timeout passes). */
  waitForDeliveries(timeoutMs?: number): Promise<{ pending: number }>;
  settings(): Promise<Settings>;
  updateSettings(settings: Partial<Settings> & { webhookRetrySchedule?: number[] }): Promise<Settings>;
  setCardBehavior(paymentMethodId: string, behavior: CardBehavior): Promise<void>;
  tick(): Promise<{ steps: number }>;
  /**
   * A restricted key (`rk_test_…`) with these permissions, by resource as the API paths name them
   * (`customers`, `checkout.sessions`, `billing.meters`, …); resources left out have none.
   */
  restrictedKey(permissions: Record<string, 'read' | 'write'>): Promise<string>;
  /** Each distinct API request shape seen since start (method, route, parameter keys, expand paths). */
  requestShapes(): Promise<RequestShape[]>;
  clearRequestShapes(): Promise<void>;
  /** Save the account's default portal configuration, as the Dashboard's portal settings page does. */
  saveDefaultPortalConfiguration(): Promise<{ id: string }>;
}

export function emulatorControl(baseUrl: string): EmulatorControl {
  const root = baseUrl.replace(/\/+$/, '');
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${root}/_emulator${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`stripe emulator control ${method} ${path}: ${res.status} ${json.error ?? ''}`);
    return json;
  }
  return {
    health: () => call('GET', '/health'),
    state: () => call('GET', '/state'),
    reset: async () => void (await call('POST', '/reset', {})),
    injectApiFault: async (f) => void (await call('POST', '/faults/api', f)),
    injectWebhookFault: async (f) => void (await call('POST', '/faults/webhooks', f)),
    clearFaults: async () => void (await call('DELETE', '/faults')),
    getObject: (id) => call('GET', `/objects/${encodeURIComponent(id)}`),
    patchObject: (id, patch) => call('POST', `/objects/${encodeURIComponent(id)}`, patch),
    deleteObject: (id) => call('DELETE', `/objects/${encodeURIComponent(id)}`),
    advanceCustomer: (id, by) => call('POST', `/customers/${encodeURIComponent(id)}/advance`, by),
    deliveries: async (filter = {}) => {
      const qs = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== undefined) as [string, string][]).toString();
      return (await call<{ data: Delivery[] }>('GET', `/deliveries${qs ? `?${qs}` : ''}`)).data;
    },
    waitForDeliveries: (timeoutMs = 5000) => call('POST', '/deliveries/wait', { timeoutMs }),
    settings: () => call('GET', '/settings'),
    updateSettings: (s) => call('POST', '/settings', s),
    setCardBehavior: async (id, behavior) =>
      void (await call('POST', `/payment_methods/${encodeURIComponent(id)}/behavior`, { behavior })),
    tick: () => call('POST', '/tick', {}),
    restrictedKey: async (permissions) => (await call<{ key: string }>('POST', '/restricted_keys', { permissions })).key,
    requestShapes: async () => (await call<{ data: RequestShape[] }>('GET', '/shapes')).data,
    clearRequestShapes: async () => void (await call('DELETE', '/shapes')),
    saveDefaultPortalConfiguration: () => call('POST', '/billing_portal/default_configuration', {}),
  };
}
