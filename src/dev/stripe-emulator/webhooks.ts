// Webhook delivery: signs each event exactly as Stripe does, posts it to every matching endpoint,
// retries non-2xx answers on a backoff schedule, keeps a delivery log, and applies the faults tests
// inject (drop, delay, duplicate, reorder) so the app's inbox can be proven robust.
import { createHmac } from 'node:crypto';
import { newId } from './ids.js';

export interface DeliveryAttempt {
  at: string; // ISO time
  status: number | null; // HTTP status, null when the request itself failed
  error?: string;
  duplicate?: boolean;
}

export interface Delivery {
  id: string;
  event: string;
  type: string;
  endpoint: string;
  url: string;
  status: 'pending' | 'succeeded' | 'failed' | 'dropped';
  attempts: DeliveryAttempt[];
  nextAttemptAt: string | null;
}

export type WebhookFaultAction = 'drop' | 'delay' | 'duplicate' | 'reorder';

export interface WebhookFault {
  action: WebhookFaultAction;
  /** How many deliveries the fault applies to. */
  remaining: number;
  delayMs?: number;
  /** Only deliveries of these event types (all when omitted). */
  types?: string[];
}

export interface Target {
  endpointId: string;
  url: string;
  secret: string;
}

/** The `Stripe-Signature` header value for `payload`, signed at `timestamp` (seconds). */
export function signPayload(payload: string, secret: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export class WebhookDispatcher {
  readonly deliveries: Delivery[] = [];
  faults: WebhookFault[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Per endpoint: attempts in flight and attempts waiting for a slot, oldest first. */
  private readonly lanes = new Map<string, { active: number; waiting: (() => Promise<void>)[] }>();
  private readonly inFlight = new Set<Promise<void>>();
  private held: { delivery: Delivery; target: Target; payload: string }[] = [];
  private heldFor = 0;
  private heldTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private retrySchedule: number[],
    /** Called when a delivery settles, so the event's `pending_webhooks` can be kept true. */
    private readonly onSettled: (eventId: string, ok: boolean) => void,
    /**
     * First attempts in flight at once per endpoint. 1 sends them strictly in order, one after the
     * other; more is how Stripe delivers a burst (in parallel, in no guaranteed order).
     */
    private readonly concurrency = 1,
  ) {}

  setRetrySchedule(schedule: number[]): void {
    this.retrySchedule = schedule;
  }

  enqueue(eventId: string, type: string, payload: string, target: Target): Delivery {
    const delivery: Delivery = {
      id: newId('whdel'),
      event: eventId,
      type,
      endpoint: target.endpointId,
      url: target.url,
      status: 'pending',
      attempts: [],
      nextAttemptAt: null,
    };
    this.deliveries.push(delivery);
    if (this.deliveries.length > 20_000) this.deliveries.splice(0, this.deliveries.length - 20_000);

    const fault = this.faults.find((f) => f.remaining > 0 && (!f.types || f.types.includes(type)));
    if (fault) fault.remaining--;
    this.faults = this.faults.filter((f) => f.remaining > 0);

    switch (fault?.action) {
      case 'drop':
        delivery.status = 'dropped';
        this.onSettled(eventId, false);
        return delivery;
      case 'delay':
        this.later(fault.delayMs ?? 1000, () => this.chain(delivery, target, payload, 0));
        return delivery;
      case 'duplicate':
        this.chain(delivery, target, payload, 0);
        this.chain(delivery, target, payload, 0, true);
        return delivery;
      case 'reorder':
        // Hold this many deliveries, then release them newest first.
        if (this.held.length === 0) this.heldFor = fault.remaining + 1;
        this.held.push({ delivery, target, payload });
        if (this.held.length >= this.heldFor) this.releaseHeld();
        else if (!this.heldTimer) this.heldTimer = setTimeout(() => this.releaseHeld(), 500);
        return delivery;
      default:
        this.chain(delivery, target, payload, 0);
        return delivery;
    }
  }

  private releaseHeld(): void {
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.heldTimer = null;
    const held = this.held.reverse();
    this.held = [];
    for (const h of held) this.chain(h.delivery, h.target, h.payload, 0);
  }

  /** First attempts to one endpoint start in order, `concurrency` of them in flight at a time. */
  private chain(delivery: Delivery, target: Target, payload: string, attempt: number, duplicate = false): void {
    let lane = this.lanes.get(target.endpointId);
    if (!lane) {
      lane = { active: 0, waiting: [] };
      this.lanes.set(target.endpointId, lane);
    }
    lane.waiting.push(() => this.attempt(delivery, target, payload, attempt, duplicate));
    this.pump(lane);
  }

  private pump(lane: { active: number; waiting: (() => Promise<void>)[] }): void {
    while (lane.active < this.concurrency && lane.waiting.length) {
      const job = lane.waiting.shift() as () => Promise<void>;
      lane.active++;
      const p: Promise<void> = job()
        .catch(() => undefined)
        .finally(() => {
          lane.active--;
          this.inFlight.delete(p);
          this.pump(lane);
        });
      this.inFlight.add(p);
    }
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  private async attempt(delivery: Delivery, target: Target, payload: string, attempt: number, duplicate: boolean): Promise<void> {
    if (this.stopped) return;
    // Signed at the real wall-clock time: the SDK checks the tolerance against its own clock.
    const signature = signPayload(payload, target.secret, Math.floor(Date.now() / 1000));
    const record: DeliveryAttempt = { at: new Date().toISOString(), status: null };
    if (duplicate) record.duplicate = true;
    let ok = false;
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signature,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body: payload,
        signal: AbortSignal.timeout(10_000),
      });
      record.status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      ok = res.status >= 200 && res.status < 300;
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
    }
    delivery.attempts.push(record);
    if (duplicate) return; // the duplicate copy never changes the delivery's outcome
    if (ok) {
      delivery.status = 'succeeded';
      delivery.nextAttemptAt = null;
      this.onSettled(delivery.event, true);
      return;
    }
    const wait = this.retrySchedule[attempt];
    if (wait === undefined) {
      delivery.status = 'failed';
      delivery.nextAttemptAt = null;
      this.onSettled(delivery.event, false);
      return;
    }
    delivery.nextAttemptAt = new Date(Date.now() + wait).toISOString();
    this.later(wait, () => void this.attempt(delivery, target, payload, attempt + 1, false));
  }

  /** Resolves once nothing is in flight or scheduled sooner than `maxWaitMs` (for tests). */
  async idle(maxWaitMs = 5000): Promise<void> {
    const until = Date.now() + maxWaitMs;
    while (Date.now() < until) {
      // A long queue to a slow endpoint can take longer than the wait: the deadline bounds it too.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...this.inFlight]),
        new Promise((r) => {
          timer = setTimeout(r, until - Date.now());
        }),
      ]);
      clearTimeout(timer);
      const busy = [...this.lanes.values()].some((l) => l.active > 0 || l.waiting.length > 0);
      if (!busy && !this.deliveries.some((d) => d.status === 'pending') && this.held.length === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  clear(): void {
    this.deliveries.length = 0;
    this.faults = [];
    this.held = [];
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.timers.clear();
  }
}
