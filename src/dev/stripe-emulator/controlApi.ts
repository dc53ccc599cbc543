// The emulator's own control API under `/_emulator/...` (JSON in, JSON out). It lets tests and the
// demo do what Stripe's dashboard or real life would: reset, inject faults, drift objects behind the
// app's back, move a customer's time forward, and read the webhook delivery log.
import { clockOf, type Emulator } from './emulator.js';
import type { ControlHandler } from './http.js';
import { runUntil } from './engine/billing.js';
import { runRealTime } from './realtime.js';
import { randomToken } from './ids.js';
import { saveDefaultPortalConfiguration } from './resources/portal.js';
import { advanceClockNow } from './resources/testClocks.js';
import type { CardBehavior, Settings } from './store.js';
import { realNow } from './store.js';
import type { WebhookFault } from './webhooks.js';

const BEHAVIORS: CardBehavior[] = [
  'succeed',
  'decline_generic',
  'decline_insufficient_funds',
  'attach_then_fail',
  'auth_setup',
  'auth_always',
];

function deepMerge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    const current = target[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && current && typeof current === 'object' && !Array.isArray(current)) {
      deepMerge(current as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      target[k] = v;
    }
  }
}

const ok = (body: unknown, status = 200) => ({ status, body });
const bad = (message: string, status = 400) => ({ status, body: { error: message } });

export interface ControlDeps {
  clearIdempotency: () => void;
  setWebhookRetrySchedule: (schedule: number[]) => void;
}

export function controlHandler(deps: ControlDeps): ControlHandler {
  return async (emu: Emulator, { method, path, body, query }) => {
    const route = `${method} ${path.replace(/\/+$/, '')}`;
    let m: RegExpExecArray | null = null;
    const match = (re: RegExp): boolean => {
      m = re.exec(route);
      return m !== null;
    };

    if (route === 'GET /_emulator/health') {
      const { rss, heapUsed } = process.memoryUsage();
      return ok({ ok: true, memory: { rss, heapUsed } });
    }
    // Only when Node runs with --expose-gc (the bench does), so memory figures are not garbage.
    if (route === 'POST /_emulator/gc') {
      const gc = (globalThis as { gc?: () => void }).gc;
      // A few full collections with pauses let V8 compact and hand freed pages back.
      for (let i = 0; i < 3 && gc; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 50));
      }
      return ok({ collected: typeof (globalThis as { gc?: unknown }).gc === 'function', memory: process.memoryUsage() });
    }

    if (route === 'GET /_emulator/state') {
      const state = emu.state.toJSON();
      state.events = emu.state.events
        .newestFirst()
        .map((e) => ({ id: e.id, type: e.type, created: e.created, pending_webhooks: e.pending, failed: e.failed }));
      return ok({
        ...state,
        apiFaults: emu.apiFaults,
        webhookFaults: emu.webhooks.faults,
        deliveries: emu.webhooks.deliveries.length,
      });
    }

    if (route === 'POST /_emulator/reset') {
      emu.state.reset();
      emu.apiFaults = [];
      emu.webhooks.clear();
      deps.clearIdempotency();
      emu.onChange();
      return ok({ reset: true });
    }

    if (route === 'POST /_emulator/faults/webhooks') {
      const action = body.action as WebhookFault['action'];
      if (!['drop', 'delay', 'duplicate', 'reorder'].includes(action))
        return bad('action must be drop, delay, duplicate or reorder');
      const fault: WebhookFault = { action, remaining: Number(body.count ?? 1) };
      if (body.delayMs !== undefined) fault.delayMs = Number(body.delayMs);
      if (Array.isArray(body.types)) fault.types = body.types.map(String);
      emu.webhooks.faults.push(fault);
      return ok(fault);
    }

    if (route === 'POST /_emulator/faults/api') {
      const status = Number(body.status ?? 500);
      if (status !== 500 && status !== 429) return bad('status must be 500 or 429');
      const fault = {
        status: status as 500 | 429,
        remaining: Number(body.count ?? 1),
        pathPrefix: body.pathPrefix as string | undefined,
        method: body.method as string | undefined,
        afterExecution: body.afterExecution === true,
      };
      emu.apiFaults.push(fault);
      return ok(fault);
    }

    if (route === 'GET /_emulator/faults') return ok({ api: emu.apiFaults, webhooks: emu.webhooks.faults });
    if (route === 'DELETE /_emulator/faults') {
      emu.apiFaults = [];
      emu.webhooks.faults = [];
      return ok({ cleared: true });
    }

    if (match(/^(GET|POST|DELETE) \/_emulator\/objects\/([^/]+)$/) && m) {
      const id = decodeURIComponent(m[2]!);
      const obj = emu.state.findObject(id) as Record<string, unknown> | undefined;
      if (!obj) return bad(`no object ${id}`, 404);
      // Silent changes: no event, exactly like drift the app has to discover on its own.
      if (m[1] === 'POST') deepMerge(obj, body);
      if (m[1] === 'DELETE') emu.state.removeObject(id);
      emu.onChange();
      return ok(m[1] === 'DELETE' ? { id, deleted: true } : obj);
    }

    if (match(/^POST \/_emulator\/customers\/([^/]+)\/advance$/) && m) {
      const customer = emu.state.customers.get(decodeURIComponent(m[1]!));
      if (!customer) return bad(`no customer ${m[1]}`, 404);
      const now = emu.now(customer.id);
      const target = body.to !== undefined ? Number(body.to) : now + Number(body.seconds ?? 0);
      if (!Number.isFinite(target) || target < now) return bad('give `to` (unix seconds, not in the past) or `seconds` (>= 0)');
      const clockId = clockOf(customer);
      let steps = 0;
      if (clockId) {
        const clock = emu.state.testClocks.get(clockId)!;
        advanceClockNow(emu, clock, target);
      } else {
        steps = runUntil(emu, new Set([customer.id]), target, (t) => (emu.state.customerOffset[customer.id] = t - realNow()));
      }
      emu.onChange();
      return ok({ customer: customer.id, now: emu.now(customer.id), steps });
    }

    if (route === 'GET /_emulator/deliveries') {
      const list = emu.webhooks.deliveries.filter(
        (d) =>
          (!query.event || d.event === query.event) &&
          (!query.type || d.type === query.type) &&
          (!query.status || d.status === query.status),
      );
      return ok({ data: list });
    }

    if (route === 'POST /_emulator/deliveries/wait') {
      await emu.webhooks.idle(Number(body.timeoutMs ?? 5000));
      return ok({ pending: emu.webhooks.deliveries.filter((d) => d.status === 'pending').length });
    }

    if (route === 'GET /_emulator/settings') return ok(emu.state.settings);
    if (route === 'POST /_emulator/settings') {
      const s = body as Partial<Settings> & { webhookRetrySchedule?: number[] };
      if (s.webhookRetrySchedule) deps.setWebhookRetrySchedule(s.webhookRetrySchedule.map(Number));
      const { webhookRetrySchedule: _ignored, ...rest } = s;
      emu.state.settings = { ...emu.state.settings, ...rest };
      emu.onChange();
      return ok(emu.state.settings);
    }

    if (match(/^POST \/_emulator\/payment_methods\/([^/]+)\/behavior$/) && m) {
      const pm = emu.state.paymentMethods.get(decodeURIComponent(m[1]!));
      if (!pm) return bad(`no payment method ${m[1]}`, 404);
      const behavior = body.behavior as CardBehavior;
      if (!BEHAVIORS.includes(behavior)) return bad(`behavior must be one of ${BEHAVIORS.join(', ')}`);
      emu.state.cardBehavior[pm.id] = behavior;
      emu.onChange();
      return ok({ id: pm.id, behavior });
    }

    if (route === 'POST /_emulator/restricted_keys') {
      const permissions = (body.permissions ?? {}) as Record<string, unknown>;
      if (typeof permissions !== 'object' || Array.isArray(permissions)) return bad('permissions must be an object');
      for (const [resource, access] of Object.entries(permissions))
        if (access !== 'read' && access !== 'write') return bad(`permissions.${resource} must be "read" or "write"`);
      const key = `rk_test_emulator${randomToken(24)}`;
      emu.state.restrictedKeys[key] = permissions as Record<string, 'read' | 'write'>;
      emu.onChange();
      return ok({ key, permissions });
    }

    // What saving the customer portal settings in Stripe's Dashboard does: the account's default.
    if (route === 'POST /_emulator/billing_portal/default_configuration') return ok(saveDefaultPortalConfiguration(emu));

    if (route === 'GET /_emulator/shapes') return ok({ data: [...emu.shapes.values()] });
    if (route === 'DELETE /_emulator/shapes') {
      emu.shapes.clear();
      return ok({ cleared: true });
    }

    if (route === 'POST /_emulator/tick') return ok({ steps: runRealTime(emu) });

    return null;
  };
}
