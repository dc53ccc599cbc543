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

/** Intl.NumberFormat is costly to build and amounts are formatted in every list row: one per kind. */
const formats = new Map<string, Intl.NumberFormat>();

function format(locale: string | undefined, code: string, trimmed: boolean): Intl.NumberFormat {
  const key = `${locale ?? ''}|${code}|${trimmed}`;
  let f = formats.get(key);
  if (!f) {
    const digits =
      new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
    f = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: code,
      minimumFractionDigits: trimmed ? 0 : digits,
      maximumFractionDigits: digits,
    });
    formats.set(key, f);
  }
  return f;
}

/**
 * Formats a Stripe amount in its own currency. `trim` drops the decimals of a whole amount
 * ($12 rather than $12.00), for prices; totals and lines keep them.
 */
export function formatAmount(amount: number, currency: string, opts: { locale?: string; trim?: boolean } = {}): string {
  const value = majorUnits(amount, currency);
  return format(opts.locale, currency.toUpperCase(), Boolean(opts.trim) && Number.isInteger(value)).format(value);
}
