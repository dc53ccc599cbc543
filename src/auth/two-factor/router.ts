// Two-factor procedures of the signed-in user (Settings → Security). Thin: validate, call the
// enrolment functions, return explicit shapes. The secret leaves the server only from `start`.
import { z } from 'zod';
import { noInput } from '../../trpc/inputs';
import { protectedProcedure, router } from '../../trpc/trpc';
import { passwordInput, recoveryCodeInput, totpCodeInput } from '../schemas';
import { confirmEnrolment, disableTwoFactor, regenerateRecoveryCodes, startEnrolment, twoFactorStatus } from './enrolment';
import { clearRememberCookie, forgetDevices } from './second-factor';

export const twoFactorRouter = router({
  status: protectedProcedure.input(noInput).query(({ ctx }) => twoFactorStatus(ctx.deps, ctx.user.id)),

  // The password is optional only for accounts without one (OAuth), which need a fresh session;
  // the same holds for confirm and disable.
  start: protectedProcedure
    .input(z.object({ password: passwordInput.optional() }).strict().nullish())
    .mutation(({ ctx, input }) =>
      startEnrolment({ deps: ctx.deps, userId: ctx.user.id, sessionPublicId: ctx.session.publicId, password: input?.password }),
    ),

  confirm: protectedProcedure
    .input(z.object({ code: totpCodeInput, password: passwordInput.optional() }).strict())
    .mutation(({ ctx, input }) =>
      confirmEnrolment({
        deps: ctx.deps,
        userId: ctx.user.id,
        sessionPublicId: ctx.session.publicId,
        password: input.password,
        code: input.code,
      }),
    ),

  disable: protectedProcedure
    .input(
      z
        .object({
          password: passwordInput.optional(),
          code: totpCodeInput.optional(),
          recoveryCode: recoveryCodeInput.optional(),
        })
        .strict(),
    )
    .mutation(async ({ ctx, input }) => {
      await disableTwoFactor({
        deps: ctx.deps,
        userId: ctx.user.id,
        sessionPublicId: ctx.session.publicId,
        password: input.password,
        factor: { code: input.code, recoveryCode: input.recoveryCode },
      });
      clearRememberCookie(ctx.deps, ctx.req.resHeaders);
      return { ok: true as const };
    }),

  regenerateRecoveryCodes: protectedProcedure
    .input(z.object({ code: totpCodeInput }).strict())
    .mutation(({ ctx, input }) => regenerateRecoveryCodes({ deps: ctx.deps, userId: ctx.user.id, code: input.code })),

  forgetDevices: protectedProcedure.input(noInput).mutation(async ({ ctx }) => {
    const forgotten = await forgetDevices(ctx.deps, ctx.user.id);
    clearRememberCookie(ctx.deps, ctx.req.resHeaders);
    return { ok: true as const, forgotten };
  }),
});
