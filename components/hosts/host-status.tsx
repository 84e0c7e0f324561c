import { Badge } from "@/components/ui/badge";

/** Nothing when no environment was chosen. */
export function EnvironmentBadge({ env }: { env: string }) {
  if (!env) return null;
  const tone = env === "production" ? "red" : env === "staging" ? "amber" : "gray";
  return <Badge tone={tone}>{env}</Badge>;
}

export function FlavorLabel({ flavor, version }: { flavor?: string; version?: string }) {
  if (!flavor) return <span className="text-slate-400">not introspected</span>;
  const name = flavor === "mariadb" ? "MariaDB" : flavor === "percona" ? "Percona" : "MySQL";
  return (
    <span>
      {name} {version}
    </span>
  );
}
