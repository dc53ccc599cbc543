// Cross-site request forgery guard for every state-changing request, JSON included (hono/csrf
// only looks at form content types). A request is refused when the browser tells us it came
// from another site: Sec-Fetch-Site cross-site, or an Origin that is neither our public URL nor
// the host the request was sent to. Bearer-token APIs and Stripe webhooks carry no cookies and
// are exempt.
import type { MiddlewareHandler } from 'hono';
import { jsonError } from './errors';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrfGuard(opts: { publicUrl: string; exemptPrefixes: string[] }): MiddlewareHandler {
  const publicOrigin = new URL(opts.publicUrl).origin;
  return async (c, next) => {
    if (SAFE.has(c.req.method) || opts.exemptPrefixes.some((p) => c.req.path.startsWith(p))) return next();
    const site = c.req.header('sec-fetch-site');
    if (site === 'cross-site') return jsonError(c, 403, 'Cross-site request refused.');
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      let ok = origin === publicOrigin;
      if (!ok && origin !== 'null') {
        try {
          ok = new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
        } catch {
          ok = false;
        }
      }
      if (!ok) return jsonError(c, 403, 'Cross-origin request refused.');
    }
    return next();
  };
}
