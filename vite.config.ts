// The dashboard build. In development Vite serves web/ and proxies API paths to the server;
// in production the server serves dist/web (hashed assets, immutable caching).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = process.env.DROPIN_API_URL ?? 'http://127.0.0.1:3000';

/**
 * React Router's package exports point every bundler at its development build (warnings included,
 * no `process.env.NODE_ENV` switch to strip them); its production build sits beside it under
 * dist/production and is not exported, so a production build names the file itself.
 */
function reactRouterProduction(): string {
  const pkg = createRequire(import.meta.url).resolve('react-router/package.json');
  return path.join(path.dirname(pkg), 'dist', 'production', 'index.mjs');
}

export default defineConfig(({ mode }) => ({
  root: 'web',
  plugins: [react()],
  resolve: {
    alias: mode === 'production' ? [{ find: /^react-router$/, replacement: reactRouterProduction() }] : [],
  },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // Source maps would publish the whole source of the web app (and the server types it names);
    // they are not built. A local debugging build can turn them on with `--sourcemap`.
    sourcemap: false,
    rollupOptions: {
      // The app's shell, and the templates of the pages the server renders for visitors
      // (scripts/web-build.ts moves them beside those pages' server bundle, out of the public
      // files). Not `pricing.html`: the development server answers /pricing with that file.
      input: {
        index: fileURLToPath(new URL('web/index.html', import.meta.url)),
        home: fileURLToPath(new URL('web/home-document.html', import.meta.url)),
        pricing: fileURLToPath(new URL('web/pricing-document.html', import.meta.url)),
      },
    },
  },
  server: {
    port: Number(process.env.VITE_PORT ?? 5173),
    // The port is part of PUBLIC_URL in `npm run dev`: fail rather than move to another one.
    strictPort: true,
    proxy: {
      '/trpc': api,
      '/auth': api,
      '/api': api,
      '/webhooks': api,
      '/healthz': api,
      '/readyz': api,
    },
  },
}));
