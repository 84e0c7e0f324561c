"use client";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Checkbox, Input } from "@/components/ui/field";

/**
 * What a database mapping means for a restore: the chosen databases that keep their own name (on
 * the source host they overwrite its own databases) and the rename map of the others.
 */
export function mappingPlan(chosen: string[], names: Record<string, string>) {
  const keepingName = chosen.filter((d) => (names[d] || d) === d);
  const rename = Object.fromEntries(chosen.filter((d) => names[d] && names[d] !== d).map((d) => [d, names[d]!]));
  return { keepingName, rename };
}

/** Which databases to restore and the name each gets on the target. */
export function DatabaseMapping({
  databases,
  selected,
  names,
  onSelected,
  onNames,
}: {
  databases: string[];
  selected: string[];
  names: Record<string, string>;
  onSelected: (s: string[]) => void;
  onNames: (n: Record<string, string>) => void;
}) {
  return (
    <table className="mt-2 w-full text-sm">
      <tbody>
        {databases.map((d) => (
          <tr key={d}>
            <td className="w-1/3 py-1 pr-2">
              <Checkbox label={<span className="font-mono">{d}</span>} checked={selected.includes(d)} onChange={(e) => onSelected(e.target.checked ? [...selected, d] : selected.filter((x) => x !== d))} />
            </td>
            <td className="w-8 text-slate-400">→</td>
            <td className="py-1">
              <Input aria-label={`Restore ${d} as`} className="font-mono" value={names[d] ?? d} disabled={!selected.includes(d)} onChange={(e) => onNames({ ...names, [d]: e.target.value })} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The warning and typed confirmation shown when a restore would overwrite the source host's own databases. */
export function OverwriteConfirm({ hostName, databases, confirm, onConfirm, error }: { hostName: string; databases: string[]; confirm: string; onConfirm: (v: string) => void; error?: string }) {
  const { can } = useUser();
  return (
    <Alert tone="error" title={`This overwrites ${hostName}'s own databases`}>
      {can("admin") ? (
        <>
          <p>
            {databases.join(", ")} on {hostName} will be dropped and replaced. Type <strong>{hostName}</strong> to confirm.
          </p>
          <Input aria-label="Type the host name to confirm" className="mt-2" value={confirm} onChange={(e) => onConfirm(e.target.value)} invalid={!!error} />
          {error && <p className="mt-1 text-sm">{error}</p>}
        </>
      ) : (
        <p>Only an admin can restore over the original databases. Give each database a new name, or choose another host.</p>
      )}
    </Alert>
  );
}
