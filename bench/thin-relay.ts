/**
 * The thinnest relay that speaks Kiln's wire protocol (docs/wire-protocol.md): node:http in, fetch
 * out, `meta`, one `delta` per provider chunk, `done`. No validation, retries, persistence or
 * framework: what one extra hop costs on this machine, so Kiln's own overhead is what lies above it.
 *   node --import tsx bench/thin-relay.ts --upstream http://127.0.0.1:3999/v1 [--port 0]
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export function createThinRelay(upstream: string): http.Server {
  return http.createServer(async (req, res) => {
    if (req.method !== "POST" || req.url !== "/api/chat") return void res.writeHead(404).end();
    let body = "";
    for await (const chunk of req) body += chunk;
    const { model, messages } = JSON.parse(body);
    const abort = new AbortController();
    res.on("close", () => abort.abort()); // client gone: stop the provider call
    res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache, no-transform" });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send("meta", { requestId: randomUUID(), provider: "thin", model });
    try {
      const upstreamResponse = await fetch(`${upstream}/chat/completions`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer thin-relay" },
        body: JSON.stringify({ model, messages, stream: true }),
        signal: abort.signal,
      });
      const decoder = new TextDecoder();
      let buffer = "";
      let finishReason = "stop";
      for await (const bytes of upstreamResponse.body!) {
        buffer += decoder.decode(bytes, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!frame.startsWith("data: ")) continue;
          if (frame === "data: [DONE]") {
            send("done", { finishReason });
            return void res.end();
          }
          const choice = JSON.parse(frame.slice(6)).choices?.[0];
          if (choice?.delta?.content) send("delta", { text: choice.delta.content });
          if (choice?.finish_reason) finishReason = choice.finish_reason;
        }
      }
      throw new Error("the provider ended without [DONE]");
    } catch (error) {
      if (abort.signal.aborted) return;
      send("error", { code: "stream_truncated", message: String(error), retryable: true });
      res.end();
    }
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { port: { type: "string", default: "0" }, upstream: { type: "string" } } });
  if (!values.upstream) throw new Error("--upstream <provider base URL with /v1> is required");
  const server = createThinRelay(values.upstream).listen(Number(values.port), "127.0.0.1", () => {
    const address = server.address();
    console.log(`thin relay listening on http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
  });
  process.once("SIGTERM", () => process.exit(0));
}
