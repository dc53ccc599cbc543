// OAuth login routes, mounted at /auth/oauth:
//   GET /:provider?next=/path[&link=1]  → state (+ PKCE verifier) cookies, redirect to the provider
//   GET /:provider/callback             → check state, exchange the code, log in or link, redirect
// A provider exists only when its client id and secret are configured; otherwise 404.
import { Hono, type Context } from 'hono';
import type { ServerDeps } from '../../deps';
import type { AppEnv } from '../../http/app-env';
import { readCookie } from '../../http/cookies';
import { jsonError } from '../../http/errors';
import { safeEqual } from '../../lib/ids';
import { loginUser } from '../login';
import { pendingSecondFactor, readRememberedDevice, sessionPassedSecondFactor } from '../two-factor/second-factor';
import { linkToUser, resolveOAuthLogin, type OAuthOutcome } from './accounts';
import {
  OAuthRejectedError,
  configuredProviders,
  generateCodeVerifier,
  generateState,
  isOAuthProvider,
  type ProviderClient,
} from './providers';
import { safeNext } from './safe-next';

/** Long enough to log in at the provider, short enough that a stolen state is soon useless. */
export const OAUTH_COOKIE_MAX_AGE = 600;

/** What the start route remembers for the callback, inside the HttpOnly state cookie. */
interface FlowState {
  /** The `state` sent to the provider. */
  s: string;
  /** The provider the flow was started for: a state is valid for that provider's callback only. */
  p: string;
  /** Where to go afterwards (already checked by safeNext). */
  n: string;
  /** Set when a signed-in user asked to link: their id. */
  u?: string;
}

const FAILURE_REDIRECTS: Record<Exclude<OAuthOutcome, { ok: true }>['reason'], string> = {
  email_unverified: '/login?error=oauth_email_unverified',
  no_email: '/login?error=oauth_no_email',
  disabled: '/login?error=account_disabled',
  linked_elsewhere: '/app/settings?error=oauth_linked_elsewhere',
  provider_already_linked: '/app/settings?error=oauth_provider_already_linked',
};

export function oauthRoutes(deps: ServerDeps) {
  const { env, sessions } = deps;
  const providers = configuredProviders(env);
  const production = env.NODE_ENV === 'production';
  // __Host- (Secure, Path=/, no Domain) stops a sibling subdomain from planting a state cookie.
  const prefix = production ? '__Host-' : '';
  const stateCookie = `${prefix}dropin_oauth_state`;
  const verifierCookie = `${prefix}dropin_oauth_verifier`;

  const cookie = (name: string, value: string, maxAge: number) =>
    `${name}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${production ? '; Secure' : ''}`;
  const clearFlowCookies = (c: Context) => {
    c.header('Set-Cookie', cookie(stateCookie, '', 0), { append: true });
    c.header('Set-Cookie', cookie(verifierCookie, '', 0), { append: true });
  };

  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });

  /** The configured provider named in the path, or null (→ 404). */
  const providerOf = (c: Context): ProviderClient | null => {
    const name = c.req.param('provider') ?? '';
    return isOAuthProvider(name) ? (providers.get(name) ?? null) : null;
  };

  app.get('/:provider', async (c) => {
    const provider = providerOf(c);
    if (!provider) return jsonError(c, 404, 'Not found.');

    const flow: FlowState = { s: generateState(), p: provider.name, n: safeNext(c.req.query('next'), env.PUBLIC_URL) };
    if (c.req.query('link') === '1') {
      // Linking changes the signed-in account, so it must start from our own pages: another site
      // must not be able to attach whatever provider account the browser is signed in to.
      if (c.req.header('sec-fetch-site') === 'cross-site') {
        return jsonError(c, 403, 'Connect accounts from your DropIn settings page.');
      }
      const auth = await sessions.validate(sessions.readCookie(c.req.header('cookie')));
      if (auth.user) flow.u = auth.user.id;
    }
    const verifier = provider.usesPkce ? generateCodeVerifier() : null;
    c.header('Set-Cookie', cookie(stateCookie, encodeFlow(flow), OAUTH_COOKIE_MAX_AGE), { append: true });
    if (verifier) c.header('Set-Cookie', cookie(verifierCookie, verifier, OAUTH_COOKIE_MAX_AGE), { append: true });
    return c.redirect(provider.createAuthorizationURL(flow.s, verifier).toString(), 302);
  });

  app.get('/:provider/callback', async (c) => {
    const provider = providerOf(c);
    if (!provider) return jsonError(c, 404, 'Not found.');
    // The code is in this URL: do not leak it to whatever the next page loads.
    c.header('Referrer-Policy', 'no-referrer');

    const flow = decodeFlow(readCookie(c.req.header('cookie'), stateCookie) ?? undefined);
    const verifier = readCookie(c.req.header('cookie'), verifierCookie);
    // Whatever happens next, the state and verifier are single-use.
    clearFlowCookies(c);

    const state = c.req.query('state');
    if (!flow || flow.p !== provider.name || !state || !safeEqual(flow.s, state)) {
      return problem(c, 400, 'This sign-in link has expired or was not started here. Please try again.');
    }
    if (c.req.query('error')) return c.redirect('/login?error=oauth_cancelled', 302);
    const code = c.req.query('code');
    if (!code || code.length > 2048) return problem(c, 400, 'The provider did not send an authorization code.');
    if (provider.usesPkce && !verifier) {
      return problem(c, 400, 'This sign-in link has expired or was not started here. Please try again.');
    }

    let profile: Awaited<ReturnType<ProviderClient['complete']>>;
    try {
      profile = await provider.complete(code, provider.usesPkce ? verifier : null);
    } catch (err) {
      if (err instanceof OAuthRejectedError) {
        c.get('log').info({ provider: provider.name, reason: err.message }, 'oauth code rejected');
        return problem(c, 400, `${provider.label} did not accept this sign-in. Please try again.`);
      }
      c.get('log').warn({ err, provider: provider.name }, 'oauth provider unavailable');
      return problem(c, 502, `We could not reach ${provider.label}. Please try again in a moment.`);
    }

    const presented = sessions.readCookie(c.req.header('cookie'));
    let outcome: OAuthOutcome;
    // Whether the session about to start counts as having passed the second factor.
    let secondFactor = false;
    if (flow.u) {
      // Linking: only to the user who started the flow, and only while they are still signed in.
      const auth = await sessions.validate(presented);
      if (auth.user?.id !== flow.u) return problem(c, 400, 'Your session changed while connecting. Please try again.');
      // The new session replaces this one and keeps what it had passed.
      secondFactor = !!auth.session && sessionPassedSecondFactor(auth.user, auth.session);
      outcome = await linkToUser({ deps, profile, userId: flow.u });
    } else {
      outcome = await resolveOAuthLogin({ deps, profile });
    }
    if (!outcome.ok) return c.redirect(FAILURE_REDIRECTS[outcome.reason], 302);

    // A user with two-factor on (and not linking from a signed-in session) goes to the code step
    // first; the pending token travels in the fragment, which is never sent to a server.
    if (!flow.u) {
      const step = await pendingSecondFactor(
        deps,
        { rememberedDevice: readRememberedDevice(env, c.req.header('cookie')) },
        outcome.userId,
      );
      if (step.kind === 'pending') {
        const next = encodeURIComponent(safeNext(flow.n, env.PUBLIC_URL));
        return c.redirect(`/login?next=${next}#two-factor=${step.pendingToken}`, 302);
      }
      secondFactor = step.kind === 'remembered';
    }

    // loginUser is the one way a session starts: it ends the token presented (fixation) and issues
    // a fresh one.
    const res = new Headers();
    await loginUser(
      { deps, req: { ip: c.get('ip'), userAgent: c.req.header('user-agent') ?? '', sessionToken: presented, resHeaders: res } },
      outcome.userId,
      { secondFactor },
    );
    for (const setCookie of res.getSetCookie()) c.header('Set-Cookie', setCookie, { append: true });
    c.get('log').info(
      { provider: provider.name, userId: outcome.userId, created: outcome.created, linked: outcome.linked },
      'oauth login',
    );
    return c.redirect(safeNext(flow.n, env.PUBLIC_URL), 302);
  });

  return app;
}

/** The providers a page may offer (configured ones only). */
export function enabledOAuthProviders(deps: Pick<ServerDeps, 'env'>): { id: string; label: string }[] {
  return [...configuredProviders(deps.env).values()].map((p) => ({ id: p.name, label: p.label }));
}

function encodeFlow(flow: FlowState): string {
  return Buffer.from(JSON.stringify(flow)).toString('base64url');
}

function decodeFlow(raw: string | undefined): FlowState | null {
  if (!raw || raw.length > 4096) return null;
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null) return null;
    const { s, p, n, u } = v as Record<string, unknown>;
    if (typeof s !== 'string' || s.length < 16 || typeof p !== 'string' || typeof n !== 'string') return null;
    if (u !== undefined && typeof u !== 'string') return null;
    return { s, p, n, ...(u ? { u } : {}) };
  } catch {
    return null;
  }
}

function problem(c: Context, status: 400 | 502, message: string) {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed · DropIn</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">
<h1>Sign-in failed</h1><p>${escapeHtml(message)}</p><p><a href="/login">Back to log in</a></p></body></html>`;
  return c.html(html, status);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
