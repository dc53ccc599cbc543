// `npm run stripe:catalog`: pushes the plan catalog (src/billing/plans.ts) to the Stripe account
// in STRIPE_SECRET_KEY (or the emulator in STRIPE_API_BASE). Safe to run any number of times.
import { parseEnv } from '../src/env';
import { createStripe } from '../src/billing/stripe';
import { pushCatalog } from '../src/billing/catalog';

const env = parseEnv();
const result = await pushCatalog(createStripe(env));
for (const p of result.products) console.log(`product ${p.id.padEnd(20)} ${p.action}`);
for (const p of result.prices) console.log(`price   ${p.lookupKey.padEnd(26)} ${p.id} ${p.action}`);
