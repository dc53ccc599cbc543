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

/** How many decimals a typed amount may have in this currency: 2, or 0 for zero-decimal ones. */
export function decimalsOf(currency: string): number {
  return ZERO_DECIMAL.has(currency.toLowerCase()) ? 0 : 2;
}

/**
 * An amount a person typed, in whole units of the currency ("6", "6.5", "1,200.00", "$6"), as
 * Stripe's integer in the smallest unit: "6.50" usd → 650, "1200" jpy → 1200. Null when it is not
 * a plain positive-or-zero number with at most the currency's decimals. Digits are read as text,
 * never through floating point, so "0.29" is 29 and not 28.999….
 */
export function parseAmount(text: string, currency: string): number | null {
  const decimals = decimalsOf(currency);
  const s = text.trim().replace(/^\p{Sc}\s*/u, '');
  const m = /^(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d*))?$/.exec(s);
  if (!m || (!m[1] && !m[2]) || (m[2] ?? '').length > decimals) return null;
  const whole = (m[1] ?? '0').replaceAll(',', '');
  const fraction = (m[2] ?? '').padEnd(decimals, '0');
  const value = Number(whole + fraction);
  return Number.isSafeInteger(value) ? value : null;
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
