// Admin panel at scale: seeds 100,000 users, 100,000 subscriptions (with the admin's subscriber
// rows the billing effects keep) and 100,000 Stripe events (bulk insertMany) into a throwaway
// FerretDB, builds the figures once from the mirror, and measures the subscribers search/list, the
// overview, the failed-payments page and the events log, as an admin calls them through the tRPC
// router (validation included, no HTTP). Prints p50/p95/max per query, how long a change takes to
// reach another process's overview and search, and the web process's RSS growth from the admin.
// Goals: overview p95 < 50 ms and fresh < 5 s after a change; searches p95 < 150 ms; RSS growth
// from the admin < 100 MB (the goals are for 100,000 subscribers). The last line is the `BENCH`
// summary `npm run bench` reads.
//   npx tsx bench/admin-seed.ts [users=100000] [events=users]      (RUNS=40 timed calls per query)
//   npx tsx bench/admin-seed.ts --quick                            (5,000 users, 1,000 events, 10 runs)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startFerretDB, startMailpit } from '../scripts/services';
import { parseEnv } from '../src/env';
import { createServerDeps } from '../src/server';
import type { EmailOutboxDoc, SubscriptionDoc, UserDoc, WebhookEventDoc } from '../src/db/collections';
import { appRouter } from '../src/trpc/root';
import { createInnerContext } from '../src/trpc/context';
import { createCallerFactory } from '../src/trpc/trpc';
import { overview } from '../src/admin/analytics';
import { applyBillingEffects } from '../src/billing/effects';
import { rebuildFigures } from '../src/billing/figures/rebuild';
import { startFiguresJob } from '../src/billing/figures/job';
import { subscriberRow } from '../src/billing/figures/subscriber-rows';
import { rebuildFailing } from '../src/admin/failing';
import { isQuick, reportFigures } from './lib';

const sizes = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const N = Number(sizes[0] ?? (isQuick() ? 5_000 : 100_000));
const EVENTS = Number(sizes[1] ?? (isQuick() ? 1_000 : N));
const BATCH = 2_000;
const DAY = 86_400_000;
const FIRST = ['ada', 'grace', 'alan', 'edsger', 'barbara', 'donald', 'ken', 'dennis', 'linus', 'margaret', 'john', 'frances'];
const LAST = [
  'lovelace',
  'hopper',
  'turing',
  'dijkstra',
  'liskov',
  'knuth',
  'thompson',
  'ritchie',
  'torvalds',
  'hamilton',
  'backus',
  'allen',
];
const PRICES = [
  { planId: 'pro', interval: 'month' as const, unitAmount: 1_200, lookupKey: 'dropin_pro_monthly' },
  { planId: 'pro', interval: 'year' as const, unitAmount: 12_000, lookupKey: 'dropin_pro_yearly' },
  { planId: 'business', interval: 'month' as const, unitAmount: 4_900, lookupKey: 'dropin_business_monthly' },
  { planId: 'business', interval: 'year' as const, unitAmount: 49_000, lookupKey: 'dropin_business_yearly' },
];
// Roughly what a live account looks like: mostly active, some trials, a few in dunning, churned ones.
const STATUSES: [string, number][] = [
  ['active', 0.7],
  ['trialing', 0.1],
  ['past_due', 0.04],
  ['unpaid', 0.01],
  ['incomplete', 0.01],
  ['canceled', 0.14],
];

function pick<T>(i: number, list: T[]): T {
  return list[i % list.length] as T;
}

function statusFor(i: number): string {
  const x = ((i * 2_654_435_761) % 10_000) / 10_000;
  let acc = 0;
  for (const [s, p] of STATUSES) {
    acc += p;
    if (x < acc) return s;
  }
  return 'active';
}

function fixtures(from: number, to: number, now: number): { users: UserDoc[]; subs: SubscriptionDoc[] } {
  const users: UserDoc[] = [];
  const subs: SubscriptionDoc[] = [];
  for (let i = from; i < to; i++) {
    const id = `u${String(i).padStart(7, '0')}`;
    const first = pick(i, FIRST);
    const last = pick(Math.floor(i / FIRST.length), LAST);
    const created = new Date(now - (i % 700) * DAY - (i % 86_400) * 1000);
    users.push({
      _id: id,
      email: `${first}.${last}.${i}@example.com`,
      emailVerified: true,
      name: `${first[0]?.toUpperCase()}${first.slice(1)} ${last[0]?.toUpperCase()}${last.slice(1)}`,
      passwordHash: null,
      role: 'user',
      disabled: false,
      createdAt: created,
      updatedAt: created,
      stripeCustomerId: `cus_bench${i}`,
    });
    const price = pick(i, PRICES);
    const status = statusFor(i);
    const trial = status === 'trialing' || i % 3 === 0;
    const open = ['past_due', 'unpaid', 'incomplete'].includes(status);
    subs.push({
      _id: `sub_bench${i}`,
      userId: id,
      customerId: `cus_bench${i}`,
      status,
      planId: price.planId,
      priceId: `price_${price.lookupKey}`,
      lookupKey: price.lookupKey,
      interval: price.interval,
      unitAmount: price.unitAmount,
      currency: 'usd',
      quantity: 1,
      itemId: `si_bench${i}`,
      currentPeriodStart: new Date(now - 10 * DAY),
      currentPeriodEnd: new Date(now + 20 * DAY),
      trialStart: trial ? created : null,
      trialEnd: trial ? new Date(created.getTime() + 14 * DAY) : null,
      cancelAtPeriodEnd: status === 'active' && i % 17 === 0,
      cancelAt: null,
      canceledAt: status === 'canceled' ? new Date(now - (i % 90) * DAY) : null,
      endedAt: status === 'canceled' ? new Date(now - (i % 90) * DAY) : null,
      cancellationFeedback: null,
      defaultPaymentMethod: null,
      latestInvoice: open
        ? {
            id: `in_bench${i}`,
            status: 'open',
            amountDue: price.unitAmount,
            amountPaid: 0,
            currency: 'usd',
            hostedInvoiceUrl: null,
            attemptCount: 2,
            nextPaymentAttempt: new Date(now + 3 * DAY),
          }
        : null,
      created,
      fetchedAt: new Date(now),
      syncedAt: new Date(now),
    });
  }
  return { users, subs };
}

const EVENT_TYPES = [
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.finalized',
  'invoice.created',
  'customer.subscription.updated',
  'customer.subscription.created',
  'payment_intent.succeeded',
  'charge.succeeded',
  'payment_intent.payment_failed',
  'invoice.payment_failed',
];

/**
 * Inbox rows as the webhook route stores them: the raw event (about 1.5 kB, like a real invoice
 * event with a line) as a string, mostly processed, a few parked with an error. Events of failing
 * subscriptions' customers carry a card decline, so the failed-payments page has reasons to show.
 */
function events(from: number, to: number, now: number): WebhookEventDoc[] {
  const rows: WebhookEventDoc[] = [];
  for (let i = from; i < to; i++) {
    const c = (i * 7_919) % N;
    const failing = ['past_due', 'unpaid', 'incomplete'].includes(statusFor(c));
    const type = failing && i % 2 === 0 ? 'payment_intent.payment_failed' : pick(i, EVENT_TYPES);
    const id = `evt_bench${String(i).padStart(7, '0')}`;
    const created = new Date(now - (EVENTS - i) * 20_000);
    const objectId = type.startsWith('invoice.')
      ? `in_bench${c}`
      : type.startsWith('customer.')
        ? `sub_bench${c}`
        : `pi_bench${i}`;
    const object: Record<string, unknown> = {
      id: objectId,
      object: type.split('.')[0],
      customer: `cus_bench${c}`,
      amount_due: 1_200,
      currency: 'usd',
      status: type.endsWith('failed') ? 'open' : 'paid',
      lines: { object: 'list', data: [{ id: `il_bench${i}`, amount: 1_200, description: '1 × DropIn Pro (at $12.00 / month)' }] },
      metadata: { dropin_user_id: `u${String(c).padStart(7, '0')}` },
    };
    if (type === 'payment_intent.payment_failed')
      object.last_payment_error = { message: 'Your card has insufficient funds.', decline_code: 'insufficient_funds' };
    const parked = i % 997 === 0;
    rows.push({
      _id: id,
      type,
      customerId: `cus_bench${c}`,
      objectId,
      livemode: false,
      payload: JSON.stringify({
        id,
        object: 'event',
        api_version: '2026-10-28.endive',
        created: Math.floor(created.getTime() / 1000),
        type,
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        data: { object, previous_attributes: {} },
      }),
      created,
      receivedAt: new Date(created.getTime() + 400),
      duplicates: 0,
      status: parked ? 'parked' : 'processed',
      attempts: parked ? 8 : 1,
      nextAttemptAt: created,
      lockedUntil: null,
      lastError: parked ? 'Stripe is unavailable (simulated)' : null,
      processedAt: parked ? null : new Date(created.getTime() + 900),
    });
  }
  return rows;
}

/**
 * The email outbox of such an account: a receipt per subscriber, and for each failing invoice the
 * payment-failed email (sent) and, for incomplete ones, an action-required one (pending).
 */
function outbox(from: number, to: number, now: number): EmailOutboxDoc[] {
  const rows: EmailOutboxDoc[] = [];
  for (let i = from; i < to; i++) {
    const mail = (id: string, subject: string, sent: boolean): EmailOutboxDoc => ({
      _id: id,
      to: `user${i}@example.com`,
      subject,
      text: `${subject}\n\nHello, this is DropIn.\n${'Details of your subscription and invoice. '.repeat(8)}`,
      html: null,
      status: sent ? 'sent' : 'pending',
      attempts: sent ? 1 : 0,
      lockedUntil: null,
      lastError: null,
      createdAt: new Date(now - (i % 30) * DAY),
      sentAt: sent ? new Date(now - (i % 30) * DAY + 5_000) : null,
    });
    rows.push(mail(`receipt:in_paid${i}`, 'Your DropIn receipt', true));
    const status = statusFor(i);
    if (['past_due', 'unpaid', 'incomplete'].includes(status)) {
      rows.push(mail(`payment-failed:in_bench${i}`, 'Your payment failed', true));
      if (status === 'incomplete') rows.push(mail(`action-required:in_bench${i}`, 'Confirm your payment', false));
    }
  }
  return rows;
}

async function time<T>(label: string, runs: number, fn: (i: number) => Promise<T>): Promise<Timing> {
  // The first call (nothing cached yet for this query) is printed on its own; runs after it may be
  // answered from the list's per-process cache while no change is folded.
  const t0 = performance.now();
  await fn(0);
  const first = performance.now() - t0;
  const ms: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] as number;
  return { label, first, p50: q(0.5), p95: q(0.95), max: ms[ms.length - 1] as number };
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dropin-admin-bench-'));
  const ferret = await startFerretDB({ dataDir: path.join(dir, 'ferretdb') });
  const mailpit = await startMailpit();
  const env = parseEnv({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    MONGODB_URI: ferret.url,
    MONGODB_DB: 'admin_bench',
    SMTP_URL: mailpit.smtpUrl,
    PUBLIC_URL: 'http://127.0.0.1:1',
  });
  const deps = await createServerDeps(env);
  try {
    const now = Date.now();
    const t0 = performance.now();
    for (let from = 0; from < N; from += BATCH) {
      const { users, subs } = fixtures(from, Math.min(N, from + BATCH), now);
      await deps.db.c.users.insertMany(users, { ordered: false });
      await deps.db.c.subscriptions.insertMany(subs, { ordered: false });
      await deps.db.c.adminSubscribers.insertMany(
        subs.map((sub, k) => subscriberRow(sub, users[k] ?? null)),
        { ordered: false },
      );
      await deps.db.c.adminSubscriberKeys.insertMany(
        users.map((u, k) => ({ _id: `email:${u.email}`, subscriptionIds: [(subs[k] as SubscriptionDoc)._id] })),
        { ordered: false },
      );
      if ((from / BATCH) % 10 === 0) process.stdout.write(`\rseeded ${from + users.length} / ${N}`);
    }
    console.log(`\rseeded ${N} users and ${N} subscriptions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const admin = {
      id: 'bench-admin',
      email: 'admin@example.com',
      name: 'Admin',
      role: 'admin' as const,
      emailVerified: true,
      hasPassword: true,
      twoFactorEnabled: false,
      twoFactorEnabledAt: null,
      createdAt: new Date(),
    };
    const caller = createCallerFactory(appRouter)(
      createInnerContext({
        deps,
        user: admin,
        session: {
          publicId: 'bench',
          expiresAt: new Date(now + DAY),
          absoluteExpiresAt: new Date(now + DAY),
          secondFactorAt: null,
        },
      }),
    );
    const runs = Number(process.env.RUNS ?? (isQuick() ? 10 : 40));
    const results: Timing[] = [];
    const head = () =>
      console.log(
        `${'query'.padEnd(44)} ${'first ms'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}`,
      );
    head();
    const print = (r: Timing) =>
      console.log(
        `${r.label.padEnd(44)} ${(r.first === undefined ? '' : r.first.toFixed(0)).padStart(9)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${r.max.toFixed(1).padStart(8)}`,
      );
    const pushAndPrint = (r: Timing) => {
      results.push(r);
      print(r);
    };
    // What the figures job does once on a database that has none (or after a check found drift).
    const tb = performance.now();
    await rebuildFigures(deps);
    console.log(`built the figures from the mirror (once) in ${((performance.now() - tb) / 1000).toFixed(1)} s`);
    (globalThis as { gc?: () => void }).gc?.();
    const rssBefore = process.memoryUsage().rss;
    const coldOverview = performance.now();
    await caller.admin.overview();
    console.log(`first overview                               ${(performance.now() - coldOverview).toFixed(0)} ms`);
    // A process started after that one (a deploy, a restart) reads the same stored figures.
    const later = await createServerDeps(env);
    const laterOverview = performance.now();
    await overview(later);
    console.log(`first overview in a new process              ${(performance.now() - laterOverview).toFixed(0)} ms`);
    pushAndPrint(
      await time('search exact email', runs, (i) =>
        caller.admin.subscribers({
          search: `${pick(i * 997, FIRST)}.${pick(Math.floor((i * 997) / FIRST.length), LAST)}.${i * 997}@example.com`,
        }),
      ),
    );
    pushAndPrint(await time('search customer id', runs, (i) => caller.admin.subscribers({ search: `cus_bench${i * 1_009}` })));
    pushAndPrint(
      await time('search subscription id', runs, (i) => caller.admin.subscribers({ search: `sub_bench${i * 1_013}` })),
    );
    pushAndPrint(await time('overview', Math.min(runs, 20), () => caller.admin.overview()));
    pushAndPrint(
      await time('overview, fresh (skips the 1 s cache)', Math.min(runs, 20), () => caller.admin.overview({ fresh: true })),
    );
    pushAndPrint(await time('history (90 days)', runs, () => caller.admin.history({ days: 90 })));
    pushAndPrint(
      await time('search an email no one has', runs, () => caller.admin.subscribers({ search: 'nobody@example.com' })),
    );
    const otherCaller = createCallerFactory(appRouter)(
      createInnerContext({
        deps: later,
        user: admin,
        session: {
          publicId: 'bench2',
          expiresAt: new Date(now + DAY),
          absoluteExpiresAt: new Date(now + DAY),
          secondFactorAt: null,
        },
      }),
    );
    const fresh = await freshness(deps, later, now, (text) => otherCaller.admin.subscribers({ search: text }));
    pushAndPrint(fresh.overview);
    pushAndPrint(fresh.search);
    later.mailer.close();
    await later.db.close();
    (globalThis as { gc?: () => void }).gc?.();
    const rssSubscribers = (process.memoryUsage().rss - rssBefore) / 1_048_576;
    console.log(`web process RSS growth from the overview and searches: ${rssSubscribers.toFixed(0)} MB (goal < 100 MB)`);
    // Scans on FerretDB (no secondary index is read there: docs/decisions/008); indexed on MongoDB.
    pushAndPrint(await time('list, newest first, page 1', runs, () => caller.admin.subscribers({})));
    pushAndPrint(await time('list, page 200', runs, () => caller.admin.subscribers({ page: 200 })));
    pushAndPrint(await time('list, sort by amount asc', runs, () => caller.admin.subscribers({ sort: 'amount', dir: 'asc' })));
    pushAndPrint(
      await time('filter plan=business status=past_due', runs, () =>
        caller.admin.subscribers({ planId: 'business', status: 'past_due' }),
      ),
    );
    pushAndPrint(await time('filter cancelling', runs, () => caller.admin.subscribers({ cancelling: true })));
    pushAndPrint(
      await time('search name fragment "hopper"', Math.min(runs, 10), () => caller.admin.subscribers({ search: 'hopper' })),
    );
    (globalThis as { gc?: () => void }).gc?.();
    const rssLists = (process.memoryUsage().rss - rssBefore) / 1_048_576;
    console.log(`web process RSS growth after the list scans too: ${rssLists.toFixed(0)} MB`);
    const t1 = performance.now();
    for (let from = 0; from < EVENTS; from += BATCH) {
      await deps.db.c.webhookEvents.insertMany(events(from, Math.min(EVENTS, from + BATCH), now), { ordered: false });
      if ((from / BATCH) % 10 === 0) process.stdout.write(`\rseeded ${from + BATCH} / ${EVENTS} events`);
    }
    console.log(`\rseeded ${EVENTS} Stripe events in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    const t3 = performance.now();
    let mails = 0;
    for (let from = 0; from < N; from += BATCH) {
      const rows = outbox(from, Math.min(N, from + BATCH), now);
      mails += rows.length;
      await deps.db.c.emailOutbox.insertMany(rows, { ordered: false });
    }
    console.log(`seeded ${mails} outbox emails in ${((performance.now() - t3) / 1000).toFixed(1)} s`);
    // What the server does once at start (and weekly) for data older than the failing-rows collection.
    const t2 = performance.now();
    const rebuilt = await rebuildFailing(deps);
    console.log(
      `rebuilt the failed-payments rows (${rebuilt.failing} subscriptions, ${rebuilt.failures} failure events) in ${((performance.now() - t2) / 1000).toFixed(1)} s`,
    );

    const coldFailed = performance.now();
    const firstFailed = await caller.admin.failedPayments({});
    console.log(
      `first failed payments (reads the failing rows) ${(performance.now() - coldFailed).toFixed(0)} ms: ${firstFailed.total} rows; on page 1, ${firstFailed.rows.filter((r) => r.failureReason).length} with a reason, ${firstFailed.rows.filter((r) => r.dunningEmails.length).length} with dunning emails`,
    );
    pushAndPrint(await time('failed payments page 1', runs, () => caller.admin.failedPayments({})));
    pushAndPrint(await time('failed payments page 40', runs, () => caller.admin.failedPayments({ page: 40 })));
    pushAndPrint(await time('failed payments, unpaid only', runs, () => caller.admin.failedPayments({ status: 'unpaid' })));
    const coldEvents = performance.now();
    await caller.admin.events({});
    console.log(`first events list (builds the snapshot)      ${(performance.now() - coldEvents).toFixed(0)} ms`);
    pushAndPrint(await time('events, newest first, page 1', runs, () => caller.admin.events({})));
    pushAndPrint(await time('events, page 400', runs, () => caller.admin.events({ page: 400 })));
    pushAndPrint(await time('events, parked', runs, () => caller.admin.events({ status: 'parked' })));
    pushAndPrint(await time('events search type "invoice."', runs, () => caller.admin.events({ search: 'invoice.' })));
    pushAndPrint(
      await time('events search customer id', runs, (i) => caller.admin.events({ search: `cus_bench${(i * 7_919 * 31) % N}` })),
    );
    pushAndPrint(
      await time('events search event id', runs, (i) =>
        caller.admin.events({ search: `evt_bench${String((i * 2_477) % EVENTS).padStart(7, '0')}` }),
      ),
    );
    pushAndPrint(
      await time('events search an id newer than the snapshot', 2, () => caller.admin.events({ search: 'evt_notseenyet' })),
    );
    pushAndPrint(
      await time('event payload (live read by id)', 5, (i) =>
        caller.admin.event({ id: `evt_bench${String((i * 15_013) % EVENTS).padStart(7, '0')}` }),
      ),
    );

    // Last, because a rebuild scans and slows every other query while it runs.
    pushAndPrint(await time('events snapshot rebuilt (Refresh)', 2, () => caller.admin.events({ fresh: true })));
    pushAndPrint(await time('failed payments reread (Refresh)', 2, () => caller.admin.failedPayments({ fresh: true })));
    (globalThis as { gc?: () => void }).gc?.();
    const rssGrowth = (process.memoryUsage().rss - rssBefore) / 1_048_576;
    console.log(`\nweb process RSS growth from the whole admin (the events page included): ${rssGrowth.toFixed(0)} MB`);
    console.log(
      `web process RSS growth from the overview, lists and searches: ${rssSubscribers.toFixed(0)} MB (goal < 100 MB)\n`,
    );
    head();
    for (const r of results) print(r);
    report(results, rssSubscribers);
  } finally {
    await deps.db.db.dropDatabase().catch(() => {});
    deps.mailer.close();
    await deps.db.close();
    await Promise.all([ferret.stop(), mailpit.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * How long a change takes to show on another process (`other`, its own connection and caches):
 * a subscription canceled and a new subscriber added through the billing effects (as a sync does),
 * while this process runs the figures job; the other polls its overview and an exact search.
 */
async function freshness(
  deps: Awaited<ReturnType<typeof createServerDeps>>,
  other: Awaited<ReturnType<typeof createServerDeps>>,
  now: number,
  search: (text: string) => Promise<{ total: number }>,
): Promise<{ overview: Timing; search: Timing }> {
  const job = startFiguresJob(deps);
  const overviewMs: number[] = [];
  const searchMs: number[] = [];
  try {
    for (let k = 0; k < 5; k++) {
      const before = await overview(other, { fresh: true });
      const { users, subs } = fixtures(N + k, N + k + 1, now);
      const user = users[0] as UserDoc;
      const sub = { ...(subs[0] as SubscriptionDoc), status: 'active', fetchedAt: new Date(), created: new Date() };
      await deps.db.c.users.insertOne(user);
      await deps.db.c.subscriptions.insertOne(sub);
      const t = performance.now();
      await applyBillingEffects(
        deps,
        {
          customerId: sub.customerId,
          userId: user._id,
          changes: [{ subscriptionId: sub._id, userId: user._id, before: null, after: sub }],
          superseded: false,
        },
        { source: 'checkout' },
      );
      let seenOverview = 0;
      let seenSearch = 0;
      let lastSearch = 0;
      while ((!seenOverview || !seenSearch) && performance.now() - t < 60_000) {
        if (!seenOverview && (await overview(other)).activeSubscribers > before.activeSubscribers)
          seenOverview = performance.now() - t;
        // An admin's search box, not a tight loop: each exact search is two reads by `_id`.
        if (!seenSearch && performance.now() - lastSearch >= 1_000) {
          lastSearch = performance.now();
          if ((await search(user.email)).total > 0) seenSearch = performance.now() - t;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      overviewMs.push(seenOverview || Number.POSITIVE_INFINITY);
      searchMs.push(seenSearch || Number.POSITIVE_INFINITY);
    }
  } finally {
    await job.stop();
  }
  const stat = (label: string, ms: number[]): Timing => {
    ms.sort((a, b) => a - b);
    return {
      label,
      p50: ms[Math.floor(ms.length / 2)] as number,
      p95: ms[ms.length - 1] as number,
      max: ms[ms.length - 1] as number,
    };
  };
  return {
    overview: stat('freshness: change → other process overview', overviewMs),
    search: stat('freshness: change → other process search', searchMs),
  };
}

/** The `BENCH` line: the goals' figures, and the first calls that scan on FerretDB without one. */
function report(results: Timing[], rssGrowthMb: number): void {
  const at = (label: string) => {
    const r = results.find((x) => x.label === label);
    if (!r) throw new Error(`no timing named "${label}"`);
    return r;
  };
  const ms = (x: number) => Math.round(x * 10) / 10;
  const size = `${N.toLocaleString('en')} subscribers${N < 100_000 ? ' (goals are for 100,000)' : ''}`;
  const slowest = (labels: string[], of: (r: Timing) => number) => labels.map(at).reduce((a, b) => (of(b) > of(a) ? b : a));
  const lists = [
    'list, newest first, page 1',
    'list, page 200',
    'list, sort by amount asc',
    'filter plan=business status=past_due',
    'filter cancelling',
    'search name fragment "hopper"',
  ];
  const listP95 = slowest(lists, (r) => r.p95);
  const listFirst = slowest(lists, (r) => r.first ?? 0);
  const overviewFresh = at('freshness: change → other process overview');
  const searchFresh = at('freshness: change → other process search');
  reportFigures('admin-seed', [
    { name: 'admin overview p95', value: ms(at('overview').p95), unit: 'ms', max: 50, note: size },
    {
      name: 'admin overview p95, fresh (skips the 1 s cache)',
      value: ms(at('overview, fresh (skips the 1 s cache)').p95),
      unit: 'ms',
      max: 50,
      note: size,
    },
    {
      name: "admin change → another process's overview, slowest of 5",
      value: ms(overviewFresh.max / 1000),
      unit: 's',
      max: 5,
      note: `median ${(overviewFresh.p50 / 1000).toFixed(1)} s; ${size}`,
    },
    {
      name: "admin change → another process's exact search, slowest of 5",
      value: ms(searchFresh.max / 1000),
      unit: 's',
      max: 5,
      note: `median ${(searchFresh.p50 / 1000).toFixed(1)} s; ${size}`,
    },
    ...(
      [
        ['email', 'search exact email'],
        ['customer id', 'search customer id'],
        ['subscription id', 'search subscription id'],
      ] as const
    ).map(([what, label]) => ({
      name: `admin search by ${what} p95`,
      value: ms(at(label).p95),
      unit: 'ms',
      max: 150,
      note: size,
    })),
    {
      name: 'admin list, filter, sort or name search p95 after the first call (slowest)',
      value: ms(listP95.p95),
      unit: 'ms',
      max: 150,
      note: `${listP95.label}; ${size}`,
    },
    {
      name: 'admin list, filter, sort or name search, first call (slowest)',
      value: ms((listFirst.first ?? 0) / 1000),
      unit: 's',
      note: `first call, FerretDB scans: ${listFirst.label}; ${N.toLocaleString('en')} subscribers`,
    },
    {
      name: 'admin web process RSS growth',
      value: ms(rssGrowthMb),
      unit: 'MB',
      max: 100,
      note: `overview and searches; ${size}`,
    },
  ]);
}

type Timing = { label: string; first?: number; p50: number; p95: number; max: number };

await main();
