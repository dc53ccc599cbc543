// DNS rebinding guard: a request must name our host. A page on another site whose DNS name has
// been pointed at this server reaches it with that name in Host; such requests get 421. The name
// is PUBLIC_URL's, whatever the port (nginx passes the client's host name through without its port,
// `proxy_set_header Host $host`; the
// Vite dev proxy keeps it too); outside production loopback names are accepted as well, so a
// local server answers on localhost and 127.0.0.1 whatever PUBLIC_URL says. Health checks are
// exempt: load balancers and orchestrators probe by address.
import type { MiddlewareHandler } from 'hono';
import { jsonError } from './errors';

const EXEMPT = new Set(['/healthz', '/readyz']);
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function hostGuard(opts: { publicUrl: string; production: boolean }): MiddlewareHandler {
  const publicName = new URL(opts.publicUrl).hostname.toLowerCase();
  return async (c, next) => {
    if (EXEMPT.has(c.req.path)) return next();
    const host = (c.req.header('host') ?? new URL(c.req.url).host).toLowerCase();
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
    if (name === publicName) return next();
    if (!opts.production && name && LOOPBACK.has(name)) return next();
    return jsonError(c, 421, 'This server does not answer for that host name.');
  };
}
