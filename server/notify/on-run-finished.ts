import type { Run } from "../db/generated/client";
import { db } from "../db/client";
import { KIND_NAMES } from "./kind-names";
import { dispatch } from "./channels";
import { publicUrl } from "./message";

/** Turns a finished run into notifications: failures always, successes for channels that asked. */
export async function notifyRunFinished(run: Run) {
  if (run.state === "cancelled") return;
  const host = run.hostId ? await db().host.findUnique({ where: { id: run.hostId }, select: { name: true } }) : null;
  const policy = run.policyId ? await db().policy.findUnique({ where: { id: run.policyId }, select: { name: true } }) : null;
  const what = `${KIND_NAMES[run.kind] ?? run.kind}${host ? ` of ${host.name}` : ""}${policy ? ` (policy ${policy.name})` : ""}`;
  const base = { host: host?.name, policy: policy?.name, run: { id: run.id, kind: run.kind, state: run.state, error: run.error }, url: `${publicUrl()}/runs/${run.id}` };
  if (run.state === "failed") {
    await dispatch(run.kind === "verify" ? "verify-failure" : "failure", { ...base, title: `${what} failed`, text: run.error ?? "no error message" });
  } else if (run.state === "succeeded") {
    await dispatch("success", { ...base, title: `${what} succeeded`, text: `Finished at ${run.finishedAt?.toISOString()}.` });
  }
}
