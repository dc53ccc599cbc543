// Refresh for the admin lists served from a snapshot the server rebuilds behind: runs the page's
// query with `fresh: true` (given as `onRefresh`) and shows it is busy meanwhile.
import { useState } from 'react';
import { Button } from '../../components/Button';

export function RefreshButton({ onRefresh }: { onRefresh: () => Promise<unknown> }) {
  const [refreshing, setRefreshing] = useState(false);
  const refresh = async () => {
    setRefreshing(true);
    try {
      await onRefresh();
    } finally {
      setRefreshing(false);
    }
  };
  return (
    <Button size="sm" variant="secondary" onClick={() => void refresh()} loading={refreshing}>
      Refresh
    </Button>
  );
}
