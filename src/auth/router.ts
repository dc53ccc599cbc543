// Auth procedures: thin wrappers that validate input, call a domain function and return an
// explicit shape. Inputs are strict objects (see ./schemas.ts); nothing here touches the database.
import { z } from 'zod';
import { protectedProcedure, publicProcedure, router } from '../trpc/trpc';
import { loginWithPassword, logout, logoutEverywhere } from './login';
import { requestPasswordReset, resetPassword } from './password-reset';
import { noInput } from '../trpc/inputs';
import {
  codeInput,
  emailInput,
  nameInput,
  newPasswordInput,
  passwordInput,
  recoveryCodeInput,
  tokenInput,
  totpCodeInput,
} from './schemas';
import type { SessionUser } from './sessions';
import { signup } from './signup';
import { completeTwoFactorLogin } from './two-factor/login-step';
import { adminTwoFactorGate } from './two-factor/second-factor';
import { enabledOAuthProviders } from './oauth/routes';
import type { PublicUser } from './users';
import { resendVerification, verifyEmail, verifyEmailByLink } from './verification';

function publicUser(u: SessionUser): PublicUser {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    emailVerified: u.emailVerified,
    hasPassword: u.hasPassword,
    twoFactorEnabled: u.twoFactorEnabled,
  };
}

export const authRouter = router({
  // Queries take no input; a strict empty input still refuses anything sent anyway.
  me: publicProcedure.input(noInput).query(({ ctx }) => ({
    user: ctx.user ? publicUser(ctx.user) : null,
    // Only admins learn the setting: it is what sends them to enrolment before the admin area.
    adminRequiresTwoFactor: ctx.user?.role === 'admin' && ctx.deps.env.ADMIN_REQUIRE_2FA,
    // What the admin area still asks of this session: 'enrol', 'sign-in' (again, with the code), or nothing.
    adminTwoFactor: ctx.user?.role === 'admin' && ctx.session ? adminTwoFactorGate(ctx.deps.env, ctx.user, ctx.session) : null,
  })),

  // Only providers with both a client id and a secret: a half-configured one would lead to a 404.
  providers: publicProcedure.input(noInput).query(({ ctx }) => {
    const enabled = new Set(enabledOAuthProviders(ctx.deps).map((p) => p.id));
    return { github: enabled.has('github'), google: enabled.has('google') };
  }),

  signup: publicProcedure
    .input(z.object({ email: emailInput, password: newPasswordInput, name: nameInput.optional() }).strict())
    .mutation(async ({ ctx, input }) => {
      await signup({ deps: ctx.deps, req: ctx.req, email: input.email, password: input.password, name: input.name ?? '' });
      return { ok: true as const };
    }),

  login: publicProcedure
    .input(z.object({ email: emailInput, password: passwordInput }).strict())
    .mutation(async ({ ctx, input }) => {
      const result = await loginWithPassword({ deps: ctx.deps, req: ctx.req, email: input.email, password: input.password });
      return { ok: true as const, ...result };
    }),

  // The code step after a password (or OAuth) login of a user with two-factor on.
  verifyTwoFactor: publicProcedure
    .input(
      z
        .object({
          pendingToken: tokenInput,
          code: totpCodeInput.optional(),
          recoveryCode: recoveryCodeInput.optional(),
          rememberDevice: z.boolean().default(false),
        })
        .strict(),
    )
    .mutation(async ({ ctx, input }) => {
      const { recoveryCodesLeft } = await completeTwoFactorLogin({
        deps: ctx.deps,
        req: ctx.req,
        pendingToken: input.pendingToken,
        factor: { code: input.code, recoveryCode: input.recoveryCode },
        rememberDevice: input.rememberDevice,
      });
      return { ok: true as const, recoveryCodesLeft };
    }),

  logout: publicProcedure.input(noInput).mutation(async ({ ctx }) => {
    await logout({ deps: ctx.deps, req: ctx.req });
    return { ok: true as const };
  }),

  logoutEverywhere: protectedProcedure.input(noInput).mutation(async ({ ctx }) => {
    const revoked = await logoutEverywhere({ deps: ctx.deps, req: ctx.req, userId: ctx.user.id });
    return { ok: true as const, revoked };
  }),

  verifyEmail: protectedProcedure.input(z.object({ code: codeInput }).strict()).mutation(async ({ ctx, input }) => {
    await verifyEmail({ deps: ctx.deps, userId: ctx.user.id, code: input.code });
    return { ok: true as const };
  }),

  // Public: the emailed link may be opened where nobody is signed in. `signedIn` says whether the
  // verified account is this browser's, so the page knows to open the app or the login page.
  verifyEmailLink: publicProcedure.input(z.object({ token: tokenInput }).strict()).mutation(async ({ ctx, input }) => {
    const { userId } = await verifyEmailByLink({ deps: ctx.deps, ip: ctx.req.ip, token: input.token });
    return { ok: true as const, signedIn: ctx.user?.id === userId };
  }),

  resendVerification: protectedProcedure.input(noInput).mutation(async ({ ctx }) => {
    const { cooldownSeconds } = await resendVerification({ deps: ctx.deps, userId: ctx.user.id });
    return { ok: true as const, cooldownSeconds };
  }),

  requestPasswordReset: publicProcedure.input(z.object({ email: emailInput }).strict()).mutation(async ({ ctx, input }) => {
    await requestPasswordReset({ deps: ctx.deps, ip: ctx.req.ip, email: input.email });
    return { ok: true as const };
  }),

  resetPassword: publicProcedure
    .input(z.object({ token: tokenInput, password: newPasswordInput }).strict())
    .mutation(async ({ ctx, input }) => {
      await resetPassword({ deps: ctx.deps, token: input.token, password: input.password });
      return { ok: true as const };
    }),
});
