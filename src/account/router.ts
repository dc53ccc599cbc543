// Account settings procedures: thin wrappers over the domain functions in this folder. Every input
// is a strict object; every output an explicit shape.
import { z } from 'zod';
import { codeInput, emailInput, nameInput, newPasswordInput, passwordInput, providerInput } from '../auth/schemas';
import { noInput } from '../trpc/inputs';
import { protectedProcedure, router } from '../trpc/trpc';
import { listConnectedAccounts, unlinkProvider } from './connected-accounts';
import { deleteAccount } from './delete-account';
import { confirmEmailChange, requestEmailChange } from './email-change';
import { changePassword } from './password-change';
import { updateProfile } from './profile';
import { listSessions, revokeSession } from './sessions';

export const accountRouter = router({
  updateProfile: protectedProcedure
    .input(z.object({ name: nameInput.min(1, 'Enter a name.') }).strict())
    .mutation(async ({ ctx, input }) => ({
      user: await updateProfile({ deps: ctx.deps, userId: ctx.user.id, name: input.name }),
    })),

  // currentPassword is optional only for accounts without a password (OAuth), which need a
  // session started in the last 10 minutes instead; accounts with one must send it.
  requestEmailChange: protectedProcedure
    .input(z.object({ newEmail: emailInput, currentPassword: passwordInput.optional() }).strict())
    .mutation(async ({ ctx, input }) => {
      await requestEmailChange({
        deps: ctx.deps,
        userId: ctx.user.id,
        sessionPublicId: ctx.session.publicId,
        newEmail: input.newEmail,
        currentPassword: input.currentPassword,
      });
      return { ok: true as const };
    }),

  confirmEmailChange: protectedProcedure.input(z.object({ code: codeInput }).strict()).mutation(async ({ ctx, input }) => {
    await confirmEmailChange({ deps: ctx.deps, userId: ctx.user.id, code: input.code });
    return { ok: true as const };
  }),

  changePassword: protectedProcedure
    .input(z.object({ currentPassword: passwordInput.optional(), newPassword: newPasswordInput }).strict())
    .mutation(async ({ ctx, input }) => {
      const { revokedSessions, revokedKeys } = await changePassword({
        deps: ctx.deps,
        userId: ctx.user.id,
        sessionPublicId: ctx.session.publicId,
        currentPassword: input.currentPassword,
        newPassword: input.newPassword,
      });
      return { ok: true as const, revokedSessions, revokedKeys };
    }),

  sessions: protectedProcedure.input(noInput).query(async ({ ctx }) => ({
    sessions: await listSessions({ deps: ctx.deps, userId: ctx.user.id, currentPublicId: ctx.session.publicId }),
  })),

  revokeSession: protectedProcedure
    .input(z.object({ id: z.string().min(1).max(64) }).strict())
    .mutation(async ({ ctx, input }) => {
      const { wasCurrent } = await revokeSession({
        deps: ctx.deps,
        userId: ctx.user.id,
        publicId: input.id,
        currentPublicId: ctx.session.publicId,
      });
      if (wasCurrent) ctx.req.resHeaders.append('Set-Cookie', ctx.deps.sessions.blankCookie());
      return { ok: true as const };
    }),

  connectedAccounts: protectedProcedure
    .input(noInput)
    .query(({ ctx }) => listConnectedAccounts({ deps: ctx.deps, userId: ctx.user.id })),

  unlinkProvider: protectedProcedure.input(z.object({ provider: providerInput }).strict()).mutation(async ({ ctx, input }) => {
    await unlinkProvider({ deps: ctx.deps, userId: ctx.user.id, provider: input.provider });
    return { ok: true as const };
  }),

  deleteAccount: protectedProcedure
    .input(z.object({ password: passwordInput.optional(), confirm: z.literal('DELETE', 'Type DELETE to confirm.') }).strict())
    .mutation(async ({ ctx, input }) => {
      await deleteAccount({
        deps: ctx.deps,
        userId: ctx.user.id,
        sessionPublicId: ctx.session.publicId,
        password: input.password,
      });
      ctx.req.resHeaders.append('Set-Cookie', ctx.deps.sessions.blankCookie());
      return { ok: true as const };
    }),
});
