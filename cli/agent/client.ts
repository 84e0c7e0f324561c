import { errorMessage } from "../../server/errors";

/** An answer of the agent API other than 2xx (status and the dashboard's message). */
export class AgentApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "AgentApiError";
  }
}

/** POSTs JSON to the dashboard's agent API with the token; throws AgentApiError on a refusal. */
export function agentClient(server: string, token: string) {
  const base = server.replace(/\/+$/, "") + "/api/agent/";
  return async function call<T>(path: string, body: unknown = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(base + path, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      throw new AgentApiError(0, `The dashboard at ${server} did not answer (${errorMessage((e as { cause?: unknown }).cause ?? e)}).`);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: a proxy's page, say
    }
    if (!res.ok) throw new AgentApiError(res.status, (json as { message?: string } | null)?.message ?? `${res.status} ${res.statusText} from ${base + path}`);
    return json as T;
  };
}
export type AgentCall = ReturnType<typeof agentClient>;
