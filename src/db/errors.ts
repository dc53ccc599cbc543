// The database errors the app acts on. A duplicate key is an answer, not a failure: an insert under
// a unique key is how "exactly one of us does this" is decided (claims.ts), so callers catch it.
import type { WriteError } from 'mongodb';

const DUPLICATE_KEY = 11000;

/**
 * True when a unique index or `_id` refused the write. For a bulk write this is its first refused
 * row's reason; `refusedRows` tells each row's.
 */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === DUPLICATE_KEY;
}

/**
 * The rows an unordered `insertMany` refused, by their index in the batch, and whether each was a
 * duplicate. Null when the error names no rows: not a bulk write's, or a bulk write that failed as a
 * whole (a network or write concern error), whose rows may or may not be stored.
 */
export function refusedRows(err: unknown): { index: number; duplicate: boolean }[] | null {
  if (typeof err !== 'object' || err === null) return null;
  const writeErrors = (err as { writeErrors?: WriteError | WriteError[] }).writeErrors;
  if (!writeErrors) return null;
  const rows = (Array.isArray(writeErrors) ? writeErrors : [writeErrors]).map((w) => ({
    index: w.index,
    duplicate: w.code === DUPLICATE_KEY,
  }));
  return rows.length ? rows : null;
}
