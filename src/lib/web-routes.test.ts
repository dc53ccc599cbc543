import type { RouteObject } from 'react-router';
import { describe, expect, it } from 'vitest';
import { appRoutes } from '../../web/src/App';
import { adminRoutes } from '../../web/src/features/admin/AdminRoutes';
import { childPath, isWebPage, shortUrls, shortUrlTarget, webPages } from './web-routes';

/** Areas that load their own route tree, by the path they are mounted at. */
const areas: Record<string, RouteObject[]> = { [webPages.admin]: adminRoutes };

/** Every page pattern the web's router declares, with the short URLs it redirects and its catch-alls. */
function declared(routes: RouteObject[], parent = '') {
  const out = { pages: [] as string[], redirects: [] as string[], catchAlls: [] as string[] };
  for (const route of routes) {
    const own = route.path ?? '';
    const full = own.startsWith('/') ? own : `${parent.replace(/\/$/, '')}/${own}`.replace(/\/$/, '') || '/';
    const add = (more: ReturnType<typeof declared>) => {
      out.pages.push(...more.pages);
      out.redirects.push(...more.redirects);
      out.catchAlls.push(...more.catchAlls);
    };
    if (route.children) add(declared(route.children, route.path ? full : parent));
    else if (route.index) out.pages.push(parent || '/');
    else if (own === '*') out.catchAlls.push(full);
    else if (own.endsWith('/*')) {
      const base = full.slice(0, -2);
      const area = areas[base];
      if (!area) throw new Error(`${full}: no route tree known for this area`);
      add(declared(area, base));
    } else if (shortUrls[full]) out.redirects.push(full);
    else out.pages.push(full);
  }
  return out;
}

/** A path that a pattern matches: each `:name` filled in. */
const example = (pattern: string) => pattern.replace(/:[^/]+/g, 'some-id');

describe('the web app routes the shared list of pages, no more, no fewer', () => {
  const routed = declared(appRoutes);

  it('declares a route for every page and no page outside the list', () => {
    expect(routed.pages.sort()).toEqual(Object.values(webPages).sort());
  });

  it('redirects every short URL, and has a not-found page inside /app, its admin area and outside', () => {
    expect(routed.redirects.sort()).toEqual(Object.keys(shortUrls).sort());
    expect(routed.catchAlls.sort()).toEqual(['/*', '/app/*', '/app/admin/*']);
  });
});

describe('matching paths as React Router does', () => {
  it('knows every page, its dynamic segments filled, in any case and with a trailing slash', () => {
    for (const pattern of Object.values(webPages)) {
      const path = example(pattern);
      expect(isWebPage(path), path).toBe(true);
      expect(isWebPage(`${path}/`), `${path}/`).toBe(true);
      expect(isWebPage(path.toUpperCase()), path.toUpperCase()).toBe(true);
    }
  });

  it('does not know other paths', () => {
    for (const path of [
      '/nope',
      '/app/nope',
      '/app/library/a/b',
      '/app/billing/success/more',
      '/app/admin/nope',
      '/app/admin/content/a/b',
      '/app//library',
      '/pricing.html',
      '/billing',
    ]) {
      expect(isWebPage(path), path).toBe(false);
    }
  });

  it('sends short URLs to their pages, and nothing else', () => {
    expect(shortUrlTarget('/billing')).toBe('/app/billing');
    expect(shortUrlTarget('/Billing/')).toBe('/app/billing');
    expect(shortUrlTarget('/dashboard')).toBe('/app');
    expect(shortUrlTarget('/billing/success')).toBeNull();
    expect(shortUrlTarget('/app/billing')).toBeNull();
    expect(shortUrlTarget('/')).toBeNull();
  });

  it('gives a child route its path relative to the area, and refuses a page outside it', () => {
    expect(childPath(webPages.admin, webPages.adminSubscriber)).toBe('subscribers/:userId');
    expect(childPath(webPages.admin, webPages.admin)).toBe('');
    expect(() => childPath(webPages.admin, webPages.billing)).toThrow('/app/billing is not under /app/admin');
  });
});
