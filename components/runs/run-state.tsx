import { Badge, type Tone } from "@/components/ui/badge";
import { Spinner } from "@/components/ui/spinner";

const TONE: Record<string, Tone> = { queued: "gray", running: "blue", succeeded: "green", failed: "red", cancelled: "amber" };

export function RunStateBadge({ state }: { state: string }) {
  return (
    <Badge tone={TONE[state] ?? "gray"}>
      {state === "running" && <Spinner className="h-3 w-3" />}
      {state}
    </Badge>
  );
}

export const KIND_LABEL: Record<string, string> = { backup: "Backup", restore: "Restore", verify: "Verification", binlog: "Binlog archive", prune: "Prune", pitr: "Point-in-time restore" };

export function isActive(state: string) {
  return state === "queued" || state === "running";
}
