// OAuth login routes (placeholder: filled in by the OAuth work).
import { Hono } from 'hono';
import type { AppDeps } from '../../deps';
import type { AppEnv } from '../../app';

export function oauthRoutes(_deps: AppDeps) {
  return new Hono<AppEnv>();
}
