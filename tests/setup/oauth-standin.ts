// A loopback stand-in for GitHub's and Google's OAuth endpoints, so tests drive the real callback
// path without the internet. It behaves like the providers where it matters for security: codes are
// single-use and bound to the client and redirect URI, client credentials are checked, and Google's
// token endpoint verifies the PKCE code_verifier against the code_challenge (S256).
//   GitHub base: <url>/github  → /login/oauth/authorize, /login/oauth/access_token, /user, /user/emails
//   Google base: <url>/google  → /o/oauth2/v2/auth, /token, /v1/userinfo
// The authorize endpoints approve at once and redirect back with code + state, like a person who
// is already signed in at the provider and clicks "Authorize".
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubPerson {
  id: number;
  login: string;
  name: string | null;
  /** The public email on /user (may be null or unverified). */
  publicEmail?: string | null;
  /** What /user/emails returns. */
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface GooglePerson {
  sub: string;
  email: string | null;
  email_verified: boolean;
  name: string;
}

interface Grant {
  provider: 'github' | 'google';
  clientId: string;
  redirectUri: string;
  codeChallenge: string | null;
  person: GitHubPerson | GooglePerson;
  used: boolean;
}

export interface OAuthStandin {
  url: string;
  githubBase: string;
  googleBase: string;
  /** Env overrides that configure both providers against this stand-in. */
  env: Record<string, string>;
  /** Who "logs in" at GitHub / Google on the next authorizations. */
  github: { person: GitHubPerson };
  google: { person: GooglePerson };
  /** Token requests seen, newest last (for assertions about what the app sent). */
  tokenRequests: { provider: string; params: Record<string, string>; status: number }[];
  close(): Promise<void>;
}

export const STANDIN_CLIENTS = {
  github: { id: 'gh-client-id', secret: 'gh-client-secret' },
  google: { id: 'google-client-id.apps.example', secret: 'google-client-secret' },
};

export async function startOAuthStandin(): Promise<OAuthStandin> {
  const grants = new Map<string, Grant>();
  const tokens = new Map<string, GitHubPerson | GooglePerson>();
  const standin = {
    github: {
      person: {
        id: 1001,
        login: 'octo',
        name: 'Octo Cat',
        emails: [{ email: 'octo@example.com', primary: true, verified: true }],
      },
    },
    google: { person: { sub: 'g-1001', email: 'goo@example.com', email_verified: true, name: 'Goo Gle' } },
    tokenRequests: [],
  } as Pick<OAuthStandin, 'github' | 'google' | 'tokenRequests'>;

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const bearer = () => tokens.get((req.headers.authorization ?? '').replace(/^Bearer /i, ''));
    try {
      // --- authorize (both providers) ---
      const authorizeFor = { '/github/login/oauth/authorize': 'github', '/google/o/oauth2/v2/auth': 'google' } as const;
      const authProvider = authorizeFor[url.pathname as keyof typeof authorizeFor];
      if (req.method === 'GET' && authProvider) {
        const q = url.searchParams;
        const expected = STANDIN_CLIENTS[authProvider];
        if (q.get('client_id') !== expected.id || !q.get('redirect_uri') || !q.get('state')) {
          return send(400, { error: 'invalid_request' });
        }
        let codeChallenge: string | null = null;
        if (authProvider === 'google') {
          if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
            return send(400, { error: 'invalid_request', error_description: 'PKCE required' });
          }
          codeChallenge = q.get('code_challenge');
        }
        const code = randomBytes(16).toString('hex');
        grants.set(code, {
          provider: authProvider,
          clientId: expected.id,
          redirectUri: q.get('redirect_uri') as string,
          codeChallenge,
          person: structuredClone(standin[authProvider].person),
          used: false,
        });
        const back = new URL(q.get('redirect_uri') as string);
        back.searchParams.set('code', code);
        back.searchParams.set('state', q.get('state') as string);
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }

      // --- token endpoints ---
      const tokenFor = { '/github/login/oauth/access_token': 'github', '/google/token': 'google' } as const;
      const tokenProvider = tokenFor[url.pathname as keyof typeof tokenFor];
      if (req.method === 'POST' && tokenProvider) {
        const params = Object.fromEntries(new URLSearchParams(await readBody(req)));
        const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /i, ''), 'base64')
          .toString()
          .split(':');
        const grant = grants.get(params.code ?? '');
        const fail = (error: string) => {
          standin.tokenRequests.push({ provider: tokenProvider, params, status: tokenProvider === 'github' ? 200 : 400 });
          // GitHub answers errors with 200 and an `error` field; Google with 400.
          return send(tokenProvider === 'github' ? 200 : 400, { error });
        };
        const client = STANDIN_CLIENTS[tokenProvider];
        if (id !== client.id || secret !== client.secret) return fail('invalid_client');
        if (!grant || grant.used || grant.provider !== tokenProvider) {
          return fail(tokenProvider === 'github' ? 'bad_verification_code' : 'invalid_grant');
        }
        grant.used = true;
        if (params.redirect_uri !== grant.redirectUri) return fail('redirect_uri_mismatch');
        if (grant.codeChallenge !== null) {
          const verifier = params.code_verifier ?? '';
          const challenge = createHash('sha256').update(verifier).digest('base64url');
          if (!verifier || challenge !== grant.codeChallenge) return fail('invalid_grant');
        }
        const accessToken = randomBytes(20).toString('hex');
        tokens.set(accessToken, grant.person);
        standin.tokenRequests.push({ provider: tokenProvider, params, status: 200 });
        if (tokenProvider === 'github') {
          return send(200, { access_token: accessToken, token_type: 'bearer', scope: 'read:user,user:email' });
        }
        const p = grant.person as GooglePerson;
        const idToken = fakeJwt({
          iss: 'https://accounts.google.com',
          aud: client.id,
          sub: p.sub,
          email: p.email,
          email_verified: p.email_verified,
        });
        return send(200, {
          access_token: accessToken,
          token_type: 'Bearer',
          expires_in: 3599,
          scope: 'openid email profile',
          id_token: idToken,
        });
      }

      // --- profile endpoints ---
      if (req.method === 'GET' && url.pathname === '/github/user') {
        const p = bearer() as GitHubPerson | undefined;
        if (!p || !('login' in p)) return send(401, { message: 'Bad credentials' });
        return send(200, { id: p.id, login: p.login, name: p.name, email: p.publicEmail ?? null });
      }
      if (req.method === 'GET' && url.pathname === '/github/user/emails') {
        const p = bearer() as GitHubPerson | undefined;
        if (!p || !('login' in p)) return send(401, { message: 'Bad credentials' });
        return send(
          200,
          p.emails.map((e) => ({ ...e, visibility: e.primary ? 'private' : null })),
        );
      }
      if (req.method === 'GET' && url.pathname === '/google/v1/userinfo') {
        const p = bearer() as GooglePerson | undefined;
        if (!p || !('sub' in p)) return send(401, { error: 'invalid_token' });
        return send(200, { sub: p.sub, name: p.name, ...(p.email ? { email: p.email, email_verified: p.email_verified } : {}) });
      }
      send(404, { error: 'not_found' });
    } catch (err) {
      send(500, { error: String(err) });
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(standin, {
    url,
    githubBase: `${url}/github`,
    googleBase: `${url}/google`,
    env: {
      GITHUB_CLIENT_ID: STANDIN_CLIENTS.github.id,
      GITHUB_CLIENT_SECRET: STANDIN_CLIENTS.github.secret,
      GOOGLE_CLIENT_ID: STANDIN_CLIENTS.google.id,
      GOOGLE_CLIENT_SECRET: STANDIN_CLIENTS.google.secret,
      OAUTH_GITHUB_BASE: `${url}/github`,
      OAUTH_GOOGLE_BASE: `${url}/google`,
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      data += chunk;
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** An unsigned JWT-shaped id token (the app reads the userinfo endpoint, not this). */
function fakeJwt(claims: Record<string, unknown>): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iat: now, exp: now + 3600, ...claims })}.`;
}
