// The client's address. X-Forwarded-For is believed only when the direct peer is a configured
// proxy, and then we take the rightmost address the proxy itself appended — so a client cannot
// pick its own address (and so reset a rate limit) by sending the header. X-Forwarded-Proto is
// never read: the scheme of every link and the Secure cookie come from PUBLIC_URL and NODE_ENV.
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

export function clientIp(c: Context, trustedProxies: string[]): string {
  let peer = '';
  try {
    peer = normalise(getConnInfo(c).remote.address ?? '');
  } catch {
    // app.request() in tests has no socket.
    peer = '127.0.0.1';
  }
  if (!trustedProxies.includes(peer)) return peer || 'unknown';
  const chain = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => normalise(s.trim()))
    .filter(Boolean);
  for (let i = chain.length - 1; i >= 0; i--) {
    const hop = chain[i] as string;
    if (!trustedProxies.includes(hop)) return hop;
  }
  return peer;
}

function normalise(addr: string): string {
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
