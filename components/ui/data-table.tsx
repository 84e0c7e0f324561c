"use client";
import { QueryState } from "./query-state";
import { Table, TBody, Td, Th, THead, Tr } from "./table";

/** A column of a DataTable; `state` is what the table's `useRow` hook returned for the row. */
export type Column<T, S = undefined> = {
  /** the header text (empty for an action column) */
  header?: React.ReactNode;
  cell: (row: T, state: S) => React.ReactNode;
  className?: string;
  headerClassName?: string;
};

type RowOptions<T, S> = {
  columns: Column<T, S>[];
  /**
   * A hook called once for each row, in the row's own component: per-row state such as the row's
   * own mutations (each row's "Test" or "Delete" has its own pending state and error).
   */
  useRow?: (row: T) => S;
  /** shown under the row, across every column, when it returns something (a result, an error) */
  detail?: (row: T, state: S) => React.ReactNode;
  /** extra attributes of a row, e.g. a data-testid */
  rowProps?: (row: T) => React.HTMLAttributes<HTMLTableRowElement> & { "data-testid"?: string };
};

const noRowState = () => undefined;

function DataRow<T, S>({ row, columns, useRow, detail, rowProps }: RowOptions<T, S> & { row: T }) {
  const state = (useRow ?? (noRowState as () => S))(row);
  const below = detail?.(row, state);
  return (
    <>
      <Tr {...rowProps?.(row)}>
        {columns.map((c, i) => (
          <Td key={i} className={c.className}>
            {c.cell(row, state)}
          </Td>
        ))}
      </Tr>
      {below ? (
        <tr>
          <td colSpan={columns.length} className="px-4 pb-3">
            {below}
          </td>
        </tr>
      ) : null}
    </>
  );
}

/**
 * A query's rows as a table, with the loading, error and empty states every list page needs: one
 * place for what the hosts, keys, users, policies, storage and notification pages used to repeat.
 */
export function DataTable<T, S = undefined>({
  query,
  rowKey,
  empty,
  loadingLabel,
  ...row
}: RowOptions<T, S> & {
  query: { isLoading: boolean; error: { message: string } | null; data: T[] | undefined; refetch: () => unknown };
  rowKey: (row: T) => string;
  /** shown instead of the table when there are no rows (an EmptyState) */
  empty: React.ReactNode;
  loadingLabel?: string;
}) {
  return (
    <QueryState query={query} loadingLabel={loadingLabel}>
      {(rows) =>
        rows.length === 0 ? (
          empty
        ) : (
          <Table>
            <THead>
              {row.columns.map((c, i) => (
                <Th key={i} className={c.headerClassName}>
                  {c.header}
                </Th>
              ))}
            </THead>
            <TBody>
              {rows.map((r) => (
                <DataRow key={rowKey(r)} row={r} {...row} />
              ))}
            </TBody>
          </Table>
        )
      }
    </QueryState>
  );
}
