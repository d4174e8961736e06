/**
 * The Express application: static assets, the Remix request handler and the operational endpoints,
 * in the order they must run. Built by server/main.ts for development (with Vite's middleware) and
 * production (serving build/).
 */
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import type { ViteDevServer } from "vite";
import { httpMetrics, metricsHandler } from "./metrics.server";
import { requestLog } from "./request-log.server";
import { previewFrameRoutes } from "./preview/frame-routes.server";
import { securityHeaders } from "./security-headers.server";
import type { KilnServices } from "./services.server";

export interface KilnAppOptions {
  services: KilnServices;
  /** Development: Vite serves the app and its modules. */
  vite?: ViteDevServer;
  /** Production: the built server bundle. */
  build?: ServerBuild;
}

/** `POST /api/chat` and `GET /api/chats/:id/stream`: server-sent events, never compressed. */
function isAnswerStream(path: string): boolean {
  return path === "/api/chat" || (path.startsWith("/api/chats/") && path.endsWith("/stream"));
}

export function createKilnApp({ services, vite, build }: KilnAppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  // Only the proxies KILN_TRUST_PROXY names (a hop count or their addresses) may name the client in
  // X-Forwarded-For: req.ip is then the right-most entry no trusted proxy wrote (rate limits key on it).
  app.set("trust proxy", services.config.trustProxy);
  // Express's compiled form of the setting: is `address`, `hop` steps from Kiln, a trusted proxy?
  const trustedProxy = app.get("trust proxy fn") as (address: string, hop: number) => boolean;
  app.use(requestLog(services.logger));
  app.use(httpMetrics(services.metrics));
  // Compress pages and assets, never the SSE stream: gzip would hold deltas back until its buffer fills.
  // The answer streams are not even wrapped (compression's wrapper costs on every write of a delta).
  const compress = compression({
    filter: (req, res) =>
      !String(res.getHeader("Content-Type") ?? "").startsWith("text/event-stream") && compression.filter(req, res),
  });
  app.use((req, res, next) => (isAnswerStream(req.path) ? next() : compress(req, res, next)));
  // The preview frame and its scripts carry their own policy, so they come before the pages' one.
  app.use(previewFrameRoutes());
  app.use(
    securityHeaders({
      production: !vite,
      previewMode: services.config.previewMode,
      bundlerUrl: services.config.sandpackBundlerUrl,
    }),
  );

  app.get("/metrics", metricsHandler(services.metrics, services.config.metrics));

  if (vite) {
    app.use(vite.middlewares);
  } else {
    // Fingerprinted by Vite, so they can be cached for good.
    app.use("/assets", express.static("build/client/assets", { immutable: true, maxAge: "1y" }));
    app.use(express.static("build/client", { maxAge: "1h" }));
  }

  const serverBuild = vite ? () => vite.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild> : build;
  if (!serverBuild) throw new Error("createKilnApp needs either vite (development) or build (production)");
  app.all(
    "*",
    createRequestHandler({
      build: serverBuild,
      getLoadContext: (req, res) => ({
        kiln: services,
        clientIp: req.ip ?? "unknown",
        fromTrustedProxy: req.socket.remoteAddress !== undefined && trustedProxy(req.socket.remoteAddress, 0),
        cspNonce: res.locals.cspNonce,
        clientGone: clientGoneSignal(res),
      }),
    }),
  );
  return app;
}

/**
 * Fires when the client disconnects before the response finished. Remix's `request.signal` is not
 * enough: undici ties it to the Request object, and once that is garbage-collected mid-stream a
 * disconnect no longer reaches the relay (the provider call would run on, unseen, to the end).
 */
function clientGoneSignal(res: express.Response): AbortSignal {
  const gone = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) gone.abort(new Error("the client closed the connection"));
  });
  return gone.signal;
}
