// Auth procedures (placeholder: filled in by the accounts work).
import { publicProcedure, router } from '../trpc/trpc';

export const authRouter = router({
  me: publicProcedure.query(({ ctx }) => ({
    user: ctx.user
      ? {
          id: ctx.user.id,
          email: ctx.user.email,
          name: ctx.user.name,
          role: ctx.user.role,
          emailVerified: ctx.user.emailVerified,
          hasPassword: ctx.user.hasPassword,
        }
      : null,
  })),
});
