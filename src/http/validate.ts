// Route inputs outside tRPC checked by zod through Hono's validator: a path's params, a query string
// or a JSON body either match their schema (the handler reads `c.req.valid(target)`) or the request
// is answered 400 naming the field (src/http/errors.ts), before the handler runs.
import { validator } from 'hono/validator';
import type { z } from 'zod';
import { invalidInput } from './errors';

export const valid = <T extends 'param' | 'query' | 'json', S extends z.ZodType>(target: T, schema: S) =>
  validator(target, (value, c) => {
    const parsed = schema.safeParse(value);
    return parsed.success ? (parsed.data as z.output<S>) : invalidInput(c, parsed.error);
  });
