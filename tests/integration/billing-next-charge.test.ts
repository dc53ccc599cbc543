// The next charge on the dashboard is Stripe's preview of the upcoming invoice, read once per
// billing change: a reload asks Stripe nothing, a plan change shows a fresh figure. Against the emulator.
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NextCharge } from '../../src/billing/dashboard';
import {
  changePlan,
  settle,
  startBillingWorld,
  subscribeThroughCheckout,
  trpc,
  verifiedUser,
  type BillingWorld,
} from '../setup/billing';

let world: BillingWorld;
beforeAll(async () => {
  world = await startBillingWorld();
});
afterAll(() => world?.close());

describe('the next charge', () => {
  it('a reload makes no Stripe call; a plan change gives a fresh figure', async () => {
    const user = await verifiedUser(world);
    await subscribeThroughCheckout(world, user, 'pro');
    // Checkout's webhooks in, so the mirror stands still between the two loads.
    await settle(world);
    // The app's own Stripe client: every preview it asks for.
    const stripe = world.server.deps.stripe!;
    let previews = 0;
    const count = (e: Stripe.RequestEvent) => {
      if (e.path === '/v1/invoices/create_preview') previews++;
    };
    stripe.on('request', count);
    try {
      const load = async () => {
        const r = await trpc<{ charge: NextCharge | null }>(world, user.cookie, 'query', 'billing.nextCharge');
        expect(r.status, r.error?.message).toBe(200);
        return r.data.charge!;
      };
      const first = await load();
      const again = await load();
      expect(again).toEqual(first);
      expect(first.amountDue).toBe(1200);
      expect(previews).toBe(1);

      await changePlan(world, user, { planId: 'business', interval: 'month' });
      previews = 0;
      expect((await load()).amountDue).toBe(4900);
      expect(previews).toBe(1);
    } finally {
      stripe.off('request', count);
    }
  });
});
