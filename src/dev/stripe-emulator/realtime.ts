// What happens as real time passes, for everything not on a test clock: due renewals, retries and
// trial ends (the billing engine), and Checkout Sessions reaching `expires_at`.
import type { Emulator } from './emulator.js';
import { tick } from './engine/billing.js';
import { refreshExpiry } from './resources/checkout.js';

/** Returns how many billing steps ran. */
export function runRealTime(emu: Emulator): number {
  const steps = tick(emu);
  for (const session of emu.state.checkoutSessions.values()) if (session.status === 'open') refreshExpiry(emu, session);
  return steps;
}
