// Account settings procedures (placeholder: filled in by the accounts work).
import { router } from '../trpc/trpc';

export const accountRouter = router({});
