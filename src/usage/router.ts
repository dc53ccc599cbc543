// usage.* — the usage dashboard.
import { noInput } from '../trpc/inputs';
import { router, protectedProcedure } from '../trpc/trpc';
import { usageSummary } from './summary';

export const usageRouter = router({
  summary: protectedProcedure
    .input(noInput)
    .query(({ ctx }) => usageSummary(ctx.deps, ctx.user.id, { fresh: true, daily: true })),
});
