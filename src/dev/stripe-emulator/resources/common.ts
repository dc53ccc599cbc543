// Small helpers shared by the resource modules.
import type Stripe from 'stripe';
import { noSuch } from '../errors.js';
import type { Collection } from '../store.js';

export function mustGet<T extends { id: string }>(col: Collection<T>, id: unknown, param = 'id', noun?: string): T {
  if (typeof id !== 'string' || !id) throw noSuch(String(id), param, noun);
  const obj = col.get(id);
  if (!obj) throw noSuch(id, param, noun);
  return obj;
}

/** Stripe's metadata update: merge keys, an empty value deletes a key, an empty object-level value clears all. */
export function mergeMetadata(
  current: Stripe.Metadata | null,
  patch: Record<string, string | null> | null | undefined,
): Stripe.Metadata {
  if (patch === undefined) return current ?? {};
  if (patch === null) return {};
  const out: Stripe.Metadata = { ...(current ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

export function metadataOf(patch: unknown): Stripe.Metadata {
  return mergeMetadata({}, patch as Record<string, string | null> | null | undefined);
}

/**
 * On the wire Stripe sends decimal fields as strings; the SDK turns them into its `Decimal` type
 * when it reads the response. The emulator stores the wire form, so it brands the string.
 */
/** The SDK's decimal type, named through a field that uses it (the SDK does not export it by name). */
export type Decimal = NonNullable<Stripe.Price['unit_amount_decimal']>;

export function decimalString(value: number | string): Decimal {
  return String(value) as unknown as Decimal;
}

export function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}

export function customerIdOf(value: string | { id: string } | null | undefined): string {
  return idOf(value) ?? '';
}

export function ensureString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
