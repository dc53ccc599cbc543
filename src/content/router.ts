// content.* — the library for the web app. Thin: validate, call library.ts, return its shapes.
import { z } from 'zod';
import { router, publicProcedure, protectedProcedure } from '../trpc/trpc';
import { itemTool, readItem, searchLibrary, startDownload } from './library';

const slug = z.string().regex(/^[a-z0-9-]{1,100}$/, 'Not a valid item.');

export const contentRouter = router({
  list: publicProcedure
    .input(
      z
        .object({
          q: z.string().max(200).optional(),
          tag: z.string().max(60).optional(),
          kind: z.enum(['article', 'file', 'tool']).optional(),
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
          actionId: z
            .string()
            .regex(/^[A-Za-z0-9_-]{8,64}$/)
            .optional(),
        })
        .strict(),
    )
    .mutation(({ ctx, input }) => startDownload(ctx.deps, { userId: ctx.user.id, slug: input.slug, actionId: input.actionId })),
});
