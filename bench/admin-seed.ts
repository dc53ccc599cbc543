// Admin panel at scale: seeds 100,000 users and 100,000 subscriptions (bulk insertMany) into a
// throwaway FerretDB and measures the subscribers search/list and the overview, as an admin calls
// them through the tRPC router (validation included, no HTTP). Prints p50/p95/max per query.
// Goals (issue 7): subscribers search/list p95 < 150 ms, overview < 300 ms.
//   npx tsx bench/admin-seed.ts [users=100000]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startFerretDB, startMailpit } from '../scripts/services';
import { parseEnv } from '../src/env';
import { createDeps } from '../src/server';
import type { SubscriptionDoc, UserDoc } from '../src/db/collections';
import { appRouter } from '../src/trpc/root';
import { createInnerContext } from '../src/trpc/context';
import { createCallerFactory } from '../src/trpc/trpc';
import { takeSnapshot } from '../src/admin/analytics';

const N = Number(process.argv[2] ?? 100_000);
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

async function time<T>(
  label: string,
  runs: number,
  fn: (i: number) => Promise<T>,
): Promise<{ label: string; p50: number; p95: number; max: number }> {
  await fn(0); // warm-up
  const ms: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] as number;
  return { label, p50: q(0.5), p95: q(0.95), max: ms[ms.length - 1] as number };
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
  const deps = await createDeps(env);
  try {
    const now = Date.now();
    const t0 = performance.now();
    for (let from = 0; from < N; from += BATCH) {
      const { users, subs } = fixtures(from, Math.min(N, from + BATCH), now);
      await deps.db.c.users.insertMany(users, { ordered: false });
      await deps.db.c.subscriptions.insertMany(subs, { ordered: false });
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
      createdAt: new Date(),
    };
    const caller = createCallerFactory(appRouter)(
      createInnerContext({
        deps,
        user: admin,
        session: { publicId: 'bench', expiresAt: new Date(now + DAY), absoluteExpiresAt: new Date(now + DAY) },
      }),
    );
    const runs = Number(process.env.RUNS ?? 40);
    const results: { label: string; p50: number; p95: number; max: number }[] = [];
    console.log(`${'query'.padEnd(44)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}`);
    const print = (r: { label: string; p50: number; p95: number; max: number }) =>
      console.log(
        `${r.label.padEnd(44)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${r.max.toFixed(1).padStart(8)}`,
      );
    const pushAndPrint = (r: { label: string; p50: number; p95: number; max: number }) => {
      results.push(r);
      print(r);
    };
    const cold = performance.now();
    await caller.admin.subscribers({});
    console.log(`first list (builds the snapshot)             ${(performance.now() - cold).toFixed(0)} ms`);
    const coldOverview = performance.now();
    await caller.admin.overview();
    console.log(`first overview (computes it)                 ${(performance.now() - coldOverview).toFixed(0)} ms`);
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
    pushAndPrint(
      await time('search name fragment "hopper"', Math.min(runs, 10), () => caller.admin.subscribers({ search: 'hopper' })),
    );
    pushAndPrint(await time('overview', Math.min(runs, 20), () => caller.admin.overview()));
    pushAndPrint(
      await time('search an email newer than the snapshot (database)', 2, () =>
        caller.admin.subscribers({ search: 'nobody@example.com' }),
      ),
    );
    pushAndPrint(await time('failed payments page 1', Math.min(runs, 20), () => caller.admin.failedPayments({})));
    await takeSnapshot(deps);
    pushAndPrint(await time('history (90 days)', runs, () => caller.admin.history({ days: 90 })));

    // Last, because a recompute scans the mirror and slows every other query while it runs.
    pushAndPrint(await time('overview recomputed (Refresh)', 2, () => caller.admin.overview({ fresh: true })));
    console.log(`\n${'query'.padEnd(40)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}`);
    for (const r of results)
      console.log(
        `${r.label.padEnd(40)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${r.max.toFixed(1).padStart(8)}`,
      );
  } finally {
    await deps.db.db.dropDatabase().catch(() => {});
    deps.mailer.close();
    await deps.db.close();
    await Promise.all([ferret.stop(), mailpit.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
