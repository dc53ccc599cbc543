// The reconciler's own Stripe client: the same SDK and settings as src/billing/stripe.ts, with an
// HTTP client that spends a request budget (RECONCILE_RPS) and counts every request, SDK retries
// included. It is separate from the server's client so the count is the reconciler's alone and
// its pace never slows user requests in the same process (tests, a CLI run beside the server).
import Stripe from 'stripe';
import type { Env } from '../../env';

export interface BudgetedStripe {
  stripe: Stripe;
  /** Requests sent so far. */
  calls(): number;
}

/** Spaces requests so that no more than `rps` start in any second (bursts up to `rps`). */
export function requestBudget(rps: number): () => Promise<void> {
  const interval = 1000 / rps;
  let next = 0;
  return async () => {
    const now = Date.now();
    // Allow a burst of up to one second's budget after idling.
    next = Math.max(next, now - 1000 + interval);
    const wait = next - now;
    next += interval;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
}

export function createBudgetedStripe(env: Pick<Env, 'STRIPE_SECRET_KEY' | 'STRIPE_API_BASE'>, rps: number): BudgetedStripe {
  if (!env.STRIPE_SECRET_KEY) throw new Error('STRIPE_SECRET_KEY is not set');
  const base = env.STRIPE_API_BASE ? new URL(env.STRIPE_API_BASE) : null;
  const inner = Stripe.createNodeHttpClient();
  const spend = requestBudget(rps);
  let calls = 0;
  const httpClient: Stripe.HttpClient = Object.assign(Object.create(inner) as Stripe.HttpClient, {
    async makeRequest(...args: Parameters<Stripe.HttpClient['makeRequest']>) {
      await spend();
      calls++;
      return inner.makeRequest(...args);
    },
  });
  const stripe = new Stripe(env.STRIPE_SECRET_KEY, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    httpClient,
    appInfo: { name: 'DropIn reconciler', version: '0.1.0' },
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === 'https:' ? 443 : 80),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
  return { stripe, calls: () => calls };
}
