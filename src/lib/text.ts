// Free text we store must be text: no NUL (it cuts strings short in C libraries, logs and CSV
// readers) and no lone UTF-16 surrogate (the JSON escape of bytes that are not UTF-8, which no
// encoder can write back out). Every tRPC input is checked here before its schema runs
// (src/trpc/trpc.ts), so each name, title and note is covered without a rule per field.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isCleanText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}

/** The path ("name", "items.2.title") of the first string or key in `value` that is not clean text, or null. */
export function firstUncleanText(value: unknown, path: string[] = [], depth = 0): string | null {
  if (typeof value === 'string') return isCleanText(value) ? null : path.join('.') || 'input';
  if (value === null || typeof value !== 'object' || depth > 20) return null;
  for (const [k, v] of Object.entries(value)) {
    if (!isCleanText(k)) return [...path, '(a key)'].join('.');
    const found = firstUncleanText(v, [...path, k], depth + 1);
    if (found) return found;
  }
  return null;
}

/** The sentence for a field that is not clean text. */
export function uncleanTextMessage(field: string): string {
  return `${field} contains a character that is not allowed (a NUL character or broken Unicode). Remove it and try again.`;
}
