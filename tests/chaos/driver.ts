// A chaos run against a running DropIn (server, Stripe emulator, database), shared by the chaos
// test and the chaos benchmark. Subscribers check out on test clocks of their own, then a burst
// moves their clocks (trial ends, renewals, failed payments and retries) and has them change plans,
// cancel and resume through the app's tRPC procedures, while the emulator drops, duplicates, delays
// and reorders webhooks, fails API calls (429, 500, lost responses) and drifts subscriptions
// silently; the server restarts once mid-burst. Then faults stop, everything settles, the
// reconciler runs twice, and the run is measured against what must hold: the mirror equals Stripe,
// one receipt per paid invoice, no email twice, no acknowledged event lost, truthful answers.
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import type { Delivery } from '../../src/dev/stripe-emulator/control';
import type { SubscriptionDoc } from '../../src/db/collections';
import { compareRow, expectedRow } from '../../src/billing/reconcile/compare';
import { runReconcile, type ReconcileOptions } from '../../src/billing/reconcile/run';
import {
  allStripeSubscriptions,
  subscribeThroughCheckout,
  trpc,
  verifiedUser,
  waitFor,
  type BillingWorld,
  type RestartableBillingWorld,
} from '../setup/billing';
import { inbox, type Email } from '../setup/mailpit';

const DAY = 86_400;

export interface ChaosOptions {
  subscribers: number;
  seed: number;
  /** The run's Mailpit (its HTTP API), where the app's SMTP delivers. */
  mailpitUrl: string;
  /** Subscribers worked on at once (each one's own steps run in order). */
  concurrency?: number;
  /** Burst steps per subscriber. */
  steps?: number;
  /** The mid-burst restart cuts requests still open at once instead of letting them finish. */
  hardRestart?: boolean;
  reconcile?: ReconcileOptions;
  /** Bounds each wait for deliveries and the inbox to settle (a hung run, not a slow one). */
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

/** One user action's answer beside what Stripe really did. */
export interface ActionRecord {
  subscriber: number;
  action: 'changePlan' | 'cancel' | 'resume';
  fault: ApiFaultMode;
  /** The answer the user is left with (after trying again once when Stripe did not answer). */
  answeredOk: boolean;
  answer: string;
  /** The first answer, when Stripe did not answer it and the user tried again. */
  firstAnswer: string | null;
  /** Stripe made the change (a plan change waiting on payment counts as made). */
  applied: boolean;
  /** Afterwards Stripe's subscription is as the action asked, whoever made it so (a silent drift may have). */
  holds: boolean;
}

export interface ChaosFigures {
  seed: number;
  subscribers: number;
  subscriptions: number;
  burstMs: number;
  webhooks: { deliveries: number; dropped: number; duplicated: number; delayed: number; reordered: number; failed: number };
  apiFaults: number;
  drifted: number;
  restartMs: number;
  /** Mirror rows that differ from Stripe (or are missing on either side). */
  mismatchesBefore: number;
  mismatchesAfterReconcile: number;
  reconcile1: {
    status: string;
    ms: number;
    stripeCalls: number;
    drifted: number;
    repaired: number;
    failed: number;
    eventsReplayed: number;
  };
  reconcile2: { status: string; ms: number; stripeCalls: number; drifted: number; repaired: number };
  paidInvoices: number;
  /** Paid invoices (amount > 0) with no `receipt:<id>` outbox row. */
  paidWithoutReceipt: string[];
  /** Receipts (outbox rows) for invoices that are not paid with an amount. */
  receiptsWithoutPaidInvoice: string[];
  /** Paid invoices whose receipt did not reach Mailpit exactly once (invoice → copies). */
  mailpitReceiptsNotOnce: Record<string, number>;
  /** The same email (to, subject and invoice or text) in Mailpit more than once. */
  duplicateEmails: string[];
  emailsSent: number;
  /** Deliveries our server answered 2xx whose event is not in the inbox or not processed. */
  acknowledgedLost: string[];
  actions: number;
  actionsFailed: number;
  /** Actions whose first answer was that Stripe did not answer, so the user tried again. */
  triedAgain: number;
  /** Answered as failed (after trying again) although Stripe made the change. */
  untruthful: ActionRecord[];
  /** Answered as done although afterwards Stripe's subscription is not as the action asked. */
  okButNotApplied: ActionRecord[];
  /** From a delivery's first (acknowledged) attempt to the event processed into the mirror. */
  lagMs: { p50: number; p95: number; events: number };
}

type ApiFaultMode = 'none' | 'retried500' | 'rateLimited' | 'lostResponse' | 'syncFails';
type Step =
  | { kind: 'advance' }
  | { kind: 'change'; interval: 'month' | 'year'; fault: ApiFaultMode }
  | { kind: 'toggleCancel'; fault: ApiFaultMode }
  | { kind: 'drift' };

interface Subscriber {
  index: number;
  user: { id: string; email: string; cookie: string };
  customerId: string;
  subscriptionId: string;
  clockStart: number;
  advances: number;
  failingCard: boolean;
  steps: Step[];
}

/** Emulator subscription, as stored (the control API reads it without faults or events). */
interface StoredSubscription {
  id: string;
  status: string;
  cancel_at_period_end: boolean;
  pending_update: { subscription_items: { price: StoredPrice }[] } | null;
  schedule: string | null;
  default_payment_method: string | null;
  items: { data: { price: StoredPrice }[] };
}

interface StoredPrice {
  lookup_key: string | null;
  recurring: { usage_type: string } | null;
}

/** Emulator subscription schedule, as stored. */
interface StoredSchedule {
  status: string;
  phases: { items: { price: string | StoredPrice }[] }[];
}

/** mulberry32: a small seeded generator, so a run's choices can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function weighted<T extends string>(rand: () => number, table: [T, number][]): T {
  let r = rand() * table.reduce((n, [, w]) => n + w, 0);
  for (const [v, w] of table) {
    r -= w;
    if (r < 0) return v;
  }
  return table[table.length - 1]![0];
}

const actionId = () => randomUUID().replaceAll('-', '');

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const licensedLookupKey = (sub: StoredSubscription) =>
  sub.items.data.find((i) => i.price.recurring?.usage_type !== 'metered')?.price.lookup_key ?? null;
/** The plan a subscription's pending update (waiting on its invoice's payment) moves it to. */
const pendingLookupKey = (sub: StoredSubscription) =>
  sub.pending_update?.subscription_items.find((i) => i.price.recurring?.usage_type !== 'metered')?.price.lookup_key ?? null;

/**
 * Webhook faults as a schedule: each delivery takes the next slot (the emulator applies the first
 * fault with deliveries left), and a slot without a fault is a delay of 0 ms. The schedule is kept
 * a few dozen slots ahead of the deliveries.
 */
class WebhookFaultSchedule {
  readonly counts = { dropped: 0, duplicated: 0, delayed: 0, reordered: 0 };
  private topping: Promise<void> | null = null;

  constructor(
    private readonly world: BillingWorld,
    private readonly rand: () => number,
  ) {}

  topUp(): Promise<void> {
    this.topping ??= this.fill().finally(() => {
      this.topping = null;
    });
    return this.topping;
  }

  private async fill(): Promise<void> {
    const res = await fetch(`${this.world.emulatorUrl}/_emulator/faults`);
    const { webhooks } = (await res.json()) as { webhooks: { remaining: number }[] };
    if (webhooks.reduce((n, f) => n + f.remaining, 0) >= 40) return;
    let pass = 0;
    const flushPass = async () => {
      if (pass) await this.world.control.injectWebhookFault({ action: 'delay', delayMs: 0, count: pass });
      pass = 0;
    };
    for (let slot = 0; slot < 120; slot++) {
      const kind = weighted(this.rand, [
        ['drop', 10],
        ['duplicate', 19],
        ['delay', 6],
        ['reorder', 2],
        ['pass', 63],
      ]);
      if (kind === 'pass') {
        pass++;
        continue;
      }
      await flushPass();
      if (kind === 'drop') {
        this.counts.dropped++;
        await this.world.control.injectWebhookFault({ action: 'drop' });
      } else if (kind === 'duplicate') {
        this.counts.duplicated++;
        await this.world.control.injectWebhookFault({ action: 'duplicate' });
      } else if (kind === 'delay') {
        this.counts.delayed++;
        await this.world.control.injectWebhookFault({ action: 'delay', delayMs: 200 + Math.floor(this.rand() * 2_800) });
      } else {
        // Three deliveries held, then sent newest first.
        this.counts.reordered += 3;
        await this.world.control.injectWebhookFault({ action: 'reorder', count: 3 });
        slot += 2;
      }
    }
    await flushPass();
  }
}

export async function runChaos(world: RestartableBillingWorld, opts: ChaosOptions): Promise<ChaosFigures> {
  const log = opts.log ?? (() => {});
  const concurrency = opts.concurrency ?? 4;
  const stepsPer = opts.steps ?? 6;
  const rand = seededRandom(opts.seed);
  const { control } = world;
  const deps = () => world.server.deps;
  log(`chaos run: ${opts.subscribers} subscribers, seed ${opts.seed}`);

  // Every choice is drawn here, in order, before anything runs concurrently: the seed alone decides them.
  const driftCount = Math.max(1, Math.round(opts.subscribers * 0.05));
  const plans = Array.from({ length: opts.subscribers }, (_, i) => {
    const steps: Step[] = [];
    const faultMode = (): ApiFaultMode =>
      weighted(rand, [
        ['none', 50],
        ['retried500', 10],
        ['rateLimited', 12],
        ['lostResponse', 14],
        ['syncFails', 14],
      ]);
    for (let s = 0; s < stepsPer; s++) {
      const kind = weighted(rand, [
        ['advance', 45],
        ['change', 30],
        ['toggleCancel', 25],
      ]);
      if (kind === 'advance') steps.push({ kind });
      else if (kind === 'change') steps.push({ kind, interval: rand() < 0.1 ? 'year' : 'month', fault: faultMode() });
      else steps.push({ kind, fault: faultMode() });
    }
    // Drift on ~5% of the subscriptions, somewhere in their burst.
    if (i % Math.ceil(opts.subscribers / driftCount) === 0) steps.splice(Math.floor(rand() * steps.length), 0, { kind: 'drift' });
    return {
      planId: rand() < 0.6 ? ('pro' as const) : ('business' as const),
      failingCard: rand() < 0.2,
      steps,
    };
  });
  const webhookFaults = new WebhookFaultSchedule(world, seededRandom(opts.seed ^ 0x5eed));

  // ---- Subscribers: a user, a customer on its own test clock, Checkout through the app. ----
  await webhookFaults.topUp();
  const start = Math.floor(Date.now() / 1000);
  const subscribers: Subscriber[] = [];
  await pool(
    plans.map((p, index) => ({ ...p, index })),
    concurrency,
    async (p) => {
      await webhookFaults.topUp();
      const user = await verifiedUser(world, `Chaos ${p.index}`);
      const clock = await world.stripe.testHelpers.testClocks.create({ frozen_time: start });
      const customer = await world.stripe.customers.create({
        email: user.email,
        test_clock: clock.id,
        metadata: { dropin_user_id: user.id },
      });
      await deps().db.c.users.updateOne({ _id: user.id }, { $set: { stripeCustomerId: customer.id } });
      await subscribeThroughCheckout(world, user, p.planId);
      const row = await deps().db.c.subscriptions.findOne({ userId: user.id });
      if (!row) throw new Error(`subscriber ${p.index}: no mirror row after Checkout`);
      if (p.failingCard) {
        // The card took the trial; every charge after it is declined.
        const sub = await control.getObject<StoredSubscription>(row._id);
        const customerObj = await control.getObject<{ invoice_settings: { default_payment_method: string | null } }>(customer.id);
        const pm = sub.default_payment_method ?? customerObj.invoice_settings.default_payment_method;
        if (pm) await control.setCardBehavior(pm, 'decline_generic');
      }
      subscribers.push({
        index: p.index,
        user,
        customerId: customer.id,
        subscriptionId: row._id,
        clockStart: start,
        advances: 0,
        failingCard: p.failingCard,
        steps: p.steps,
      });
    },
  );
  subscribers.sort((a, b) => a.index - b.index);
  log(`subscribed ${subscribers.length} (${subscribers.filter((s) => s.failingCard).length} with cards that fail later)`);

  // ---- The burst. ----
  const actions: ActionRecord[] = [];
  let apiFaults = 0;
  let drifted = 0;
  const totalSteps = subscribers.reduce((n, s) => n + s.steps.length, 0);
  let stepsDone = 0;
  let restarting: Promise<void> | null = null;
  let restartMs = 0;

  const restart = async () => {
    const t = Date.now();
    log(`restarting the server (${opts.hardRestart ? 'requests cut' : 'graceful'}) after ${stepsDone} of ${totalSteps} steps`);
    await world.restartServer({ timeoutMs: opts.hardRestart ? 0 : 10_000 });
    restartMs = Date.now() - t;
  };

  /** A tRPC call as a browser makes it: a request cut by the restart is sent again once the server is back. */
  const call = async <T>(sub: Subscriber, kind: 'query' | 'mutation', proc: string, input?: unknown) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await trpc<T>(world, sub.user.cookie, kind, proc, input);
      } catch (err) {
        if (attempt >= 5) throw err;
        await (restarting ??
          waitFor(
            'the server answers again',
            async () => !!(await fetch(`${world.server.env.PUBLIC_URL}/healthz`).catch(() => null)),
          ));
      }
    }
  };

  const injectFault = async (sub: Subscriber, mode: ApiFaultMode) => {
    const update = { pathPrefix: `/v1/subscriptions/${sub.subscriptionId}`, method: 'POST' as const };
    switch (mode) {
      case 'none':
        return;
      case 'retried500':
        // The SDK's retry (same idempotency key) gets through.
        await control.injectApiFault({ status: 500, ...update });
        apiFaults += 1;
        return;
      case 'rateLimited':
        await control.injectApiFault({ status: 429, ...update });
        apiFaults += 1;
        return;
      case 'lostResponse':
        // The change is made, its answer is lost, and the SDK's retries fail too.
        await control.injectApiFault({ status: 500, afterExecution: true, ...update });
        await control.injectApiFault({ status: 500, count: 2, ...update });
        apiFaults += 3;
        return;
      case 'syncFails':
        // The change goes through; the sync that follows cannot read the customer back.
        await control.injectApiFault({ status: 500, count: 3, pathPrefix: `/v1/customers/${sub.customerId}`, method: 'GET' });
        apiFaults += 3;
        return;
    }
  };

  /** The plan a subscription's schedule moves it to at its last phase; null without a schedule. */
  const scheduledLookupKey = async (sub: StoredSubscription): Promise<string | null> => {
    if (!sub.schedule) return null;
    const schedule = await control.getObject<StoredSchedule>(sub.schedule);
    if (schedule.status !== 'active' && schedule.status !== 'not_started') return null;
    for (const item of schedule.phases.at(-1)?.items ?? []) {
      const price = typeof item.price === 'string' ? await control.getObject<StoredPrice>(item.price) : item.price;
      if (price.recurring?.usage_type !== 'metered') return price.lookup_key;
    }
    return null;
  };

  const act = async (
    sub: Subscriber,
    action: ActionRecord['action'],
    fault: ApiFaultMode,
    run: () => Promise<{ status: number; error?: { message: string } }>,
    made: (before: StoredSubscription, after: StoredSubscription) => boolean | Promise<boolean>,
    holds: (after: StoredSubscription) => boolean | Promise<boolean>,
  ) => {
    const before = await control.getObject<StoredSubscription>(sub.subscriptionId);
    await injectFault(sub, fault);
    const first = await run();
    const describe = (res: { status: number; error?: { message: string } }) =>
      res.status === 200 ? 'ok' : `${res.status} ${res.error?.message ?? ''}`;
    // Stripe did not answer: the page offers to try again, with the same action id.
    const res = first.status === 503 ? await run() : first;
    const after = await control.getObject<StoredSubscription>(sub.subscriptionId);
    actions.push({
      subscriber: sub.index,
      action,
      fault,
      answeredOk: res.status === 200,
      answer: describe(res),
      firstAnswer: res === first ? null : describe(first),
      applied: await made(before, after),
      holds: await holds(after),
    });
  };

  const runStep = async (sub: Subscriber, step: Step) => {
    await webhookFaults.topUp();
    const live = await control.getObject<StoredSubscription>(sub.subscriptionId);
    const ended = live.status === 'canceled' || live.status === 'incomplete_expired';
    switch (step.kind) {
      case 'advance': {
        // First past the trial's end, then a month (and a day) at a time: renewals, failed
        // charges and their retries, cancellations at period end.
        sub.advances++;
        const to = sub.clockStart + (15 + 31 * (sub.advances - 1)) * DAY;
        // Some syncs the webhooks start meet a rate limit and retry later.
        if ((sub.index + sub.advances) % 5 === 0) {
          await control.injectApiFault({ status: 429, count: 2, pathPrefix: `/v1/customers/${sub.customerId}`, method: 'GET' });
          apiFaults += 2;
        }
        await control.advanceCustomer(sub.customerId, { to });
        return;
      }
      case 'drift': {
        await control.patchObject(sub.subscriptionId, { cancel_at_period_end: !live.cancel_at_period_end });
        drifted++;
        return;
      }
      case 'change': {
        if (ended) return;
        const current = licensedLookupKey(live) ?? '';
        const planId = current.includes('business') ? 'pro' : 'business';
        const preview = await call<{ prorationDate: number }>(sub, 'query', 'billing.previewChange', {
          planId,
          interval: step.interval,
        });
        // The page shows the error and offers nothing to confirm: no action to judge.
        if (preview.status !== 200) return;
        const target = `dropin_${planId}_${step.interval === 'month' ? 'monthly' : 'yearly'}`;
        const id = actionId();
        await act(
          sub,
          'changePlan',
          step.fault,
          () =>
            call(sub, 'mutation', 'billing.changePlan', {
              planId,
              interval: step.interval,
              prorationDate: preview.data.prorationDate,
              actionId: id,
            }),
          async (before, after) =>
            (licensedLookupKey(after) === target && licensedLookupKey(before) !== target) ||
            (!!after.pending_update && JSON.stringify(after.pending_update) !== JSON.stringify(before.pending_update)) ||
            // A downgrade or an interval switch waits for the renewal in a subscription schedule.
            ((await scheduledLookupKey(after)) === target && (await scheduledLookupKey(before)) !== target),
          async (after) =>
            licensedLookupKey(after) === target ||
            pendingLookupKey(after) === target ||
            (await scheduledLookupKey(after)) === target,
        );
        return;
      }
      case 'toggleCancel': {
        if (ended) return;
        const id = actionId();
        if (live.cancel_at_period_end) {
          await act(
            sub,
            'resume',
            step.fault,
            () => call(sub, 'mutation', 'billing.resume', { actionId: id }),
            (before, after) => before.cancel_at_period_end && !after.cancel_at_period_end,
            (after) => !after.cancel_at_period_end,
          );
        } else {
          await act(
            sub,
            'cancel',
            step.fault,
            () => call(sub, 'mutation', 'billing.cancel', { reason: 'too_expensive', comment: '', actionId: id }),
            (before, after) => !before.cancel_at_period_end && after.cancel_at_period_end,
            (after) => after.cancel_at_period_end,
          );
        }
        return;
      }
    }
  };

  const burstStarted = Date.now();
  await pool(subscribers, concurrency, async (sub) => {
    for (const step of sub.steps) {
      await runStep(sub, step);
      stepsDone++;
      // Once, halfway through: the other subscribers carry on while the server is down.
      if (!restarting && stepsDone >= totalSteps / 2) {
        restarting = restart();
        await restarting;
      }
    }
  });
  if (restarting) await restarting;
  const burstMs = Date.now() - burstStarted;
  log(`burst done in ${(burstMs / 1000).toFixed(1)} s: ${actions.length} actions, ${apiFaults} API faults, ${drifted} drifted`);

  // ---- Faults stop; deliveries and the inbox settle. ----
  await control.clearFaults();
  await settleInbox(world, log, opts.settleTimeoutMs);

  const deliveries = await control.deliveries();
  const acked = deliveries.filter((d) => d.attempts.some((a) => a.status !== null && a.status >= 200 && a.status < 300));
  const ackedIds = [...new Set(acked.map((d) => d.event))];
  const rows = new Map(
    (
      await deps()
        .db.c.webhookEvents.find({ _id: { $in: ackedIds } })
        .toArray()
    ).map((r) => [r._id, r] as const),
  );
  const acknowledgedLost = ackedIds.filter((id) => rows.get(id)?.status !== 'processed');
  const lags = acked
    .map((d) => {
      const first = d.attempts[0];
      const row = rows.get(d.event);
      if (!first || first.status === null || first.status >= 300 || !row?.processedAt) return null;
      return row.processedAt.getTime() - new Date(first.at).getTime();
    })
    .filter((n): n is number => n !== null)
    .sort((a, b) => a - b);

  // Later webhooks for a drifted customer resync it from Stripe, so the burst's drift is mostly
  // healed by now: the same subscriptions drift again, silently, with nothing left to heal them.
  for (const sub of subscribers) {
    if (!sub.steps.some((s) => s.kind === 'drift')) continue;
    const live = await control.getObject<StoredSubscription>(sub.subscriptionId);
    await control.patchObject(sub.subscriptionId, { cancel_at_period_end: !live.cancel_at_period_end });
    drifted++;
  }
  const mismatchesBefore = await mismatches(world);
  log(`before reconcile: ${mismatchesBefore} mirror rows differ from Stripe`);

  let t = Date.now();
  const r1 = await runReconcile(deps(), opts.reconcile);
  const r1Ms = Date.now() - t;
  await settleInbox(world, log, opts.settleTimeoutMs);
  const mismatchesAfterReconcile = await mismatches(world);
  t = Date.now();
  const r2 = await runReconcile(deps(), opts.reconcile);
  const r2Ms = Date.now() - t;
  await settleInbox(world, log, opts.settleTimeoutMs);

  // ---- Receipts and emails. ----
  const paid: Stripe.Invoice[] = [];
  for (const sub of subscribers) {
    for await (const inv of world.stripe.invoices.list({ customer: sub.customerId, status: 'paid', limit: 100 }))
      if (inv.amount_paid > 0) paid.push(inv);
  }
  const paidIds = new Set(paid.map((i) => i.id as string));
  const outbox = await deps()
    .db.c.emailOutbox.find({ to: { $in: subscribers.map((s) => s.user.email) } })
    .toArray();
  await waitFor('every email sent', async () => {
    const pending = await deps().db.c.emailOutbox.countDocuments({ _id: { $in: outbox.map((o) => o._id) }, status: 'pending' });
    return pending === 0;
  });
  const receiptKeys = new Set(outbox.filter((o) => o._id.startsWith('receipt:')).map((o) => o._id.slice('receipt:'.length)));
  const mails = new Map<string, Email[]>();
  // Mailpit has every message the outbox sent (it answers the SMTP transaction once stored).
  const sent = outbox.length;
  await waitFor('Mailpit has every sent email', async () => {
    mails.clear();
    for (const sub of subscribers) mails.set(sub.user.email, await inbox(sub.user.email, opts.mailpitUrl));
    return [...mails.values()].reduce((n, m) => n + m.length, 0) >= sent;
  });
  const invoiceOf = (m: Email) => /\/i\/(in_[A-Za-z0-9]+)/.exec(m.text)?.[1] ?? null;
  const mailpitReceipts = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const [to, list] of mails) {
    for (const m of list) {
      const invoice = invoiceOf(m);
      if (m.subject.startsWith('Receipt for') && invoice) mailpitReceipts.set(invoice, (mailpitReceipts.get(invoice) ?? 0) + 1);
      // A plan change may be made twice (Pro → Business → Pro) and say the same thing; it is keyed by its time.
      if (!invoice && m.subject.startsWith('Your DropIn plan is now')) continue;
      // One notice per failed attempt of an invoice is expected; each says when the next one is.
      const key = `${to} | ${m.subject} | ${invoice ?? ''} | ${m.text}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  const mailpitReceiptsNotOnce: Record<string, number> = {};
  for (const id of paidIds) if (mailpitReceipts.get(id) !== 1) mailpitReceiptsNotOnce[id] = mailpitReceipts.get(id) ?? 0;

  const failed = actions.filter((a) => !a.answeredOk);
  return {
    seed: opts.seed,
    subscribers: subscribers.length,
    subscriptions: (await allStripeSubscriptions(world)).length,
    burstMs,
    webhooks: {
      deliveries: deliveries.length,
      ...webhookFaults.counts,
      failed: deliveries.filter((d: Delivery) => d.status === 'failed').length,
    },
    apiFaults,
    drifted,
    restartMs,
    mismatchesBefore,
    mismatchesAfterReconcile,
    reconcile1: {
      status: r1.status,
      ms: r1Ms,
      stripeCalls: r1.stripeCalls,
      drifted: r1.counts.drifted,
      repaired: r1.counts.repaired,
      failed: r1.counts.failed,
      eventsReplayed: r1.eventsReplayed,
    },
    reconcile2: {
      status: r2.status,
      ms: r2Ms,
      stripeCalls: r2.stripeCalls,
      drifted: r2.counts.drifted,
      repaired: r2.counts.repaired,
    },
    paidInvoices: paidIds.size,
    paidWithoutReceipt: [...paidIds].filter((id) => !receiptKeys.has(id)),
    receiptsWithoutPaidInvoice: [...receiptKeys].filter((id) => !paidIds.has(id)),
    mailpitReceiptsNotOnce,
    duplicateEmails: [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${n}× ${k.slice(0, 160)}`),
    emailsSent: sent,
    acknowledgedLost,
    actions: actions.length,
    actionsFailed: failed.length,
    triedAgain: actions.filter((a) => a.firstAnswer !== null).length,
    untruthful: failed.filter((a) => a.applied),
    okButNotApplied: actions.filter((a) => a.answeredOk && !a.holds),
    lagMs: { p50: percentile(lags, 50), p95: percentile(lags, 95), events: lags.length },
  };
}

/**
 * Every webhook the emulator owes delivered, and every inbox row processed: unlike settle() in the
 * billing setup, rows waiting out a retry's backoff are waited for too, with a progress line, for
 * a backlog of hundreds of events.
 */
async function settleInbox(world: BillingWorld, log: (line: string) => void, timeoutMs = 300_000): Promise<void> {
  await waitFor('webhook deliveries done', async () => (await world.control.waitForDeliveries(10_000)).pending === 0, timeoutMs);
  const waiting = () => world.server.deps.db.c.webhookEvents.find({ status: { $in: ['pending', 'processing'] } });
  const started = Date.now();
  const backlog = await world.server.deps.db.c.webhookEvents.countDocuments({ status: { $in: ['pending', 'processing'] } });
  const total = await world.server.deps.db.c.webhookEvents.countDocuments({});
  let lastReport = Date.now();
  try {
    await waitFor(
      'the inbox processed',
      async () => {
        world.server.worker.kick();
        if (Date.now() - lastReport > 15_000) {
          lastReport = Date.now();
          const left = await world.server.deps.db.c.webhookEvents.countDocuments({ status: { $in: ['pending', 'processing'] } });
          log(`inbox: ${left} of ${total} events still waiting`);
        }
        return (await waiting().limit(1).toArray()).length === 0;
      },
      timeoutMs,
    );
    log(`inbox: ${backlog} of ${total} events waited; processed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    const rows = await waiting().limit(5).toArray();
    const detail = rows.map(
      (r) => `${r._id} ${r.type} ${r.status} attempts=${r.attempts} next=${r.nextAttemptAt.toISOString()} ${r.lastError ?? ''}`,
    );
    throw new Error(`${(err as Error).message}; waiting: ${detail.join(' | ')}`);
  }
}

/** Stripe subscriptions whose mirror row differs, plus mirror rows Stripe does not have. */
async function mismatches(world: BillingWorld): Promise<number> {
  const subs = await allStripeSubscriptions(world);
  const rows = await world.server.deps.db.c.subscriptions.find({}).toArray();
  const byId = new Map<string, SubscriptionDoc>(rows.map((r) => [r._id, r]));
  let n = 0;
  for (const sub of subs) if (compareRow(expectedRow(sub).expected, byId.get(sub.id) ?? null)) n++;
  const inStripe = new Set(subs.map((s) => s.id));
  for (const row of rows) if (!inStripe.has(row._id)) n++;
  return n;
}
