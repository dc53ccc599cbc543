// apiKeys.* — the settings section where people create, list and revoke their API keys.
import { z } from 'zod';
import { noInput } from '../trpc/inputs';
import { router, protectedProcedure } from '../trpc/trpc';
import { createApiKey, listApiKeys, revokeApiKey } from './keys';

export const apiKeysRouter = router({
  list: protectedProcedure.input(noInput).query(({ ctx }) => listApiKeys(ctx.deps, ctx.user.id)),
  create: protectedProcedure
    .input(z.object({ name: z.string().trim().min(1, 'Give the key a name.').max(60, 'At most 60 characters.') }).strict())
    .mutation(({ ctx, input }) => createApiKey(ctx.deps, { userId: ctx.user.id, name: input.name })),
  revoke: protectedProcedure.input(z.object({ id: z.string().min(1).max(64) }).strict()).mutation(async ({ ctx, input }) => {
    await revokeApiKey(ctx.deps, { userId: ctx.user.id, id: input.id });
    return { ok: true as const };
  }),
});
