// The root router: one entry per domain. The web app imports only `type AppRouter` from here.
import { router } from './trpc';
import { authRouter } from '../auth/router';
import { accountRouter } from '../account/router';
import { billingRouter } from '../billing/router';
import { contentRouter } from '../content/router';
import { usageRouter } from '../usage/router';
import { apiKeysRouter } from '../api/router';
import { adminRouter } from '../admin/router';
import { twoFactorRouter } from '../auth/two-factor/router';

export const appRouter = router({
  auth: authRouter,
  account: accountRouter,
  twoFactor: twoFactorRouter,
  billing: billingRouter,
  content: contentRouter,
  usage: usageRouter,
  apiKeys: apiKeysRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;
