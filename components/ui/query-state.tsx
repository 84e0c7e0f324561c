"use client";
import { Alert } from "./alert";
import { Button } from "./button";
import { Loading } from "./spinner";

/** Renders the loading and error states of a query, or its data through children. */
export function QueryState<T>({
  query,
  children,
  loadingLabel,
}: {
  query: { isLoading: boolean; error: { message: string } | null; data: T | undefined; refetch: () => unknown };
  children: (data: T) => React.ReactNode;
  loadingLabel?: string;
}) {
  if (query.isLoading) return <Loading label={loadingLabel} />;
  if (query.error)
    return (
      <Alert tone="error" title="Could not load this">
        <p>{query.error.message}</p>
        <Button variant="secondary" size="sm" className="mt-2" onClick={() => query.refetch()}>
          Try again
        </Button>
      </Alert>
    );
  if (query.data === undefined) return null;
  return <>{children(query.data)}</>;
}
