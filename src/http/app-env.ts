// The Hono environment every route shares: app.ts's first middleware sets the request's logger,
// the client's IP and the request id, and route files read them from the context.
import type { Logger } from '../log';

export type AppEnv = { Variables: { log: Logger; ip: string; requestId: string } };
