import { withServer } from "../mysql/connect";
import type { ServerAddress } from "../mysql/connection-options";
import { introspectServer } from "../mysql/introspect";
import type { ServerFacts } from "../mysql/server-facts";

/**
 * The facts engine selection needs, fresh from the server: version and flavor, data size, clone
 * plugin, binlog and GTID state, the datadir and its filesystem when the server runs here.
 */
export function gatherInfo(server: ServerAddress): Promise<ServerFacts> {
  return withServer(server, (c) => introspectServer(c, server));
}
