// GitHub and Google as OAuth clients: authorization URLs, code exchange and the profile we need.
// The only module that imports `arctic` (feature-frozen upstream; docs/decisions/002). Arctic's
// `GitHub` and `Google` classes hard-code their endpoints, so both providers use its generic
// `OAuth2Client` with explicit endpoint URLs; tests point those at a loopback stand-in.
import { CodeChallengeMethod, OAuth2Client, OAuth2RequestError, generateCodeVerifier, generateState } from 'arctic';
import type { Env } from '../../env';
import type { OAuthProvider } from '../../db/collections';

export type { OAuthProvider };

/** What we learn about the person from the provider. */
export interface OAuthProfile {
  provider: OAuthProvider;
  providerUserId: string;
  /** Lower-cased; null when the provider gave no address at all. */
  email: string | null;
  /** True only when the provider itself says it verified `email`. */
  emailVerified: boolean;
  name: string;
  username: string | null;
}

/** The provider refused the code (bad, reused or expired code; wrong PKCE verifier). */
export class OAuthRejectedError extends Error {
  override name = 'OAuthRejectedError';
}

/** The provider could not be reached or answered something we do not understand. */
export class OAuthUpstreamError extends Error {
  override name = 'OAuthUpstreamError';
}

export interface ProviderClient {
  name: OAuthProvider;
  label: string;
  usesPkce: boolean;
  createAuthorizationURL(state: string, codeVerifier: string | null): URL;
  /** Exchanges the code and fetches the profile. */
  complete(code: string, codeVerifier: string | null): Promise<OAuthProfile>;
}

export const OAUTH_PROVIDERS: readonly OAuthProvider[] = ['github', 'google'];

export function isOAuthProvider(value: string): value is OAuthProvider {
  return (OAUTH_PROVIDERS as readonly string[]).includes(value);
}

export { generateCodeVerifier, generateState };

/** The providers whose client id and secret are configured; the others do not exist for us. */
export function configuredProviders(env: Env): Map<OAuthProvider, ProviderClient> {
  const out = new Map<OAuthProvider, ProviderClient>();
  const callback = (p: OAuthProvider) => `${env.PUBLIC_URL}/auth/oauth/${p}/callback`;
  if (env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET) {
    out.set('github', github(env.GITHUB_CLIENT_ID, env.GITHUB_CLIENT_SECRET, callback('github'), env.OAUTH_GITHUB_BASE));
  }
  if (env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET) {
    out.set('google', google(env.GOOGLE_CLIENT_ID, env.GOOGLE_CLIENT_SECRET, callback('google'), env.OAUTH_GOOGLE_BASE));
  }
  return out;
}

function trimBase(base: string): string {
  return base.replace(/\/+$/, '');
}

function github(clientId: string, secret: string, redirectUri: string, base?: string): ProviderClient {
  const ep = base
    ? {
        authorize: `${trimBase(base)}/login/oauth/authorize`,
        token: `${trimBase(base)}/login/oauth/access_token`,
        api: trimBase(base),
      }
    : {
        authorize: 'https://github.com/login/oauth/authorize',
        token: 'https://github.com/login/oauth/access_token',
        api: 'https://api.github.com',
      };
  const client = new OAuth2Client(clientId, secret, redirectUri);
  return {
    name: 'github',
    label: 'GitHub',
    usesPkce: false,
    createAuthorizationURL: (state) => client.createAuthorizationURL(ep.authorize, state, ['read:user', 'user:email']),
    async complete(code) {
      const accessToken = await exchange(() => client.validateAuthorizationCode(ep.token, code, null));
      const headers = {
        Authorization: `Bearer ${accessToken}`,
        Accept: 'application/vnd.github+json',
        'User-Agent': 'DropIn',
      };
      const user = await getJson(`${ep.api}/user`, headers);
      if (!isRecord(user) || (typeof user.id !== 'number' && typeof user.id !== 'string')) {
        throw new OAuthUpstreamError('GitHub /user answered without an id');
      }
      const login = typeof user.login === 'string' ? user.login : null;
      // /user shows only the public email, verified or not: the verified flag comes from /user/emails.
      let email: string | null = null;
      let verified = false;
      const emails = await getJson(`${ep.api}/user/emails`, headers).catch(() => null);
      if (Array.isArray(emails)) {
        const primary = emails.find((e) => isRecord(e) && e.primary === true && typeof e.email === 'string');
        if (isRecord(primary)) {
          email = String(primary.email);
          verified = primary.verified === true;
        }
      }
      if (!email && typeof user.email === 'string') email = user.email;
      return {
        provider: 'github',
        providerUserId: String(user.id),
        email: normaliseEmail(email),
        emailVerified: verified && normaliseEmail(email) !== null,
        name: (typeof user.name === 'string' && user.name.trim()) || login || '',
        username: login,
      };
    },
  };
}

function google(clientId: string, secret: string, redirectUri: string, base?: string): ProviderClient {
  const ep = base
    ? {
        authorize: `${trimBase(base)}/o/oauth2/v2/auth`,
        token: `${trimBase(base)}/token`,
        userinfo: `${trimBase(base)}/v1/userinfo`,
      }
    : {
        authorize: 'https://accounts.google.com/o/oauth2/v2/auth',
        token: 'https://oauth2.googleapis.com/token',
        userinfo: 'https://openidconnect.googleapis.com/v1/userinfo',
      };
  const client = new OAuth2Client(clientId, secret, redirectUri);
  return {
    name: 'google',
    label: 'Google',
    usesPkce: true,
    createAuthorizationURL(state, codeVerifier) {
      if (!codeVerifier) throw new Error('Google needs a PKCE code verifier');
      const url = client.createAuthorizationURLWithPKCE(ep.authorize, state, CodeChallengeMethod.S256, codeVerifier, [
        'openid',
        'email',
        'profile',
      ]);
      url.searchParams.set('prompt', 'select_account');
      return url;
    },
    async complete(code, codeVerifier) {
      if (!codeVerifier) throw new OAuthRejectedError('missing PKCE code verifier');
      const accessToken = await exchange(() => client.validateAuthorizationCode(ep.token, code, codeVerifier));
      // The userinfo endpoint is read over TLS with the token we just received, so its claims need
      // no signature check (unlike an id token handed to us by the browser).
      const info = await getJson(ep.userinfo, { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' });
      if (!isRecord(info) || typeof info.sub !== 'string' || !info.sub) {
        throw new OAuthUpstreamError('Google userinfo answered without a subject');
      }
      const email = normaliseEmail(typeof info.email === 'string' ? info.email : null);
      return {
        provider: 'google',
        providerUserId: info.sub,
        email,
        // Google sends a boolean; older endpoints sent the string "true".
        emailVerified: email !== null && (info.email_verified === true || info.email_verified === 'true'),
        name: typeof info.name === 'string' ? info.name.trim() : '',
        username: null,
      };
    },
  };
}

async function exchange(run: () => Promise<{ data: object; accessToken(): string }>): Promise<string> {
  let tokens: { data: object; accessToken(): string };
  try {
    tokens = await run();
  } catch (err) {
    if (err instanceof OAuth2RequestError) throw new OAuthRejectedError(`token endpoint refused the code: ${err.code}`);
    throw new OAuthUpstreamError(`token request failed: ${(err as Error).message}`);
  }
  // GitHub reports a bad code with 200 and an `error` field, which arctic's generic client accepts.
  const data = tokens.data as Record<string, unknown>;
  if (typeof data.error === 'string') throw new OAuthRejectedError(`token endpoint refused the code: ${data.error}`);
  try {
    return tokens.accessToken();
  } catch {
    throw new OAuthUpstreamError('token response had no access token');
  }
}

async function getJson(url: string, headers: Record<string, string>): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new OAuthUpstreamError(`GET ${url} failed: ${(err as Error).message}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new OAuthUpstreamError(`GET ${url} answered ${res.status}`);
  }
  try {
    return await res.json();
  } catch {
    throw new OAuthUpstreamError(`GET ${url} answered invalid JSON`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function normaliseEmail(email: string | null): string | null {
  const e = email?.trim().toLowerCase() ?? '';
  return e.length >= 3 && e.length <= 254 && e.includes('@') ? e : null;
}
