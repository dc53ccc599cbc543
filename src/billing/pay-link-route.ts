// GET /billing/pay/:invoiceId — the dunning email's "update card and pay" link (billing/pay-link.ts).
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env';
import type { ServerDeps } from '../deps';
import { jsonError } from '../http/errors';
import { followPayLink } from './pay-link';

export function payLinkRoutes(deps: ServerDeps) {
  const app = new Hono<AppEnv>();
  app.get('/:invoiceId', async (c) => {
    c.header('Cache-Control', 'private, no-store');
    c.header('Referrer-Policy', 'no-referrer');
    const invoiceId = c.req.param('invoiceId');
    if (!/^in_[A-Za-z0-9_]{1,200}$/.test(invoiceId)) return jsonError(c, 404, 'This invoice no longer exists.');
    const target = await followPayLink(deps, {
      invoiceId,
      userId: c.req.query('u'),
      expires: c.req.query('e'),
      sig: c.req.query('sig'),
    });
    if (!target.ok) return jsonError(c, target.status, target.message);
    return c.redirect(target.url, 303);
  });
  return app;
}
