// Where to send someone after login: only a path on our own site. Anything else (another origin,
// protocol-relative `//host`, `/\host` which browsers read as `//host`, encoded or whitespace-padded
// variants, other schemes) falls back to the default.

const MAX_LENGTH = 2048;

export function safeNext(raw: string | null | undefined, publicUrl: string, fallback = '/app'): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_LENGTH) return fallback;
  // Must be a plain absolute path before any parsing: no scheme, no host, no backslash, no controls.
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return fallback;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\s]/.test(raw)) return fallback;
  // Someone further along (the web router, a proxy) may decode again: look through the encodings.
  let decoded = raw;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return fallback;
    }
    if (next.startsWith('//') || next.includes('\\') || /^\/?[a-z][a-z0-9+.-]*:/i.test(next)) return fallback;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: see above
    if (/[\u0000-\u001f\u007f]/.test(next)) return fallback;
    if (next === decoded) break;
    decoded = next;
  }
  let url: URL;
  const base = new URL(publicUrl);
  try {
    url = new URL(raw, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base.origin) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith('/') && !path.startsWith('//') ? path : fallback;
}
