"use client";
import { QueryState } from "./query-state";
import { Table, TBody, Td, Th, THead, Tr } from "./table";

export type Column<T> = {
  /** the header text (empty for an action column) */
  header?: React.ReactNode;
  cell: (row: T) => React.ReactNode;
  className?: string;
  headerClassName?: string;
};

/**
 * A query's rows as a table, with the loading, error and empty states every list page needs: one
 * place for what the hosts, keys, users, policies, storage and notification pages used to repeat.
 */
export function DataTable<T>({
  query,
  columns,
  rowKey,
  empty,
  loadingLabel,
  rowProps,
}: {
  query: { isLoading: boolean; error: { message: string } | null; data: T[] | undefined; refetch: () => unknown };
  columns: Column<T>[];
  rowKey: (row: T) => string;
  /** shown instead of the table when there are no rows (an EmptyState) */
  empty: React.ReactNode;
  loadingLabel?: string;
  /** extra attributes of a row, e.g. a data-testid */
  rowProps?: (row: T) => React.HTMLAttributes<HTMLTableRowElement> & { "data-testid"?: string };
}) {
  return (
    <QueryState query={query} loadingLabel={loadingLabel}>
      {(rows) =>
        rows.length === 0 ? (
          empty
        ) : (
          <Table>
            <THead>
              {columns.map((c, i) => (
                <Th key={i} className={c.headerClassName}>
                  {c.header}
                </Th>
              ))}
            </THead>
            <TBody>
              {rows.map((r) => (
                <Tr key={rowKey(r)} {...rowProps?.(r)}>
                  {columns.map((c, i) => (
                    <Td key={i} className={c.className}>
                      {c.cell(r)}
                    </Td>
                  ))}
                </Tr>
              ))}
            </TBody>
          </Table>
        )
      }
    </QueryState>
  );
}
