"use client";
import { useEffect, useState } from "react";
import { Checkbox, Field, Select } from "@/components/ui/field";
import { DatabaseMapping, mappingPlan, OverwriteConfirm } from "./database-mapping";

type HostOption = { id: string; name: string };

/**
 * Where a point-in-time restore goes and under which names: the target host, the databases and the
 * name each gets (proposed as `<db><suffix>`), whether existing ones may be replaced, and the typed
 * confirmation when the source host's own databases would be overwritten. Shared by the PITR and
 * incident restore dialogs.
 */
export function useRestoreTarget(o: { sourceHostId: string; databases: string[]; defaultChosen?: string[]; suffix: string }) {
  const [targetHostId, setTarget] = useState(o.sourceHostId);
  const [names, setNames] = useState<Record<string, string>>({});
  const [selected, setSelected] = useState<string[] | null>(null);
  const [dropExisting, setDrop] = useState(false);
  const [confirm, setConfirm] = useState("");
  useEffect(() => {
    if (o.databases.length && !Object.keys(names).length) setNames(Object.fromEntries(o.databases.map((d) => [d, `${d}${o.suffix}`])));
  }, [o.databases.join(",")]); // eslint-disable-line react-hooks/exhaustive-deps
  const chosen = selected ?? o.defaultChosen ?? o.databases;
  const { keepingName, rename } = mappingPlan(chosen, names);
  const overOriginal = targetHostId === o.sourceHostId && keepingName.length > 0;
  return {
    sourceHostId: o.sourceHostId,
    databases: o.databases,
    targetHostId,
    setTarget,
    names,
    setNames,
    chosen,
    setSelected,
    dropExisting,
    setDrop,
    confirm,
    setConfirm,
    keepingName,
    rename,
    overOriginal,
    /** the part of pitr.start's input this decides */
    request: () => ({ targetHostId, databases: chosen, rename, dropExisting: dropExisting || overOriginal, confirm: overOriginal ? confirm : undefined }),
  };
}

export type RestoreTarget = ReturnType<typeof useRestoreTarget>;

export function RestoreTargetFields({ idPrefix, t, hosts, sourceHostName, confirmError }: { idPrefix: string; t: RestoreTarget; hosts: HostOption[] | undefined; sourceHostName: string; confirmError?: string }) {
  return (
    <>
      <Field label="Restore into host" htmlFor={`${idPrefix}-host`}>
        <Select id={`${idPrefix}-host`} value={t.targetHostId} onChange={(e) => t.setTarget(e.target.value)}>
          {hosts?.map((h) => (
            <option key={h.id} value={h.id}>
              {h.name}
              {h.id === t.sourceHostId ? " (this host)" : ""}
            </option>
          ))}
        </Select>
      </Field>
      {t.databases.length > 0 && <DatabaseMapping databases={t.databases} selected={t.chosen} names={t.names} onSelected={t.setSelected} onNames={t.setNames} />}
      {!t.overOriginal && <Checkbox label="Replace databases that already exist on the target" checked={t.dropExisting} onChange={(e) => t.setDrop(e.target.checked)} />}
      {t.overOriginal && <OverwriteConfirm hostName={sourceHostName} databases={t.keepingName} confirm={t.confirm} onConfirm={t.setConfirm} error={confirmError} />}
    </>
  );
}
