// Meter error reports (src/usage/meter-errors.ts): the subscriber page reads an account's latest
// reports, and a customer-wide error finds that customer's overage units. Secondary indexes: on
// MongoDB only (src/db/indexes.ts says why).
import { applyIndexes } from '../indexes';
import type { Migration } from './step';

export const migration: Migration = {
  id: '0003-meter-errors',
  up: ({ c, ferretdb }) =>
    applyIndexes({
      defs: [
        [c.meterErrors, { userId: 1, receivedAt: -1 }, { name: 'user_received' }],
        [c.meterOutbox, { customerId: 1, status: 1 }, { name: 'customer_status' }],
      ],
      secondary: !ferretdb,
    }),
};
