// usage.* — the usage dashboard.
import { router, protectedProcedure } from '../trpc/trpc';
import { usageSummary } from './summary';

export const usageRouter = router({
  summary: protectedProcedure.query(({ ctx }) => usageSummary(ctx.deps, ctx.user.id, { fresh: true })),
});
