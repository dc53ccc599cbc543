// Amounts as Stripe sends them: integers in the currency's smallest unit, which for most currencies
// is a hundredth, and for Stripe's zero-decimal currencies (yen, won, …) the unit itself. Shared by
// the server's emails and the web app.

/** https://docs.stripe.com/currencies#zero-decimal */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

/** The amount in whole units of the currency: 1234 usd → 12.34, 1234 jpy → 1234. */
export function majorUnits(amount: number, currency: string): number {
  return ZERO_DECIMAL.has(currency.toLowerCase()) ? amount : amount / 100;
}

/**
 * Formats a Stripe amount in its own currency. `trim` drops the decimals of a whole amount
 * ($12 rather than $12.00), for prices; totals and lines keep them.
 */
export function formatAmount(amount: number, currency: string, opts: { locale?: string; trim?: boolean } = {}): string {
  const code = currency.toUpperCase();
  const value = majorUnits(amount, currency);
  const digits =
    new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  const whole = opts.trim && Number.isInteger(value);
  return new Intl.NumberFormat(opts.locale, {
    style: 'currency',
    currency: code,
    minimumFractionDigits: whole ? 0 : digits,
    maximumFractionDigits: digits,
  }).format(value);
}
