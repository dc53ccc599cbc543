// The billing effects' part in the admin figures: each subscription change becomes a row in a small
// queue, keyed by the change, which the figures job folds in within a second (fold.ts, job.ts).
// Recording is one insert per change, so any number of processes record at once without losing one.
import type { AppDeps } from '../../deps';
import { insertOnce } from './model';
import type { SyncCause, SyncResult } from '../sync-result';
import { contributionOf, type FigureChangeDoc, figureCollections } from './model';

export async function recordFigureChanges(deps: AppDeps, result: SyncResult, cause: SyncCause): Promise<void> {
  if (!result.changes.length) return;
  const now = new Date();
  const rows: FigureChangeDoc[] = result.changes.map((change) => {
    const at = change.after?.fetchedAt ?? now;
    const before = change.before?.defaultPaymentMethod?.id ?? null;
    const after = change.after?.defaultPaymentMethod?.id ?? null;
    return {
      _id: `${change.subscriptionId}:${at.getTime()}${change.after ? '' : ':gone'}`,
      subscriptionId: change.subscriptionId,
      customerId: change.after?.customerId ?? change.before?.customerId ?? result.customerId,
      userId: change.userId,
      at,
      after: change.after ? contributionOf(change.after) : null,
      source: cause.source,
      cardChanged: !!change.before && before !== after && after !== null,
      insertedAt: now,
    };
  });
  // The same changes applied again (effects that survived a failure midway) are already queued.
  await insertOnce(figureCollections(deps).changes, rows);
  deps.caches.figures.kick?.();
}
