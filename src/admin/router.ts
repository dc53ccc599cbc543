// The admin router: every procedure uses adminProcedure (401 anonymous, 403 for a normal user;
// tests/integration/security-router-walk.test.ts walks them all). Procedures validate and call the
// domain functions in this folder; every write is audited there (audit.ts `audited`), and reads of a
// subscriber's personal data here (`auditedRead`).
import { z } from 'zod';
import { actionId, noInput, page, pageSize, search } from '../trpc/inputs';
import { adminProcedure, router } from '../trpc/trpc';
import { PAYMENT_TROUBLE_STATUSES, SUBSCRIPTION_STATUSES } from '../billing/status';
import { auditEntries, auditedRead } from './audit';
import { history, overview } from './analytics';
import {
  applyCoupon,
  cancelNow,
  extendTrial,
  listCoupons,
  REFUND_REASONS,
  refundInvoice,
  resetTwoFactor,
  resyncCustomer,
  revokeSessions,
  setDisabled,
  setRole,
} from './actions';
import { failedPayments, retryPayment } from './payments';
import { getEvent, listEvents, replayEvent } from './events';
import { reconcilerRun, reconcilerRuns, startReconcile } from './reconcile';
import { SORTS, listSubscribers, subscriberDetail, subscribersCsv } from './subscribers';
import { contentAdminRouter } from '../content/admin-router';
import { movementList, movementSummary, movementsCsv, recentRecoveries } from './movements';
import { MOVEMENT_KINDS } from '../billing/figures/model';

const id = (prefix: string, what: string) =>
  z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9_]{1,200}$`), `is not a ${what} id`);
const userId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a user id');
const subscriptionId = id('sub', 'subscription');

const subscriberFilters = {
  search: search.optional(),
  planId: z
    .string()
    .regex(/^[a-z0-9_]{1,40}$/)
    .optional(),
  status: z.enum(SUBSCRIPTION_STATUSES).optional(),
  trialing: z.boolean().optional(),
  cancelling: z.boolean().optional(),
  sort: z.enum(SORTS).default('created'),
  dir: z.enum(['asc', 'desc']).default('desc'),
};

/** A day (YYYY-MM-DD) or a month (YYYY-MM). */
const period = z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, 'must be a day (YYYY-MM-DD) or a month (YYYY-MM)');

const actor = (ctx: { user: { id: string; email: string } }) => ({ id: ctx.user.id, email: ctx.user.email });

export const adminRouter = router({
  overview: adminProcedure
    .input(z.object({ fresh: z.boolean().optional() }).strict().optional())
    .query(({ ctx, input }) => overview(ctx.deps, { fresh: input?.fresh })),

  history: adminProcedure
    .input(
      z
        .object({ days: z.number().int().min(1).max(730).default(90) })
        .strict()
        .optional(),
    )
    .query(async ({ ctx, input }) => ({ points: await history(ctx.deps, { days: input?.days ?? 90 }) })),

  movements: adminProcedure
    .input(
      z.object({ by: z.enum(['day', 'month']).default('day'), count: z.number().int().min(1).max(400).default(30) }).strict(),
    )
    .query(async ({ ctx, input }) => ({ periods: await movementSummary(ctx.deps, input) })),

  movementList: adminProcedure
    .input(z.object({ kind: z.enum(MOVEMENT_KINDS), period, page, pageSize }).strict())
    .query(({ ctx, input }) => movementList(ctx.deps, input)),

  movementsCsv: adminProcedure
    .input(z.object({ kind: z.enum(MOVEMENT_KINDS), period }).strict())
    .query(({ ctx, input }) =>
      auditedRead(
        ctx.deps,
        actor(ctx),
        { action: 'export_movements', targetType: 'subscriber_list', targetId: `${input.kind}:${input.period}`, userId: null },
        () => movementsCsv(ctx.deps, input),
      ),
    ),

  recoveries: adminProcedure
    .input(z.object({ days: z.union([z.literal(30), z.literal(90)]).default(30) }).strict())
    .query(async ({ ctx, input }) => ({ rows: await recentRecoveries(ctx.deps, { days: input.days, limit: 100 }) })),

  subscribers: adminProcedure
    .input(z.object({ ...subscriberFilters, page, pageSize, fresh: z.boolean().optional() }).strict())
    .query(({ ctx, input }) => listSubscribers(ctx.deps, input)),

  subscribersCsv: adminProcedure
    .input(z.object(subscriberFilters).strict())
    .query(({ ctx, input }) =>
      auditedRead(
        ctx.deps,
        actor(ctx),
        { action: 'export_subscribers', targetType: 'subscriber_list', targetId: 'csv', userId: null },
        () => subscribersCsv(ctx.deps, input),
      ),
    ),

  subscriber: adminProcedure
    .input(z.object({ userId }).strict())
    .query(({ ctx, input }) =>
      auditedRead(
        ctx.deps,
        actor(ctx),
        { action: 'view_subscriber', targetType: 'user', targetId: input.userId, userId: input.userId },
        () => subscriberDetail(ctx.deps, input.userId),
      ),
    ),

  coupons: adminProcedure.input(noInput).query(async ({ ctx }) => ({ coupons: await listCoupons(ctx.deps) })),

  audit: adminProcedure
    .input(z.object({ userId: userId.optional() }).strict().optional())
    .query(async ({ ctx, input }) => ({ entries: await auditEntries(ctx.deps, { userId: input?.userId, limit: 200 }) })),

  resync: adminProcedure
    .input(z.object({ userId, actionId }).strict())
    .mutation(({ ctx, input }) => resyncCustomer({ deps: ctx.deps, actor: actor(ctx), ...input })),

  cancelSubscription: adminProcedure
    .input(z.object({ subscriptionId, refund: z.boolean(), actionId }).strict())
    .mutation(async ({ ctx, input }) => {
      await cancelNow({ deps: ctx.deps, actor: actor(ctx), ...input });
      return { ok: true };
    }),

  extendTrial: adminProcedure
    .input(z.object({ subscriptionId, trialEnd: z.iso.datetime(), actionId }).strict())
    .mutation(async ({ ctx, input }) => {
      await extendTrial({ deps: ctx.deps, actor: actor(ctx), ...input, trialEnd: new Date(input.trialEnd) });
      return { ok: true };
    }),

  applyCoupon: adminProcedure
    .input(
      z.object({ subscriptionId, couponId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'is not a coupon id'), actionId }).strict(),
    )
    .mutation(async ({ ctx, input }) => {
      await applyCoupon({ deps: ctx.deps, actor: actor(ctx), ...input });
      return { ok: true };
    }),

  refundInvoice: adminProcedure
    .input(
      z
        .object({
          userId,
          invoiceId: id('in', 'invoice'),
          amount: z
            .number()
            .int('must be a whole number in the smallest currency unit')
            .positive('must be more than zero')
            .max(99_999_999),
          reason: z.enum(REFUND_REASONS),
          note: z.string().trim().max(500, 'must be at most 500 characters').default(''),
          actionId,
        })
        .strict(),
    )
    .mutation(({ ctx, input }) => refundInvoice({ deps: ctx.deps, actor: actor(ctx), ...input })),

  revokeSessions: adminProcedure
    .input(z.object({ userId, actionId }).strict())
    .mutation(({ ctx, input }) => revokeSessions({ deps: ctx.deps, actor: actor(ctx), ...input })),

  setDisabled: adminProcedure
    .input(z.object({ userId, disabled: z.boolean(), actionId }).strict())
    .mutation(async ({ ctx, input }) => {
      await setDisabled({ deps: ctx.deps, actor: actor(ctx), ...input });
      return { ok: true };
    }),

  resetTwoFactor: adminProcedure.input(z.object({ userId, actionId }).strict()).mutation(async ({ ctx, input }) => {
    await resetTwoFactor({ deps: ctx.deps, actor: actor(ctx), ...input });
    return { ok: true };
  }),

  setRole: adminProcedure
    .input(z.object({ userId, role: z.enum(['user', 'admin']), actionId }).strict())
    .mutation(async ({ ctx, input }) => {
      await setRole({ deps: ctx.deps, actor: actor(ctx), ...input });
      return { ok: true };
    }),

  failedPayments: adminProcedure
    .input(
      z.object({ status: z.enum(PAYMENT_TROUBLE_STATUSES).optional(), page, pageSize, fresh: z.boolean().optional() }).strict(),
    )
    .query(({ ctx, input }) => failedPayments(ctx.deps, input)),

  retryPayment: adminProcedure
    .input(z.object({ invoiceId: id('in', 'invoice'), actionId }).strict())
    .mutation(({ ctx, input }) => retryPayment({ deps: ctx.deps, actor: actor(ctx), ...input })),

  events: adminProcedure
    .input(
      z
        .object({
          search: search.optional(),
          type: z
            .string()
            .regex(/^[a-z_.]{1,100}$/)
            .optional(),
          status: z.enum(['pending', 'processing', 'processed', 'parked']).optional(),
          page,
          pageSize,
          fresh: z.boolean().optional(),
        })
        .strict(),
    )
    .query(({ ctx, input }) => listEvents(ctx.deps, input)),

  event: adminProcedure
    .input(z.object({ id: id('evt', 'event') }).strict())
    .query(({ ctx, input }) => getEvent(ctx.deps, input.id)),

  replayEvent: adminProcedure
    .input(z.object({ eventId: id('evt', 'event'), actionId }).strict())
    .mutation(({ ctx, input }) => replayEvent({ deps: ctx.deps, actor: actor(ctx), ...input })),

  reconcilerRuns: adminProcedure.input(noInput).query(async ({ ctx }) => ({ runs: await reconcilerRuns(ctx.deps) })),

  reconcilerRun: adminProcedure
    .input(z.object({ id: z.string().regex(/^[A-Za-z0-9_:.-]{1,100}$/) }).strict())
    .query(({ ctx, input }) => reconcilerRun(ctx.deps, input.id)),

  startReconcile: adminProcedure
    .input(z.object({ dryRun: z.boolean(), actionId }).strict())
    .mutation(({ ctx, input }) => startReconcile({ deps: ctx.deps, actor: actor(ctx), ...input })),

  // Library items: create, edit, publish, set the plan (src/content/admin-router.ts).
  content: contentAdminRouter,
});
