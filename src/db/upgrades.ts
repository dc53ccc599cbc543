// Data upgrades run at startup, after the indexes. Each one is idempotent and cheap once done, so
// every process may run them; they only fill in what older versions did not write.
import type { Collections } from './collections';

export async function upgradeData(c: Collections): Promise<void> {
  // Usage rows from before rows could count several units counted one each (decision 007).
  await c.usageEvents.updateMany({ units: { $exists: false } }, { $set: { units: 1 } });
}
