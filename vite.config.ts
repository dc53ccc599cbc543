// The dashboard build. In development Vite serves web/ and proxies API paths to the server;
// in production the server serves dist/web (hashed assets, immutable caching).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = process.env.DROPIN_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: 'web',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    sourcemap: true,
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
});
