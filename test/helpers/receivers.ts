import http from "node:http";
import net from "node:net";

/** A real HTTP server that records the requests it receives (webhooks, Slack-style hooks). */
export async function startHttpReceiver(status = 200) {
  const requests: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  let answer = status;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      requests.push({ path: req.url ?? "", headers: req.headers, body });
      res.writeHead(answer, { "content-type": "text/plain" });
      res.end(answer === 200 ? "ok" : "nope");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    setStatus: (s: number) => (answer = s),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * A minimal SMTP server speaking enough of RFC 5321 for a client to deliver mail (EHLO, MAIL,
 * RCPT, DATA, QUIT); it records each message. Not a relay: it exists so mail sending is tested
 * over a real SMTP conversation.
 */
export async function startSmtpReceiver() {
  const messages: { from: string; to: string[]; data: string }[] = [];
  const server = net.createServer((sock) => {
    let buf = "";
    let inData = false;
    let cur = { from: "", to: [] as string[], data: "" };
    sock.write("220 test-smtp ready\r\n");
    sock.on("data", (chunk) => {
      buf += chunk.toString("utf8");
      for (;;) {
        if (inData) {
          const end = buf.indexOf("\r\n.\r\n");
          if (end < 0) return;
          cur.data = buf.slice(0, end);
          buf = buf.slice(end + 5);
          inData = false;
          messages.push(cur);
          cur = { from: "", to: [], data: "" };
          sock.write("250 queued\r\n");
          continue;
        }
        const nl = buf.indexOf("\r\n");
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === "EHLO" || cmd === "HELO") sock.write("250-test-smtp\r\n250 8BITMIME\r\n");
        else if (cmd === "MAIL") (cur.from = line.slice(10).replace(/[<>]/g, "").trim()), sock.write("250 ok\r\n");
        else if (cmd === "RCPT") cur.to.push(line.slice(8).replace(/[<>]/g, "").trim()), sock.write("250 ok\r\n");
        else if (cmd === "DATA") (inData = true), sock.write("354 go ahead\r\n");
        else if (cmd === "QUIT") sock.end("221 bye\r\n");
        else if (cmd === "RSET" || cmd === "NOOP") sock.write("250 ok\r\n");
        else sock.write("502 not implemented\r\n");
      }
    });
    sock.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as net.AddressInfo).port, messages, close: () => new Promise<void>((r) => server.close(() => r())) };
}
