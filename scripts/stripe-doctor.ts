// `npm run stripe:doctor [-- --fix] [-- --live]`: checks the Stripe account in STRIPE_SECRET_KEY (or
// the emulator in STRIPE_API_BASE) against what DropIn needs, one line per item of the go-live
// checklist in docs/deployment.md, each problem with its fix. Read-only unless --fix, which pushes
// the catalog and the customer portal configuration first. --live makes a test-mode key a blocker.
// Exits 1 when something blocks going live.
import { parseEnv } from '../src/env';
import { checkStripeAccount, type CheckStatus } from '../src/billing/doctor';
import { createStripe } from '../src/billing/stripe';

const args = new Set(process.argv.slice(2));
for (const arg of args) {
  if (arg !== '--fix' && arg !== '--live') {
    console.error(
      `Unknown option ${arg}. Use --fix (push the catalog and portal configuration) and/or --live (require a live key).`,
    );
    process.exit(2);
  }
}
const env = parseEnv();
if (!env.STRIPE_SECRET_KEY) {
  console.error('STRIPE_SECRET_KEY is not set: the doctor checks the account that key belongs to.');
  process.exit(2);
}
const report = await checkStripeAccount({
  stripe: createStripe(env),
  secretKey: env.STRIPE_SECRET_KEY,
  publicUrl: env.PUBLIC_URL,
  requireLive: args.has('--live'),
  fix: args.has('--fix'),
});

const mark: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
if (report.fixed) {
  const changed = [
    ...report.fixed.products.filter((p) => p.action !== 'unchanged').map((p) => `product ${p.id} ${p.action}`),
    ...report.fixed.prices.filter((p) => p.action !== 'unchanged').map((p) => `price ${p.lookupKey} ${p.action}`),
    ...(report.fixed.meter?.action === 'created' ? [`meter ${report.fixed.meter.id} created`] : []),
    ...(report.fixed.portal && report.fixed.portal.action !== 'unchanged'
      ? [`portal configuration ${report.fixed.portal.id} ${report.fixed.portal.action}`]
      : []),
  ];
  console.log(`--fix: ${changed.length ? changed.join('; ') : 'nothing to change'}`);
}
for (const check of report.checks) {
  console.log(`${mark[check.status]} ${check.id.padEnd(12)} ${check.summary}`);
  for (const problem of check.problems) console.log(`       - ${problem}`);
  if (check.fix) console.log(`       fix: ${check.fix}`);
}
console.log(report.ready ? 'Ready to go live.' : 'Not ready: fix the FAIL lines above.');
process.exit(report.ready ? 0 : 1);
