// `expand[]`: replace ids with the objects they name, following dotted paths (`data.customer`,
// `latest_invoice.payments`), without ever mutating stored objects.
import type { Emulator } from './emulator.js';
import { invalidRequest } from './errors.js';

/** Fields Stripe omits unless expanded ("includable"), computed on demand, by object type. */
const includables = new Map<string, Map<string, (emu: Emulator, obj: Record<string, unknown>) => unknown>>();

export function registerIncludable(
  objectType: string,
  field: string,
  fn: (emu: Emulator, obj: Record<string, unknown>) => unknown,
): void {
  if (!includables.has(objectType)) includables.set(objectType, new Map());
  includables.get(objectType)!.set(field, fn);
}

function resolveId(emu: Emulator, id: string): unknown {
  return emu.state.findObject(id);
}

function expandValue(emu: Emulator, value: unknown, segs: string[], full: string): unknown {
  if (segs.length === 0 || value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((v) => expandValue(emu, v, segs, full));
  if (typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const [seg, ...rest] = segs as [string, ...string[]];
  if ((obj.object === 'list' || obj.object === 'search_result') && seg === 'data') {
    return { ...obj, data: (obj.data as unknown[]).map((item) => expandValue(emu, item, rest, full)) };
  }
  let field = obj[seg];
  if (field === undefined) {
    const include = includables.get(String(obj.object))?.get(seg);
    if (!include) throw invalidRequest(`This property cannot be expanded (${full}).`, { param: 'expand' });
    field = include(emu, obj);
  } else if (typeof field === 'string') {
    const found = resolveId(emu, field);
    if (found === undefined) {
      // Deleted objects expand to their deleted stub, as on Stripe.
      field = { id: field, object: 'deleted', deleted: true };
    } else field = found;
  } else if (Array.isArray(field) && field.some((x) => typeof x === 'string')) {
    field = field.map((x) => (typeof x === 'string' ? (resolveId(emu, x) ?? x) : x));
  } else if (rest.length === 0 && (field === null || typeof field === 'object')) {
    // Already an object (or null): Stripe accepts the path and leaves the value as it is.
  }
  return { ...obj, [seg]: expandValue(emu, field, rest, full) };
}

export function applyExpand(emu: Emulator, value: unknown, expand: unknown): unknown {
  if (!expand) return value;
  const paths = Array.isArray(expand) ? expand : typeof expand === 'object' ? Object.values(expand as object) : [expand];
  let out = value;
  for (const path of paths) {
    if (typeof path !== 'string') continue;
    const segs = path.split('.');
    // `data` steps into a list; it is not a level of its own.
    if (segs.filter((s) => s !== 'data').length > 4)
      throw invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${path}`, { param: 'expand' });
    out = expandValue(emu, out, segs, path);
  }
  return out;
}
