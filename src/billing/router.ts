// Billing procedures: thin wrappers over the domain functions in this folder.
import { z } from 'zod';
import { actionId, noInput } from '../trpc/inputs';
import { protectedProcedure, publicProcedure, router } from '../trpc/trpc';
import { changePlan, cancelAtPeriodEnd, previewChange, resume, undoScheduledChange } from './changes';
import { completeCheckout, startCheckout } from './checkout';
import { billingDetails, TAX_ID_TYPES, type TaxIdType, updateBillingDetails } from './details';
import { billingSummary, listInvoices, nextCharge, portalUrl, publicPlans } from './dashboard';

const planId = z.enum(['pro', 'business']);
const interval = z.enum(['month', 'year']);
/** What a person types as a promotion code ("SPRING-20"); Stripe matches it without regard to case. */
const promotionCode = z
  .string()
  .trim()
  .max(100, 'must be at most 100 characters')
  .regex(/^[A-Za-z0-9_-]*$/, 'may only contain letters, digits, - and _');

const text = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`);

/** The billing details form, flat so each message lands next to its field. */
const detailsInput = z
  .object({
    name: text(200).min(1, 'Enter the name to print on invoices.'),
    line1: text(200),
    line2: text(200),
    city: text(100),
    state: text(100),
    postalCode: text(20),
    country: z.union([z.literal(''), z.string().regex(/^[A-Z]{2}$/, 'Choose a country.')]),
    taxIdType: z.union([z.literal(''), z.enum(Object.keys(TAX_ID_TYPES) as [TaxIdType, ...TaxIdType[]])]),
    taxIdValue: text(40),
    actionId,
  })
  .strict()
  .superRefine((v, ctx) => {
    // An address is all or nothing: a street, a city and a country at least.
    const anyAddress = Boolean(v.line1 || v.line2 || v.city || v.state || v.postalCode || v.country);
    if (anyAddress) {
      if (!v.line1) ctx.addIssue({ code: 'custom', path: ['line1'], message: 'Enter the street address.' });
      if (!v.city) ctx.addIssue({ code: 'custom', path: ['city'], message: 'Enter the city.' });
      if (!v.country) ctx.addIssue({ code: 'custom', path: ['country'], message: 'Choose a country.' });
    }
    if (v.taxIdValue && !v.taxIdType)
      ctx.addIssue({ code: 'custom', path: ['taxIdType'], message: 'Choose the kind of tax ID.' });
    if (v.taxIdType && !v.taxIdValue) ctx.addIssue({ code: 'custom', path: ['taxIdValue'], message: 'Enter the tax ID.' });
  });

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
    .input(z.object({ planId, interval, promotionCode: promotionCode.optional() }).strict())
    .query(({ ctx, input }) => previewChange({ deps: ctx.deps, userId: ctx.user.id, ...input })),

  changePlan: protectedProcedure
    .input(
      z
        .object({
          planId,
          interval,
          prorationDate: z.number().int().positive(),
          promotionCode: promotionCode.optional(),
          actionId,
        })
        .strict(),
    )
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

  details: protectedProcedure.input(noInput).query(async ({ ctx }) => ({
    details: await billingDetails({ deps: ctx.deps, userId: ctx.user.id }),
    taxIdTypes: Object.entries(TAX_ID_TYPES).map(([type, t]) => ({ type, label: t.label, example: t.example })),
  })),

  updateDetails: protectedProcedure.input(detailsInput).mutation(async ({ ctx, input }) => {
    const hasAddress = Boolean(input.line1 || input.city || input.country);
    const details = await updateBillingDetails({
      deps: ctx.deps,
      userId: ctx.user.id,
      name: input.name,
      address: hasAddress
        ? {
            line1: input.line1,
            line2: input.line2,
            city: input.city,
            state: input.state,
            postalCode: input.postalCode,
            country: input.country,
          }
        : null,
      taxId: input.taxIdType ? { type: input.taxIdType, value: input.taxIdValue } : null,
      actionId: input.actionId,
    });
    return { details };
  }),

  portal: protectedProcedure.input(noInput).mutation(async ({ ctx }) => ({ url: await portalUrl(ctx.deps, ctx.user.id) })),
});
