/**
 * A minimal load balancer for tests: forwards each request to the first backend that accepts the
 * connection, in order, streaming the response back unbuffered (as an SSE-aware load balancer must).
 * A backend that has stopped listening is skipped, which is how clients reach the other replica.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FailoverProxy {
  url: string;
  /** Which backend served each request, in order. */
  served: string[];
  close(): Promise<void>;
}

export async function startFailoverProxy(backends: string[]): Promise<FailoverProxy> {
  const served: string[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const tryBackend = (index: number) => {
      if (index >= backends.length) {
        res.writeHead(502).end("no backend");
        return;
      }
      const target = new URL(req.url ?? "/", backends[index]);
      const upstream = http.request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (response) => {
          served.push(backends[index]);
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        },
      );
      // Only a refused connection moves on; anything after the response started is the client's to see.
      upstream.on("error", (error: NodeJS.ErrnoException) => {
        if (!res.headersSent && error.code === "ECONNREFUSED") tryBackend(index + 1);
        else res.destroy();
      });
      res.on("close", () => upstream.destroy());
      upstream.end(body);
    };
    tryBackend(0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
