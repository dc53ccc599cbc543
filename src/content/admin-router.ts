// admin.content.* — library administration for the admin area. Every procedure uses
// adminProcedure; every change carries the item version it started from and the client's action
// id, and is audited in src/admin/content.ts. File uploads are a plain POST route (upload-route.ts).
import { z } from 'zod';
import { actionId, itemSlug, page, pageSize, search } from '../trpc/inputs';
import { adminProcedure, router } from '../trpc/trpc';
import { createContent, getContent, listContent, setMinPlan, setPublished, updateContent } from '../admin/content';

/** Slugs of new items: readable in URLs, no leading, trailing or doubled hyphens. */
const newSlug = z
  .string()
  .trim()
  .min(1, 'Enter a slug.')
  .max(100, 'The slug must be at most 100 characters.')
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'Use lower-case letters, digits and single hyphens, e.g. pricing-guide.');
const slug = itemSlug();
const version = z.number().int().min(0).max(1_000_000_000);
const planId = z.enum(['free', 'pro', 'business'], { error: 'Choose Free, Pro or Business.' });

/** The tRPC body limit is 64 KB: keep a body well inside it whatever its characters. */
const BODY_MAX_BYTES = 48 * 1024;

export const contentFields = {
  kind: z.enum(['article', 'file', 'tool'], { error: 'Choose article, file or tool.' }),
  title: z.string().trim().min(1, 'Enter a title.').max(200, 'The title must be at most 200 characters.'),
  summary: z.string().trim().min(1, 'Enter a summary.').max(500, 'The summary must be at most 500 characters.'),
  tags: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[a-z0-9][a-z0-9 -]{0,39}$/, 'Each tag is 1–40 letters, digits, spaces or hyphens.'),
      { error: 'Tags must be a list of words.' },
    )
    .max(12, 'At most 12 tags.')
    .transform((tags) => [...new Set(tags)]),
  body: z
    .string()
    .max(BODY_MAX_BYTES, 'The body must be at most 48 KB.')
    .refine((b) => Buffer.byteLength(b, 'utf8') <= BODY_MAX_BYTES, 'The body must be at most 48 KB.'),
  bodyFormat: z.enum(['markdown', 'plain'], { error: 'Choose markdown or plain text.' }),
  minPlan: planId,
};

export const contentAdminRouter = router({
  list: adminProcedure
    .input(
      z
        .object({
          search: search.optional(),
          status: z.enum(['published', 'draft']).optional(),
          page,
          pageSize,
        })
        .strict()
        .optional(),
    )
    .query(({ ctx, input }) => listContent(ctx.deps, { page: 1, pageSize: 25, ...input })),

  get: adminProcedure.input(z.object({ slug }).strict()).query(({ ctx, input }) => getContent(ctx.deps, input.slug)),

  create: adminProcedure
    .input(z.object({ slug: newSlug, ...contentFields, published: z.boolean(), actionId }).strict())
    .mutation(({ ctx, input }) => {
      const { slug: s, published, actionId: id, ...fields } = input;
      return createContent({ deps: ctx.deps, actor: actorOf(ctx), actionId: id, slug: s, fields, published });
    }),

  update: adminProcedure.input(z.object({ slug, version, ...contentFields, actionId }).strict()).mutation(({ ctx, input }) => {
    const { slug: s, version: v, actionId: id, ...fields } = input;
    return updateContent({ deps: ctx.deps, actor: actorOf(ctx), actionId: id, slug: s, version: v, fields });
  }),

  setPublished: adminProcedure
    .input(z.object({ slug, version, published: z.boolean(), actionId }).strict())
    .mutation(({ ctx, input }) => setPublished({ deps: ctx.deps, actor: actorOf(ctx), ...input })),

  setPlan: adminProcedure
    .input(z.object({ slug, version, minPlan: planId, actionId }).strict())
    .mutation(({ ctx, input }) => setMinPlan({ deps: ctx.deps, actor: actorOf(ctx), ...input })),
});

const actorOf = (ctx: { user: { id: string; email: string } }) => ({ id: ctx.user.id, email: ctx.user.email });
