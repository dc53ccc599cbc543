// Calendar arithmetic for billing periods, done the way Stripe does it: periods are counted from the
// billing cycle anchor and clamp to the end of short months (31 Jan → 28 Feb → 31 Mar).

export const DAY = 86_400;

export function addUnits(ts: number, interval: string, count: number): number {
  if (interval === 'day') return ts + count * DAY;
  if (interval === 'week') return ts + count * 7 * DAY;
  const d = new Date(ts * 1000);
  const months = interval === 'year' ? count * 12 : count;
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const targetYear = y + Math.floor(m / 12);
  const targetMonth = ((m % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), lastDay);
  return Math.floor(Date.UTC(targetYear, targetMonth, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000);
}

/** The first period boundary counted from `anchor` that is strictly after `after`. */
export function nextBoundary(anchor: number, interval: string, count: number, after: number): number {
  if (anchor > after) return anchor;
  // Jump close first so multi-year spans stay cheap, then walk.
  let k = 1;
  const approx = interval === 'day' ? DAY : interval === 'week' ? 7 * DAY : interval === 'month' ? 28 * DAY : 365 * DAY;
  k = Math.max(1, Math.floor((after - anchor) / (approx * count)) - 1);
  while (addUnits(anchor, interval, k * count) <= after) k++;
  while (k > 1 && addUnits(anchor, interval, (k - 1) * count) > after) k--;
  return addUnits(anchor, interval, k * count);
}

export function formatDate(ts: number): string {
  return new Date(ts * 1000).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

export function formatMoney(amount: number, currency: string): string {
  const zeroDecimal = ['jpy', 'krw', 'vnd', 'clp', 'isk', 'ugx', 'xof', 'xaf'].includes(currency.toLowerCase());
  const value = zeroDecimal ? amount : amount / 100;
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(value);
  } catch {
    return `${value.toFixed(zeroDecimal ? 0 : 2)} ${currency.toUpperCase()}`;
  }
}
