// Previous / next paging for admin tables, with the range read out to screen readers.
import { Button } from '../../components/Button';
import { rangeLabel } from './admin-lib';

export function Pager({
  page,
  pageSize,
  total,
  onPage,
  label,
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (p: number) => void;
  label: string;
}) {
  const last = Math.max(1, Math.ceil(total / pageSize));
  return (
    <nav className="admin-pager" aria-label={`${label} pages`}>
      <span className="muted" aria-live="polite">
        {rangeLabel(page, pageSize, total)}
      </span>
      <div className="admin-pager-buttons">
        <Button size="sm" variant="secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>
          Previous
        </Button>
        <span className="muted">
          Page {page} of {last}
        </span>
        <Button size="sm" variant="secondary" disabled={page >= last} onClick={() => onPage(page + 1)}>
          Next
        </Button>
      </div>
    </nav>
  );
}
