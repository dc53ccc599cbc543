// tRPC context, split in two: the inner part (deps + user) can be built without a request by
// tests and the reconciler; the outer part reads the request (cookie, IP, user agent).
import type { ServerDeps } from '../deps';
import type { SessionInfo, SessionUser } from '../auth/sessions';

export interface RequestInfo {
  ip: string;
  userAgent: string;
  /** Session token from the cookie, if any. Never put into a response body or a log line. */
  sessionToken: string | null;
  /** Headers to add to the response (Set-Cookie from login/logout/renewal). */
  resHeaders: Headers;
  /** The remembered-device token (two-factor) from the cookie, if any. */
  rememberedDevice: string | null;
}

export interface InnerContext {
  deps: ServerDeps;
  user: SessionUser | null;
  session: SessionInfo | null;
  req: RequestInfo;
}

export function createInnerContext(opts: {
  deps: ServerDeps;
  user?: SessionUser | null;
  session?: SessionInfo | null;
  req?: Partial<RequestInfo>;
}): InnerContext {
  return {
    deps: opts.deps,
    user: opts.user ?? null,
    session: opts.session ?? null,
    req: {
      ip: opts.req?.ip ?? '127.0.0.1',
      userAgent: opts.req?.userAgent ?? 'test',
      sessionToken: opts.req?.sessionToken ?? null,
      resHeaders: opts.req?.resHeaders ?? new Headers(),
      rememberedDevice: opts.req?.rememberedDevice ?? null,
    },
  };
}

export type Context = InnerContext;
