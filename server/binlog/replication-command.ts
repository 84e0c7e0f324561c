import { EventEmitter } from "node:events";
import { OutgoingPacket, type CoreConnection, type WirePacket } from "../mysql/mysql2-internals";

// mysql2 runs "commands" from a queue and hands each one the packets the server sends back. A
// command is any object with execute(packet, connection) -> done; this one sends one replication
// request and passes every reply packet's payload (copied: mysql2 reuses its packet buffer) on.

export type ReplicationReply = { kind: "packet"; payload: Buffer } | { kind: "eof" };

class ReplicationCommand extends EventEmitter {
  private started = false;
  constructor(
    private readonly request: Buffer,
    private readonly onReply: (r: ReplicationReply) => boolean,
    /** mysql2 calls this with network errors (connection lost, reset) while the command runs. */
    readonly onResult: (err: Error) => void,
  ) {
    super();
  }

  execute(packet: WirePacket | null, connection: CoreConnection): boolean {
    if (!this.started) {
      this.started = true;
      connection._resetSequenceId();
      connection.writePacket(new OutgoingPacket(this.request));
      return false;
    }
    if (!packet) return false;
    if (packet.isError()) {
      this.onResult(packet.asError(connection.clientEncoding));
      return true;
    }
    if (packet.isEOF()) return this.onReply({ kind: "eof" });
    return this.onReply({ kind: "packet", payload: Buffer.from(packet.buffer.subarray(packet.offset, packet.end)) });
  }
}

/** Sends a request that the server answers with one OK (COM_REGISTER_SLAVE). */
export function sendSimpleCommand(core: CoreConnection, request: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cmd = new ReplicationCommand(
      request,
      () => {
        resolve();
        return true;
      },
      reject,
    );
    core.addCommand(cmd);
  });
}

/**
 * Sends a dump request and streams the reply: `onEvent` gets every event packet's payload (the
 * leading OK byte stripped), until the server ends the stream (EOF), sends an error, or the
 * connection drops. The promise settles then.
 */
export function streamCommand(core: CoreConnection, request: Buffer, onEvent: (payload: Buffer) => void): Promise<"eof"> {
  return new Promise((resolve, reject) => {
    const cmd = new ReplicationCommand(
      request,
      (r) => {
        if (r.kind === "eof") {
          resolve("eof");
          return true;
        }
        try {
          onEvent(r.payload.subarray(1));
        } catch (e) {
          reject(e);
          return true;
        }
        return false;
      },
      reject,
    );
    core.addCommand(cmd);
  });
}
