// What a section shows around the data it loads: skeleton lines while the first answer is on its
// way, the error with "Try again" when there is nothing to show, the caller's empty state when the
// answer holds nothing, and otherwise the caller's rendering of the data. A refetch that fails over
// data already on screen keeps the data, with the error above it.
import type { ReactElement, ReactNode } from 'react';
import { type ApiError, queryErrorMessage } from '../lib/errors';
import { Banner } from './Banner';
import { Button } from './Button';
import { EmptyState } from './EmptyState';
import { Skeleton } from './Spinner';

/** The parts of a TanStack/tRPC query result this reads; a query result fits as it is. */
export interface QueryLike<T> {
  status: 'pending' | 'error' | 'success';
  data: T | undefined;
  error: ApiError | null;
  isFetching: boolean;
  refetch: () => unknown;
}

/**
 * With a title, an empty state with its icon and action; with only a description, one muted line
 * (for lists inside a card, where a full empty state would be too loud).
 */
export interface EmptyContent {
  title?: ReactNode;
  description?: ReactNode;
  action?: ReactNode;
  icon?: ReactNode;
  headingLevel?: 1 | 2 | 3;
}

export interface QueryStateProps<T> {
  query: QueryLike<T>;
  /** What is loading, for screen readers: "Loading invoices…". */
  loadingLabel: string;
  skeletonLines?: number;
  /** Frames the skeleton, for a placeholder shaped like the content (inside a card, a grid). */
  placeholder?: (skeleton: ReactElement) => ReactNode;
  /** The error's headline; the message below it comes from the error. */
  errorTitle?: ReactNode;
  isEmpty?: (data: T) => boolean;
  empty?: EmptyContent | ((data: T) => EmptyContent);
  children: (data: T) => ReactNode;
}

export function QueryState<T>({
  query,
  loadingLabel,
  skeletonLines = 3,
  placeholder,
  errorTitle,
  isEmpty,
  empty,
  children,
}: QueryStateProps<T>) {
  const { data } = query;
  const failure = query.status === 'error' && (
    <Banner
      tone="error"
      title={errorTitle}
      action={
        <Button size="sm" variant="secondary" onClick={() => void query.refetch()} loading={query.isFetching}>
          Try again
        </Button>
      }
    >
      {queryErrorMessage(query.error)}
    </Banner>
  );
  if (data === undefined) {
    if (failure) return failure;
    const skeleton = <Skeleton lines={skeletonLines} label={loadingLabel} />;
    return placeholder ? placeholder(skeleton) : skeleton;
  }
  const content = isEmpty?.(data) ? <Empty {...(typeof empty === 'function' ? empty(data) : (empty ?? {}))} /> : children(data);
  return (
    <>
      {failure}
      {content}
    </>
  );
}

function Empty({ title, description, action, icon, headingLevel }: EmptyContent) {
  if (!title) return <p className="muted">{description}</p>;
  return (
    <EmptyState icon={icon} title={title} action={action} headingLevel={headingLevel}>
      {description}
    </EmptyState>
  );
}
