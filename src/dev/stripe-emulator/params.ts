// Request parameter schemas. Stripe rejects any parameter it does not know with `parameter_unknown`;
// that strictness is what makes the emulator catch typos and wrong shapes the real API would catch.
// Each endpoint declares the parameters it accepts; `parse` validates and coerces the form strings.
import { parameterError, unknownParameter } from './errors.js';

export type Spec =
  | { t: 'string' }
  | { t: 'int'; min?: number; max?: number }
  | { t: 'number' }
  | { t: 'bool' }
  | { t: 'ts' } // unix timestamp, or the literal 'now'
  | { t: 'enum'; values: readonly string[] }
  | { t: 'metadata' }
  | { t: 'any' }
  | { t: 'unsupported' } // a real Stripe parameter whose behaviour the emulator does not model
  | { t: 'obj'; fields: Fields }
  | { t: 'arr'; of: Spec }
  | { t: 'range' } // `created=123` or `created[gte]=…`
  | { t: 'or'; a: Spec; b: Spec };

export type Fields = Record<string, Spec>;

export const p = {
  str: { t: 'string' } as Spec,
  int: { t: 'int' } as Spec,
  intIn: (min: number, max: number): Spec => ({ t: 'int', min, max }),
  num: { t: 'number' } as Spec,
  bool: { t: 'bool' } as Spec,
  ts: { t: 'ts' } as Spec,
  meta: { t: 'metadata' } as Spec,
  any: { t: 'any' } as Spec,
  /** Stripe knows it, the emulator does not model it: refuse loudly rather than ignore it silently. */
  unsupported: { t: 'unsupported' } as Spec,
  range: { t: 'range' } as Spec,
  enum: (...values: string[]): Spec => ({ t: 'enum', values }),
  obj: (fields: Fields): Spec => ({ t: 'obj', fields }),
  arr: (of: Spec): Spec => ({ t: 'arr', of }),
  or: (a: Spec, b: Spec): Spec => ({ t: 'or', a, b }),
};

/** Parameters every list endpoint takes. */
export const listFields: Fields = {
  limit: p.intIn(1, 100),
  starting_after: p.str,
  ending_before: p.str,
};

export const searchFields: Fields = { query: p.str, limit: p.intIn(1, 100), page: p.str };

/** Empty string is how the form encoding says "unset" (Stripe's `Emptyable<T>`). */
export const UNSET = null;

function name(path: string, key: string): string {
  return path ? `${path}[${key}]` : key;
}

function asArray(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  // qs turns very sparse or large indexed arrays into objects with numeric keys.
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.every((k) => /^\d+$/.test(k))) {
      return keys.sort((a, b) => Number(a) - Number(b)).map((k) => (value as Record<string, unknown>)[k]);
    }
  }
  return undefined;
}

function coerce(spec: Spec, value: unknown, path: string): unknown {
  if (value === '' && spec.t !== 'string' && spec.t !== 'any' && spec.t !== 'unsupported') return UNSET;
  switch (spec.t) {
    case 'any':
      return value;
    case 'unsupported':
      throw parameterError(
        'parameter_unsupported_by_emulator',
        path,
        `The local Stripe emulator does not support \`${path}\` yet. Real Stripe accepts it; add it to src/dev/stripe-emulator if DropIn needs it.`,
      );
    case 'string':
      if (typeof value !== 'string')
        throw parameterError('parameter_invalid_string', path, `Invalid string: ${JSON.stringify(value)}`);
      return value;
    case 'int': {
      if (typeof value !== 'string' || !/^-?\d+$/.test(value)) {
        throw parameterError(
          'parameter_invalid_integer',
          path,
          `Invalid integer: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
        );
      }
      const n = Number(value);
      if (spec.min !== undefined && n < spec.min)
        throw parameterError('parameter_invalid_integer', path, `This value must be greater than or equal to ${spec.min}.`);
      if (spec.max !== undefined && n > spec.max)
        throw parameterError('parameter_invalid_integer', path, `This value must be less than or equal to ${spec.max}.`);
      return n;
    }
    case 'number': {
      if (typeof value !== 'string' || Number.isNaN(Number(value)))
        throw parameterError('parameter_invalid_number', path, `Invalid decimal: ${String(value)}`);
      return Number(value);
    }
    case 'ts': {
      if (value === 'now') return 'now';
      if (typeof value !== 'string' || !/^\d+$/.test(value))
        throw parameterError(
          'parameter_invalid_integer',
          path,
          `Invalid timestamp: must be an integer Unix timestamp in the future.`,
        );
      return Number(value);
    }
    case 'bool':
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw parameterError('parameter_invalid_boolean', path, `Invalid boolean: ${String(value)}`);
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) {
        throw parameterError('parameter_invalid', path, `Invalid ${path}: must be one of ${spec.values.join(', ')}`);
      }
      return value;
    case 'metadata': {
      if (!value || typeof value !== 'object' || Array.isArray(value))
        throw parameterError('parameter_invalid', path, `Invalid object`);
      const out: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string')
          throw parameterError('parameter_invalid', name(path, k), `Invalid string: ${JSON.stringify(v)}`);
        if (k.length > 40)
          throw parameterError('parameter_invalid', name(path, k), `Metadata keys can have at most 40 characters.`);
        if (v.length > 500)
          throw parameterError('parameter_invalid', name(path, k), `Metadata values can have at most 500 characters.`);
        out[k] = v === '' ? null : v;
      }
      if (Object.keys(out).length > 50) throw parameterError('parameter_invalid', path, 'Metadata can have at most 50 keys.');
      return out;
    }
    case 'range': {
      if (typeof value === 'string') return coerce(p.int, value, path);
      return coerce(p.obj({ gt: p.int, gte: p.int, lt: p.int, lte: p.int }), value, path);
    }
    case 'or':
      try {
        return coerce(spec.a, value, path);
      } catch {
        return coerce(spec.b, value, path);
      }
    case 'arr': {
      const arr = asArray(value);
      if (!arr) throw parameterError('parameter_invalid', path, `Invalid array`);
      return arr.map((v, i) => coerce(spec.of, v, `${path}[${i}]`));
    }
    case 'obj': {
      if (!value || typeof value !== 'object' || Array.isArray(value))
        throw parameterError('parameter_invalid', path, `Invalid object`);
      return parseFields(spec.fields, value as Record<string, unknown>, path);
    }
  }
}

function parseFields(fields: Fields, raw: Record<string, unknown>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const spec = fields[key];
    if (!spec) throw unknownParameter(name(path, key));
    out[key] = coerce(spec, value, name(path, key));
  }
  return out;
}

/**
 * Validate the raw (qs-parsed) parameters against `fields`. `expand` is accepted everywhere,
 * as on Stripe.
 */
export function parse<T = Record<string, unknown>>(fields: Fields, raw: Record<string, unknown>): T {
  return parseFields({ ...fields, expand: p.arr(p.str) }, raw, '') as T;
}

export function required<T>(params: object, key: string): T {
  const v = (params as Record<string, unknown>)[key];
  if (v === undefined || v === null || v === '')
    throw parameterError('parameter_missing', key, `Missing required param: ${key}.`);
  return v as T;
}
