// A small method + path router: `/v1/customers/:id` patterns compiled to regular expressions.
import type { Emulator } from './emulator.js';

export interface Ctx {
  emu: Emulator;
  method: string;
  path: string;
  /** Parameters as parsed from the form body or query string (strings, nested by brackets). */
  raw: Record<string, unknown>;
  /** Path parameters (`:id`). */
  params: Record<string, string>;
}

export type Handler = (ctx: Ctx) => unknown;

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  keys: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const source = pattern.replace(/:([a-z_]+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.routes.push({ method, pattern, regex: new RegExp(`^${source}$`), keys, handler });
    return this;
  }
  get(pattern: string, handler: Handler): this {
    return this.on('GET', pattern, handler);
  }
  post(pattern: string, handler: Handler): this {
    return this.on('POST', pattern, handler);
  }
  delete(pattern: string, handler: Handler): this {
    return this.on('DELETE', pattern, handler);
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string>; pattern: string } | null {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1]!);
      });
      return { handler: route.handler, params, pattern: route.pattern };
    }
    return null;
  }
}
