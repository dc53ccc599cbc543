// The root router: one entry per domain. The web app imports only `type AppRouter` from here.
import { router } from './trpc';
import { authRouter } from '../auth/router';
import { accountRouter } from '../account/router';

export const appRouter = router({
  auth: authRouter,
  account: accountRouter,
});

export type AppRouter = typeof appRouter;
