"use client";
import { Alert } from "@/components/ui/alert";
import type { RouterOutputs } from "@/lib/trpc";
import { formatBytes } from "@/server/util/format";

type Result = RouterOutputs["hosts"]["testConnection"];

export function ConnectionTestResult({ result }: { result: Result }) {
  if (!result.ok) {
    return (
      <Alert tone="error" title="Connection failed">
        <span data-testid="connection-error">{result.message}</span>
      </Alert>
    );
  }
  const f = result.facts;
  return (
    <Alert tone="success" title={`Connected in ${result.ms} ms`}>
      <span data-testid="connection-ok">
        {f.flavor === "mariadb" ? "MariaDB" : f.flavor === "percona" ? "Percona Server" : "MySQL"} {f.version}, {formatBytes(f.totalBytes)} in {f.sizes.filter((s) => s.name !== "mysql").length} database(s), binlog{" "}
        {f.binlog.enabled ? `on (${f.binlog.format})` : "off"}, server_id {f.serverId}.
      </span>
    </Alert>
  );
}
