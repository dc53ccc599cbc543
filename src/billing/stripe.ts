// The Stripe client: the real SDK, pointed at the local emulator when STRIPE_API_BASE is set
// (development and tests) and at api.stripe.com otherwise. Nothing else in the app constructs one.
import Stripe from 'stripe';
import type { Env } from '../env';

export type { Stripe };

export function createStripe(env: Pick<Env, 'STRIPE_SECRET_KEY' | 'STRIPE_API_BASE'>): Stripe {
  if (!env.STRIPE_SECRET_KEY) throw new Error('STRIPE_SECRET_KEY is not set');
  const base = env.STRIPE_API_BASE ? new URL(env.STRIPE_API_BASE) : null;
  return new Stripe(env.STRIPE_SECRET_KEY, {
    // The SDK pins its own API version (2026-10-28.endive for stripe v23); we never override it,
    // so types and wire format always agree.
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'DropIn', version: '0.1.0' },
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === 'https:' ? 443 : 80),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
}
