// Usage rows from before a row could count several units each counted one (decision 007).
import type { Migration } from './step';

export const migration: Migration = {
  id: '0002-usage-units',
  async up({ c }) {
    await c.usageEvents.updateMany({ units: { $exists: false } }, { $set: { units: 1 } });
  },
};
