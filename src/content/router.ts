// content.* — the library for the web app. Thin: validate, call library.ts, return its shapes.
import { z } from 'zod';
import { actionId, itemSlug, search, tag } from '../trpc/inputs';
import { router, publicProcedure, protectedProcedure } from '../trpc/trpc';
import { itemTool, readItem, searchLibrary, startDownload } from './library';

const slug = itemSlug('Not a valid item.');

export const contentRouter = router({
  list: publicProcedure
    .input(
      z
        .object({
          q: search.optional(),
          tag: tag.optional(),
          kind: z.enum(['article', 'file', 'tool']).optional(),
          sort: z.enum(['plan', 'newest']).optional(),
          limit: z.number().int().min(1).max(50).optional(),
        })
        .strict()
        .optional(),
    )
    .query(({ ctx, input }) => searchLibrary(ctx.deps, { userId: ctx.user?.id ?? null, ...input, fresh: true })),

  get: protectedProcedure
    .input(z.object({ slug }).strict())
    .query(({ ctx, input }) => readItem(ctx.deps, { userId: ctx.user.id, slug: input.slug, fresh: true })),

  /** Runs a tool item; its input is checked by the tool (BAD_REQUEST naming the field). */
  runTool: protectedProcedure
    .input(z.object({ slug, input: z.unknown() }).strict())
    .mutation(({ ctx, input }) =>
      itemTool(ctx.deps, { userId: ctx.user.id, slug: input.slug, fresh: true }).then((run) => run(input.input)),
    ),

  download: protectedProcedure
    .input(
      z
        .object({
          slug,
          actionId: actionId.optional(),
        })
        .strict(),
    )
    .mutation(({ ctx, input }) => startDownload(ctx.deps, { userId: ctx.user.id, slug: input.slug, actionId: input.actionId })),
});
