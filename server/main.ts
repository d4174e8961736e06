/**
 * Kiln's HTTP server, for development (`npm run dev`: Vite in middleware mode, hot reload) and
 * production (`npm start`: the built app). One entry for both, so configuration is validated the same
 * way and every route gets the same services through Remix's load context.
 */
import { createServer } from "node:http";
import type { ServerBuild } from "@remix-run/node";
import { createKilnApp } from "./app.server";
import { ConfigError, loadConfig, type KilnConfig } from "./config.server";
import type { ChatStore } from "./db/chat-store";
import { openChatStore } from "./db/open-chat-store.server";
import { createLogger } from "./logger.server";
import { createServices } from "./services.server";
import { SharedGenerations } from "./generations/shared-generations.server";
import { shutDownGracefully } from "./shutdown.server";
import { tokenExpiryWarning } from "./providers/backend-ai-errors";

const production = process.env.NODE_ENV === "production";
/** A client has this long (or KILN_REQUEST_TIMEOUT_MS, if shorter) to send a request's headers. */
const HEADERS_TIMEOUT_MS = 10_000;

/** Start-up problems are one line on stderr and exit code 1: nothing half-started. */
function fail(kind: string, message: string): never {
  console.error(`kiln: ${kind}: ${message}`);
  process.exit(1);
}

let config: KilnConfig;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail("configuration error", error.message);
  throw error;
}
const logger = createLogger(config.logLevel);
let store: ChatStore;
try {
  store = await openChatStore(config.databaseUrl);
} catch (error) {
  fail("database error", (error as Error).message);
}
const services = createServices(config, logger, store);
// Several replicas share Postgres: a chat's generation can then be reattached to, stopped and taken
// over through any of them (generations/shared-generations.server.ts).
if (/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
  try {
    services.shared = await SharedGenerations.open(config.databaseUrl, logger, (id) =>
      services.generations.get(id)?.stop("stopped_by_user"),
    );
  } catch (error) {
    fail("database error", `DATABASE_URL: cannot listen for shared generations: ${(error as Error).message}`);
  }
}

const vite = production ? undefined : await import("vite").then((v) => v.createServer({ server: { middlewareMode: true } }));
const build = vite ? undefined : ((await import(new URL("../build/server/index.js", import.meta.url).href)) as ServerBuild);
const app = createKilnApp({ services, vite, build });

// In the background: pages show the configured lists until the first answers are in.
services.discovery.start();
// A JWT token says when it expires: tell the operator before requests start failing.
for (const provider of config.providers) {
  const warning = tokenExpiryWarning(provider.label, provider.apiKey);
  if (warning) logger.warn({ provider: provider.id }, warning);
}
// Node's requestTimeout bounds receiving a request, headers and body, never sending the response:
// an upload slower than KILN_REQUEST_TIMEOUT_MS is cut with a 408 (a slow body cannot hold a socket),
// while an SSE answer streams on for as long as it takes (tests/integration/write-limits.test.ts).
const server = createServer(
  {
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, config.requestTimeoutMs),
    // How often Node looks for requests past those deadlines; its default, 30 s, would let a 30 s
    // timeout run to a minute.
    connectionsCheckingInterval: Math.min(1_000, Math.ceil(config.requestTimeoutMs / 4)),
  },
  app,
);
server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const available = config.providers.filter((p) => p.available).map((p) => p.id);
  logger.info(
    { url: `http://${config.host}:${port}`, mode: production ? "production" : "development", providers: available },
    available.length ? "kiln listening" : "kiln listening; no provider configured yet (see the home page)",
  );
});

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    services.discovery.stop();
    void shutDownGracefully(server, services, config.drainMs)
      .then(async () => {
        await vite?.close();
        process.exit(0);
      })
      .catch((error) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      });
  });
}
