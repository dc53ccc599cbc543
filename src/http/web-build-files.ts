// Where the web build (scripts/web-build.ts) puts what only the server reads: the public pages'
// server bundle and their document templates, in a folder of the build that is never served.
import path from 'node:path';

export const SERVER_DIR = 'server';

/** The pages the server renders for visitors, each with its template (`web/<page>-document.html`). */
export const PUBLIC_PAGES = ['home', 'pricing'] as const;
export type PublicPage = (typeof PUBLIC_PAGES)[number];

/** Where a template marks the page's markup. */
export const PAGE_PLACEHOLDER = '<!--page-->';

export function publicPageFiles(webDist: string): { bundle: string; templates: Record<PublicPage, string> } {
  return {
    bundle: path.join(webDist, SERVER_DIR, 'pages.mjs'),
    templates: {
      home: path.join(webDist, SERVER_DIR, 'home.html'),
      pricing: path.join(webDist, SERVER_DIR, 'pricing.html'),
    },
  };
}
