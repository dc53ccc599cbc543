// The root router: one entry per domain. The web app imports only `type AppRouter` from here.
import { router } from './trpc';
import { authRouter } from '../auth/router';
import { accountRouter } from '../account/router';
import { billingRouter } from '../billing/router';

export const appRouter = router({
  auth: authRouter,
  account: accountRouter,
  billing: billingRouter,
});

export type AppRouter = typeof appRouter;
