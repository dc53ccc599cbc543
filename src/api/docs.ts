// Interactive docs for the REST API at /api/docs: Swagger UI reading the spec at
// /api/v1/openapi.json. Its script and styles come from the swagger-ui-dist package and are served
// by this server (nothing is loaded from elsewhere), under the app's CSP as every page is: no
// inline script, so the page's own setup is a small script file of ours.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env';
import { notFound } from '../http/errors';

const require = createRequire(import.meta.url);
const dist = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const version = (JSON.parse(readFileSync(path.join(dist, 'package.json'), 'utf8')) as { version: string }).version;
/** The versioned folder of the assets: a new Swagger UI gets new URLs, so these can be cached for good. */
const assets = `/api/docs/assets/${version}`;

const files: Record<string, string> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const setup = `// DropIn: Swagger UI on this server's spec; no validator badge (it would call validator.swagger.io).
window.ui = SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#docs',
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: false,
});
`;

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DropIn REST API</title>
<link rel="icon" type="image/png" href="${assets}/favicon-32x32.png">
<link rel="stylesheet" href="${assets}/swagger-ui.css">
</head>
<body>
<main id="docs"><noscript>The interactive reference needs JavaScript. The spec itself is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</noscript></main>
<script src="${assets}/swagger-ui-bundle.js"></script>
<script src="${assets}/setup.js"></script>
</body>
</html>
`;

export function apiDocsRoutes() {
  const docs = new Hono<AppEnv>();
  const cache = new Map<string, Buffer>();
  docs.get('/', (c) => {
    c.header('Cache-Control', 'no-cache');
    return c.html(page);
  });
  docs.get(`/assets/${version}/setup.js`, (c) =>
    c.body(setup, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=31536000, immutable',
    }),
  );
  docs.get(`/assets/${version}/:file`, (c) => {
    const name = c.req.param('file');
    const type = Object.hasOwn(files, name) ? files[name] : undefined;
    if (!type) return notFound(c);
    let body = cache.get(name);
    if (!body) {
      body = readFileSync(path.join(dist, name));
      cache.set(name, body);
    }
    return c.body(new Uint8Array(body), 200, { 'Content-Type': type, 'Cache-Control': 'public, max-age=31536000, immutable' });
  });
  docs.notFound(notFound);
  return docs;
}
