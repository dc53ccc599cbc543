// The typed tRPC client. Only the router's *type* crosses from the server; nothing else does.
import { createTRPCReact, httpBatchLink, TRPCClientError } from '@trpc/react-query';
import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import type { AppRouter } from '../../../src/trpc/root';

export const trpc = createTRPCReact<AppRouter>();

export function createTrpcClient() {
  return trpc.createClient({
    links: [
      httpBatchLink({
        url: '/trpc',
        // The server refuses larger batches (src/app.ts MAX_BATCH).
        maxItems: 10,
        fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin' }),
      }),
    ],
  });
}

function httpStatusOf(error: unknown): number | undefined {
  return error instanceof TRPCClientError ? (error.data as { httpStatus?: number } | undefined)?.httpStatus : undefined;
}

export function createQueryClient() {
  // A 401 from any call means the session ended (expired, revoked elsewhere): re-ask auth.me, and
  // the route guard sends the person to log in, coming back here afterwards.
  const onError = (error: unknown) => {
    if (httpStatusOf(error) === 401) void queryClient.invalidateQueries({ queryKey: [['auth', 'me']] });
  };
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // A 4xx will not get better by asking again; network blips and 5xx might.
        retry: (failureCount, error) => {
          const status =
            error instanceof TRPCClientError ? (error.data as { httpStatus?: number } | undefined)?.httpStatus : undefined;
          if (status !== undefined && status < 500) return false;
          return failureCount < 2;
        },
      },
      mutations: { retry: false },
    },
  });
  return queryClient;
}
