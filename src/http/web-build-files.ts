// Where the web build (scripts/web-build.ts) puts what only the server reads: the pricing page's
// server bundle and its document template, in a folder of the build that is never served.
import path from 'node:path';

export const SERVER_DIR = 'server';

export function pricingFiles(webDist: string): { bundle: string; template: string } {
  return {
    bundle: path.join(webDist, SERVER_DIR, 'pricing.mjs'),
    template: path.join(webDist, SERVER_DIR, 'pricing.html'),
  };
}
