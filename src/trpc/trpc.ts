// The only tRPC builders. Every procedure visibly picks its guard: public, protected or admin.
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { AppError } from '../lib/errors';
import type { Context } from './context';
import { ADMIN_TWO_FACTOR_MESSAGE, adminNeedsTwoFactor } from '../auth/two-factor/second-factor';

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        // Field errors let forms show each message next to its field.
        fieldErrors:
          cause instanceof ZodError
            ? (Object.fromEntries(cause.issues.map((i) => [i.path.join('.') || 'input', i.message])) as Record<string, string>)
            : cause instanceof AppError && cause.details.field
              ? { [cause.details.field]: error.message }
              : null,
        retryAfterSeconds: cause instanceof AppError ? (cause.details.retryAfterSeconds ?? null) : null,
      },
    };
  },
});

function toTRPCError(err: AppError): TRPCError {
  const code =
    err.code === 'PAYMENT_REQUIRED' ? 'PAYMENT_REQUIRED' : err.code === 'UNAVAILABLE' ? 'SERVICE_UNAVAILABLE' : err.code;
  return new TRPCError({ code, message: err.message, cause: err });
}

/** Maps AppError to its tRPC code; unknown errors pass through and are logged by the handler. */
const errorMapping = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) {
    const mapped = toTRPCError(result.error.cause);
    (result as { error: TRPCError }).error = mapped;
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure.use(errorMapping);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user || !ctx.session) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Please log in.' });
  }
  return next({ ctx: { ...ctx, user: ctx.user, session: ctx.session } });
});

export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Admins only.' });
  }
  // ADMIN_REQUIRE_2FA: enforced here, not only by the web app's redirect to enrolment.
  if (adminNeedsTwoFactor(ctx.deps.env, ctx.user)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: ADMIN_TWO_FACTOR_MESSAGE });
  }
  return next({ ctx });
});
