// `npm run stripe:catalog`: pushes the plan catalog (src/billing/plans.ts), the API meter and the
// customer portal configuration (src/billing/portal.ts) to the Stripe account in STRIPE_SECRET_KEY
// (or the emulator in STRIPE_API_BASE). Safe to run any number of times.
import { parseEnv } from '../src/env';
import { createStripe } from '../src/billing/stripe';
import { pushCatalog } from '../src/billing/catalog';

const env = parseEnv();
const result = await pushCatalog(createStripe(env));
for (const p of result.products) console.log(`product ${p.id.padEnd(20)} ${p.action}`);
for (const p of result.prices) console.log(`price   ${p.lookupKey.padEnd(26)} ${p.id} ${p.action}`);
if (result.meter) console.log(`meter   ${'api calls'.padEnd(26)} ${result.meter.id} ${result.meter.action}`);
if (result.portal) console.log(`portal  ${'customer portal'.padEnd(26)} ${result.portal.id} ${result.portal.action}`);
