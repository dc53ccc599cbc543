// Billing procedures: thin wrappers over the domain functions in this folder.
import { z } from 'zod';
import { actionId, noInput } from '../trpc/inputs';
import { protectedProcedure, publicProcedure, router } from '../trpc/trpc';
import { changePlan, cancelAtPeriodEnd, previewChange, resume, undoScheduledChange } from './changes';
import { completeCheckout, startCheckout } from './checkout';
import { billingSummary, listInvoices, nextCharge, portalUrl, publicPlans } from './dashboard';

const planId = z.enum(['pro', 'business']);
const interval = z.enum(['month', 'year']);
const feedback = z.enum([
  'customer_service',
  'low_quality',
  'missing_features',
  'other',
  'switched_service',
  'too_complex',
  'too_expensive',
  'unused',
]);

export const billingRouter = router({
  plans: publicProcedure.input(noInput).query(async ({ ctx }) => ({ plans: await publicPlans(ctx.deps) })),

  summary: protectedProcedure.input(noInput).query(({ ctx }) => billingSummary(ctx.deps, ctx.user.id)),

  nextCharge: protectedProcedure.input(noInput).query(({ ctx }) => nextCharge(ctx.deps, ctx.user.id)),

  invoices: protectedProcedure.input(noInput).query(async ({ ctx }) => ({ invoices: await listInvoices(ctx.deps, ctx.user.id) })),

  startCheckout: protectedProcedure
    .input(z.object({ planId, interval, actionId }).strict())
    .mutation(({ ctx, input }) => startCheckout({ deps: ctx.deps, user: ctx.user, ...input })),

  completeCheckout: protectedProcedure
    .input(z.object({ sessionId: z.string().regex(/^cs_[A-Za-z0-9_]{1,200}$/, 'is not a checkout session id') }).strict())
    .mutation(({ ctx, input }) => completeCheckout({ deps: ctx.deps, userId: ctx.user.id, sessionId: input.sessionId })),

  previewChange: protectedProcedure
    .input(z.object({ planId, interval }).strict())
    .query(({ ctx, input }) => previewChange({ deps: ctx.deps, userId: ctx.user.id, ...input })),

  changePlan: protectedProcedure
    .input(z.object({ planId, interval, prorationDate: z.number().int().positive(), actionId }).strict())
    .mutation(async ({ ctx, input }) => {
      await changePlan({ deps: ctx.deps, userId: ctx.user.id, ...input });
      return billingSummary(ctx.deps, ctx.user.id);
    }),

  undoScheduledChange: protectedProcedure.input(z.object({ actionId }).strict()).mutation(async ({ ctx, input }) => {
    await undoScheduledChange({ deps: ctx.deps, userId: ctx.user.id, actionId: input.actionId });
    return billingSummary(ctx.deps, ctx.user.id);
  }),

  cancel: protectedProcedure
    .input(z.object({ reason: feedback.nullable(), comment: z.string().trim().max(500).default(''), actionId }).strict())
    .mutation(async ({ ctx, input }) => {
      await cancelAtPeriodEnd({ deps: ctx.deps, userId: ctx.user.id, ...input });
      return billingSummary(ctx.deps, ctx.user.id);
    }),

  resume: protectedProcedure.input(z.object({ actionId }).strict()).mutation(async ({ ctx, input }) => {
    await resume({ deps: ctx.deps, userId: ctx.user.id, actionId: input.actionId });
    return billingSummary(ctx.deps, ctx.user.id);
  }),

  portal: protectedProcedure.input(noInput).mutation(async ({ ctx }) => ({ url: await portalUrl(ctx.deps, ctx.user.id) })),
});
