import { Badge } from "@/components/ui/badge";

export function EnvironmentBadge({ env }: { env: string }) {
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
