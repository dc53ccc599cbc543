// The admin's read models kept by the billing effects (src/billing/figures/): the subscriber list
// (each sort, the filters before the sort, and word-prefix search), the MRR movements a figure
// opens, and the recoveries by day. Secondary indexes: on MongoDB only (src/db/indexes.ts says why).
import { applyIndexes } from '../indexes';
import type { Migration } from './step';

export const migration: Migration = {
  id: '0004-admin-figures',
  up: ({ c, ferretdb }) =>
    applyIndexes({
      defs: [
        [c.adminSubscribers, { created: -1, _id: -1 }, { name: 'created' }],
        [c.adminSubscribers, { status: 1, created: -1 }, { name: 'status_created' }],
        [c.adminSubscribers, { planId: 1, status: 1, created: -1 }, { name: 'plan_status_created' }],
        [c.adminSubscribers, { cancelAtPeriodEnd: 1, created: -1 }, { name: 'cancelling_created' }],
        [c.adminSubscribers, { unitAmount: 1, _id: 1 }, { name: 'amount' }],
        [c.adminSubscribers, { currentPeriodEnd: 1, _id: 1 }, { name: 'period_end' }],
        [c.adminSubscribers, { planId: 1, _id: 1 }, { name: 'plan' }],
        [c.adminSubscribers, { words: 1, created: -1 }, { name: 'words_created' }],
        [c.adminMovements, { kind: 1, day: 1 }, { name: 'kind_day' }],
        [c.adminMovements, { kind: 1, month: 1 }, { name: 'kind_month' }],
        [c.adminRecoveries, { day: 1 }, { name: 'day' }],
      ],
      secondary: !ferretdb,
    }),
};
