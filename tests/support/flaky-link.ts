/**
 * A TCP link in front of a server that can go down on demand, as Wi-Fi or a phone's network does:
 * `cut(ms)` destroys every open connection and, for `ms`, closes each new one at once. Browser tests
 * open Kiln through it to lose the network for real (Chromium's offline emulation leaves a streaming
 * response that already started untouched).
 */
import net from "node:net";

export interface FlakyLink {
  url: string;
  cut(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFlakyLink(targetPort: number, targetHost = "127.0.0.1"): Promise<FlakyLink> {
  const sockets = new Set<net.Socket>();
  let downUntil = 0;
  const server = net.createServer((client) => {
    if (Date.now() < downUntil) return void client.destroy();
    const upstream = net.connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async cut(ms) {
      downUntil = Date.now() + ms;
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
