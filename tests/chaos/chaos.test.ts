// Billing under chaos: 20 subscribers on test clocks through trials, renewals, failing cards, plan
// changes, cancels and resumes while Stripe drops, duplicates, delays and reorders webhooks, fails
// API calls and changes subscriptions silently, and the server restarts mid-burst (tests/chaos/
// driver.ts). Afterwards one reconcile makes the mirror equal Stripe and a second finds nothing;
// every paid invoice has exactly one receipt, no email goes out twice, no acknowledged event is
// lost, and no action is answered as failed when Stripe made the change (when Stripe did not answer,
// the user tries again once with the same action id, as the page offers). CHAOS_SEED replays a run.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBillingWorld, type RestartableBillingWorld } from '../setup/billing';
import { runChaos, type ChaosFigures } from './driver';

const seed = Number(process.env.CHAOS_SEED ?? 20_261_126);
let world: RestartableBillingWorld;
let figures: ChaosFigures;

beforeAll(async () => {
  // Webhooks delivered several at a time, as Stripe sends a burst.
  world = await startBillingWorld({}, { webhookConcurrency: 4 });
  figures = await runChaos(world, {
    subscribers: 20,
    steps: 4,
    seed,
    mailpitUrl: inject('mailpitUrl'),
    reconcile: { backoffBaseMs: 20, rps: 100 },
    log: (line) => console.log(`[chaos seed ${seed}] ${line}`),
  });
  console.log(`[chaos seed ${seed}] figures`, JSON.stringify(figures, null, 2));
}, 600_000);
afterAll(() => world?.close());

describe(`billing under chaos (seed ${seed})`, () => {
  it('the chaos happened: webhooks dropped and duplicated, API faults, drift, a restart', () => {
    expect(figures.subscribers).toBe(20);
    expect(figures.webhooks.dropped).toBeGreaterThan(0);
    expect(figures.webhooks.duplicated).toBeGreaterThan(0);
    expect(figures.apiFaults).toBeGreaterThan(0);
    expect(figures.drifted).toBeGreaterThan(0);
    expect(figures.restartMs).toBeGreaterThan(0);
    expect(figures.paidInvoices).toBeGreaterThan(0);
  });

  it('one reconcile makes the mirror equal Stripe; a second repairs nothing', () => {
    expect(figures.reconcile1.status).toBe('succeeded');
    expect(figures.mismatchesAfterReconcile).toBe(0);
    expect(figures.reconcile2.status).toBe('succeeded');
    expect(figures.reconcile2.drifted).toBe(0);
    expect(figures.reconcile2.repaired).toBe(0);
  });

  it('no webhook delivery our server acknowledged is lost', () => {
    expect(figures.acknowledgedLost).toEqual([]);
  });

  it('every paid invoice has exactly one receipt, and no receipt is for anything else', () => {
    expect(figures.paidWithoutReceipt, `${figures.paidWithoutReceipt.length} of ${figures.paidInvoices} paid invoices`).toEqual(
      [],
    );
    expect(figures.receiptsWithoutPaidInvoice).toEqual([]);
    expect(figures.mailpitReceiptsNotOnce).toEqual({});
  });

  it('no email is sent twice', () => {
    expect(figures.duplicateEmails).toEqual([]);
  });

  it('no action is answered as failed when Stripe made the change', () => {
    expect(figures.untruthful, `${figures.untruthful.length} of ${figures.actionsFailed} failed answers`).toEqual([]);
  });

  it('no action is answered as done when Stripe is not as it asked', () => {
    expect(figures.okButNotApplied, `${figures.okButNotApplied.length} of ${figures.actions} actions`).toEqual([]);
  });
});
