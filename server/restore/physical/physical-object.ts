import type { Manifest, ManifestObject } from "../../artifact/manifest";
import { DomainError } from "../../errors";

/** The layouts the physical restorers understand. */
export const PHYSICAL_LAYOUTS = ["tar", "xbstream"] as const;
export type PhysicalLayout = (typeof PHYSICAL_LAYOUTS)[number];

export function isPhysicalLayout(layout: string): layout is PhysicalLayout {
  return (PHYSICAL_LAYOUTS as readonly string[]).includes(layout);
}

/** The one archive object of a physical backup set (role "physical"). */
export function physicalObject(m: Manifest): ManifestObject {
  const list = m.objects.filter((o) => o.role === "physical");
  if (list.length !== 1) {
    throw new DomainError("INVALID", `Backup ${m.id} (${m.engine}, layout ${m.layout}) should hold exactly one physical archive but has ${list.length}: the manifest is not from a physical engine, or it was edited.`);
  }
  return list[0]!;
}
