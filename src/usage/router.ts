// usage.* — the usage page and the dashboard's usage card.
import { noInput } from '../trpc/inputs';
import { router, protectedProcedure } from '../trpc/trpc';
import { usageDays, usageSummary } from './summary';

export const usageRouter = router({
  summary: protectedProcedure.input(noInput).query(({ ctx }) => usageSummary(ctx.deps, ctx.user.id, { fresh: true })),

  /** Units per day this period, for the dashboard's charts. */
  days: protectedProcedure.input(noInput).query(({ ctx }) => usageDays(ctx.deps, ctx.user.id, { fresh: true })),
});
