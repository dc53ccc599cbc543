// The admin area is loaded on demand: its pages and the charting library stay out of the bundle
// that every subscriber downloads.
import { lazy, Suspense } from 'react';
import { Skeleton } from '../../components/Spinner';

const AdminRoutes = lazy(() => import('./AdminRoutes').then((m) => ({ default: m.AdminRoutes })));

export function AdminArea() {
  return (
    <Suspense
      fallback={
        <div className="page">
          <Skeleton lines={4} label="Loading the admin area…" />
        </div>
      }
    >
      <AdminRoutes />
    </Suspense>
  );
}
