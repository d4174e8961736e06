/**
 * Kiln's HTTP server, for development (`npm run dev`: Vite in middleware mode, hot reload) and
 * production (`npm start`: the built app). One entry for both, so configuration is validated the same
 * way and every route gets the same services through Remix's load context.
 */
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import { ConfigError, loadConfig } from "./config.server";
import { openChatStore } from "./db/open-chat-store.server";
import { createLogger } from "./logger.server";
import { createServices } from "./services.server";

const production = process.env.NODE_ENV === "production";

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`kiln: configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
const logger = createLogger(config.logLevel);
let store;
try {
  store = await openChatStore(config.databaseUrl);
} catch (error) {
  console.error(`kiln: database error: ${(error as Error).message}`);
  process.exit(1);
}
const services = createServices(config, logger, store);

const vite = production
  ? undefined
  : await import("vite").then((v) => v.createServer({ server: { middlewareMode: true } }));

const app = express();
app.disable("x-powered-by");
// Compress pages and assets, never the SSE stream: gzip would hold deltas back until its buffer fills.
app.use(compression({ filter: (req, res) => !String(res.getHeader("Content-Type") ?? "").startsWith("text/event-stream") && compression.filter(req, res) }));

if (vite) {
  app.use(vite.middlewares);
} else {
  // Fingerprinted by Vite, so they can be cached for good.
  app.use("/assets", express.static("build/client/assets", { immutable: true, maxAge: "1y" }));
  app.use(express.static("build/client", { maxAge: "1h" }));
}

const build = vite
  ? () => vite.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>
  : ((await import(new URL("../build/server/index.js", import.meta.url).href)) as ServerBuild);

app.all("*", createRequestHandler({ build, getLoadContext: () => ({ kiln: services }) }));

const server = app.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const available = config.providers.filter((p) => p.available).map((p) => p.id);
  logger.info(
    { url: `http://${config.host}:${port}`, mode: production ? "production" : "development", providers: available },
    available.length ? "kiln listening" : "kiln listening; no provider configured yet (see the home page)",
  );
});
