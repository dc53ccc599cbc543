// Input parts that several routers share, so one kind of value is checked by one rule everywhere:
// the tRPC routers and the REST API (src/api/rest.ts) build their strict inputs from these. Messages
// that start with a verb are read after the field's name ("actionId must be …").
import { z } from 'zod';

/** For procedures that take no input: accepts an empty object or nothing at all. */
export const noInput = z.object({}).strict().nullish();

/** A client-made id for one confirmed action: a double click sends the same id. */
export const actionId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8–64 letters, digits, - or _');

const SLUG = /^[a-z0-9-]{1,100}$/;

/** Any existing library item's slug (the seed's included); `message` is what a reader is shown. */
export const itemSlug = (message = 'is not a library item') => z.string().regex(SLUG, message);

/** Free-text search in a list. */
export const search = z.string().trim().max(200, 'must be at most 200 characters');

/** One library tag to filter by. */
export const tag = z.string().max(60, 'must be at most 60 characters');

/** Paging through an admin list. */
export const page = z.number().int().min(1).max(100_000).default(1);
export const pageSize = z.number().int().min(1).max(100).default(25);
