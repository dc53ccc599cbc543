// The only tRPC builders. Every procedure visibly picks its guard: public, protected or admin.
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { AppError } from '../lib/errors';
import { firstUncleanText, uncleanTextMessage } from '../lib/text';
import type { Context } from './context';
import { adminTwoFactorGate, adminTwoFactorMessage } from '../auth/two-factor/second-factor';

/**
 * A failed schema as the forms use it: each field's message (shown next to the field), and one
 * sentence per field for `message` ("userId is not a user id."), never the issues' JSON.
 */
function zodSentences(err: ZodError): { message: string; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  const sentences: string[] = [];
  for (const i of err.issues) {
    const path = [...i.path, ...(i.code === 'unrecognized_keys' ? i.keys.slice(0, 1) : [])];
    const field = path.map(String).join('.') || 'input';
    if (fields[field]) continue;
    const text = i.code === 'unrecognized_keys' ? 'is not accepted here' : i.message;
    fields[field] = text;
    // Our own messages follow the field name ("is not a user id"); zod's defaults are sentences.
    const sentence = /^[a-z]/.test(text) ? `${field} ${text}` : `${field}: ${text}`;
    sentences.push(/[.!?]$/.test(sentence) ? sentence : `${sentence}.`);
  }
  return { message: sentences.join(' '), fields };
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const zod = cause instanceof ZodError ? zodSentences(cause) : null;
    return {
      ...shape,
      // A failed schema answers in sentences, never the issues' JSON.
      message: zod ? zod.message : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        // Field errors let forms show each message next to its field.
        fieldErrors: zod
          ? zod.fields
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

/** Refuses NUL and broken Unicode anywhere in the input, naming the field (src/lib/text.ts). */
const cleanText = t.middleware(async ({ getRawInput, next }) => {
  // Input that does not even parse is left to the schema (after the guards), as before.
  const field = firstUncleanText(await getRawInput().catch(() => undefined));
  if (field) throw new AppError('BAD_REQUEST', uncleanTextMessage(field), { field });
  return next();
});

export const publicProcedure = t.procedure.use(errorMapping).use(cleanText);

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
  // ADMIN_REQUIRE_2FA: enforced here, not only by the web app's redirect to enrolment. It asks that
  // this session passed the second factor, not merely that the account has one.
  const gate = adminTwoFactorGate(ctx.deps.env, ctx.user, ctx.session);
  if (gate) throw new TRPCError({ code: 'FORBIDDEN', message: adminTwoFactorMessage(gate) });
  return next({ ctx });
});
