// The Hono app: middleware, /trpc, /webhooks, health checks, the built web app, the error handler.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { bodyLimit } from 'hono/body-limit';
import { serveStatic } from '@hono/node-server/serve-static';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { ServerDeps } from './deps';
import { appRouter } from './trpc/root';
import { createInnerContext } from './trpc/context';
import type { AppEnv } from './http/app-env';
import { readRememberedDevice } from './auth/two-factor/second-factor';
import { clientIp } from './http/client-ip';
import { csrfGuard } from './http/csrf';
import { hostGuard } from './http/host-check';
import { notFound, onHttpError } from './http/errors';
import { securityHeaders } from './http/security-headers';
import { publicPages } from './http/public-pages';
import { SERVER_DIR } from './http/web-build-files';
import { AppError } from './lib/errors';
import { isWebPage, matchesPattern, shortUrlTarget, webPages } from './lib/web-routes';
import { oauthRoutes } from './auth/oauth/routes';
import { stripeWebhookRoutes } from './webhooks/route';
import { payLinkRoutes } from './billing/pay-link-route';
import { apiDocsRoutes } from './api/docs';
import { restApi, toolBodyLimit } from './api/rest';
import { fileRoutes } from './content/files';
import { contentUploadRoutes } from './content/upload-route';

/** Calls per tRPC batch: the web app's client sends no more (web/src/lib/trpc.ts maxItems). */
export const MAX_BATCH = 10;

export interface AppOptions {
  /** Folder with the built web app (index.html + assets). Served when it exists. */
  webDist?: string;
  /** Called when a new webhook event was stored (the server kicks its worker). */
  onWebhookRecorded?: () => void;
}

export function createApp(deps: ServerDeps, opts: AppOptions = {}) {
  const { env } = deps;
  const app = new Hono<AppEnv>();
  const production = env.NODE_ENV === 'production';

  app.use(requestId({ limitLength: 64 }));
  app.use(async (c, next) => {
    const ip = clientIp(c, env.TRUST_PROXY);
    c.set('ip', ip);
    const log = deps.log.child({ reqId: c.get('requestId') });
    c.set('log', log);
    const start = performance.now();
    await next();
    // Health probes and static assets would drown the log.
    if (c.req.path.startsWith('/trpc') || c.req.path.startsWith('/webhooks') || c.res.status >= 500) {
      log.info(
        { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - start), ip },
        'request',
      );
    }
  });
  app.use(securityHeaders({ production }));
  app.use(hostGuard({ publicUrl: env.PUBLIC_URL, production }));
  app.use(csrfGuard({ publicUrl: env.PUBLIC_URL, exemptPrefixes: ['/webhooks/', '/api/v1/'] }));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const db = await deps.db.ping();
    return c.json({ ok: db, db }, db ? 200 : 503);
  });

  app.route('/auth/oauth', oauthRoutes(deps));
  app.route('/webhooks', stripeWebhookRoutes(deps, { onRecorded: opts.onWebhookRecorded }));
  app.route('/api/v1', restApi(deps));
  app.route('/api/docs', apiDocsRoutes());
  app.route('/files', fileRoutes(deps));
  app.route('/billing/pay', payLinkRoutes(deps));
  // Admin file uploads (raw body, up to 20 MB): outside /trpc and its 64 KB body limit; under
  // /api so the dev server's proxy and nginx's API location reach it like the rest of the API.
  app.route('/api/admin/content', contentUploadRoutes(deps));

  // 64 KB for every call but a lone tool run, whose input may be a customers CSV of up to 2,000,000
  // characters (src/content/tools.ts): as JSON, with escaped line breaks and multi-byte characters,
  // that can take twice as many bytes.
  const trpcBody = bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: 'Request body too large.' }, 413) });
  app.use('/trpc/*', (c, next) => (c.req.path === '/trpc/content.runTool' ? toolBodyLimit : trpcBody)(c, next));
  app.all('/trpc/*', async (c) => {
    // Mutations only over POST with a JSON body: a "simple" cross-site form cannot reach them.
    if (c.req.method === 'POST' && !(c.req.header('content-type') ?? '').startsWith('application/json')) {
      return c.json({ error: 'Content-Type must be application/json.' }, 415);
    }
    const calls = c.req.path.slice('/trpc/'.length).split(',').length;
    if (calls > MAX_BATCH)
      return c.json({ error: `A request may carry at most ${MAX_BATCH} calls; this one has ${calls}.` }, 400);
    const token = deps.sessions.readCookie(c.req.header('cookie'));
    const auth = await deps.sessions.validate(token);
    let procedureHeaders: Headers | null = null;
    const response = await fetchRequestHandler({
      endpoint: '/trpc',
      req: c.req.raw,
      router: appRouter,
      allowMethodOverride: false,
      createContext: ({ resHeaders: trpcHeaders }) => {
        procedureHeaders = trpcHeaders;
        return createInnerContext({
          deps: { ...deps, log: c.get('log') },
          user: auth.user,
          session: auth.session,
          req: {
            ip: c.get('ip'),
            userAgent: c.req.header('user-agent') ?? '',
            sessionToken: auth.user ? token : null,
            resHeaders: trpcHeaders,
            rememberedDevice: readRememberedDevice(deps.env, c.req.header('cookie')),
          },
        });
      },
      // The renewal cookie for the presented token goes out only when no procedure set a session
      // cookie itself: after a login or logout it would come last and put the old token back.
      responseMeta: () => {
        // Answers are personal (or may be, with a session), so no cache keeps one.
        const headers = new Headers({ 'Cache-Control': 'private, no-store' });
        if (auth.setCookie && !procedureHeaders?.has('set-cookie')) headers.append('Set-Cookie', auth.setCookie);
        return { headers };
      },
      onError: ({ error, path: procedure }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR' && !(error.cause instanceof AppError)) {
          c.get('log').error({ err: error.cause ?? error, procedure }, 'procedure failed');
          error.message = 'Something went wrong on our side. Please try again.';
        }
      },
    });
    return response;
  });

  const webDist = opts.webDist;
  if (webDist && existsSync(path.join(webDist, 'index.html'))) {
    const indexHtml = readFileSync(path.join(webDist, 'index.html'), 'utf8');
    const root = path.relative(process.cwd(), webDist);
    // Hashed file names (Vite): a file's content never changes, so browsers keep it for a year. Set
    // once the file is served: serveStatic builds its response before its onFound hook runs.
    app.use('/assets/*', async (c, next) => {
      // Source maps are not published (the build makes none; one left in the folder stays private).
      if (c.req.path.endsWith('.map')) return c.notFound();
      await next();
      if (c.res.status === 200) c.header('Cache-Control', 'public, max-age=31536000, immutable');
    });
    // What the build keeps for the server alone (the public pages' bundle and templates).
    app.use(`/${SERVER_DIR}/*`, async (c) => c.notFound());
    app.use('*', serveStatic({ root, index: 'no-index.html' }));
    const visitorPage = publicPages({ deps, webDist });
    // Every other GET gets the app shell, whose router draws the page: 200 for the web app's pages,
    // 404 for any other path (the shell then shows its not-found page). The short URLs people type
    // (/billing, /settings, …) go to their page, query string and all. Unknown API paths and
    // missing built files get a plain 404: the shell would not help a script or a stale tab.
    app.get('*', async (c) => {
      const pathname = c.req.path;
      if (['/trpc', '/api/', '/assets/'].some((prefix) => pathname.startsWith(prefix))) return c.notFound();
      const target = shortUrlTarget(pathname);
      if (target) return c.redirect(`${target}${new URL(c.req.url).search}`, 302);
      const page = await visitorPage?.(c);
      if (page) return page;
      c.header('Cache-Control', 'no-cache');
      if (matchesPattern(webPages.resetPassword, pathname)) c.header('Referrer-Policy', 'no-referrer');
      return c.html(indexHtml, isWebPage(pathname) ? 200 : 404);
    });
  }

  app.notFound(notFound);
  app.onError(onHttpError(deps.log));

  return app;
}
