/**
 * Prometheus metrics (prom-client) for `GET /metrics`: chat requests by provider/model/outcome, time to
 * the first delta, stream duration, retries, fallbacks, open streams and HTTP requests, plus Node's
 * default process metrics. Each `createMetrics()` has its own Registry (never prom-client's global
 * one), so tests and several apps in one process do not collide.
 *
 * Off unless KILN_METRICS=on or KILN_METRICS_TOKEN is set (docs/configuration.md); with a token, a
 * scrape must send `Authorization: Bearer <token>`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Seconds: first deltas usually land in 0.2–5 s, whole answers in 5–60 s. */
export const CHAT_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60];

export interface MetricsOptions {
  /**
   * Reads the number of open chat streams at scrape time (e.g. `() => services.openStreams.size`).
   * When given, the `kiln_open_streams` gauge comes from it and `startChat()` leaves the gauge alone;
   * otherwise `startChat()`/`end()` count streams up and down.
   */
  openStreams?: () => number;
  /** Node's default process metrics (CPU, memory, event loop lag, GC…). Default true. */
  defaultMetrics?: boolean;
}

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const readOpenStreams = options.openStreams;

  const metrics = {
    registry,
    chatRequests: new Counter({
      name: "kiln_chat_requests_total",
      help: "Chat streams relayed, by the provider and model that answered last and how the stream ended (done, an error code, client_closed).",
      labelNames: ["provider", "model", "outcome"] as const,
      registers,
    }),
    firstDelta: new Histogram({
      name: "kiln_chat_first_delta_seconds",
      help: "Time from accepting a chat request to the first piece of the answer.",
      labelNames: ["provider", "model"] as const,
      buckets: CHAT_SECONDS_BUCKETS,
      registers,
    }),
    duration: new Histogram({
      name: "kiln_chat_duration_seconds",
      help: "Time from accepting a chat request to the end of its stream.",
      labelNames: ["provider", "model", "outcome"] as const,
      buckets: CHAT_SECONDS_BUCKETS,
      registers,
    }),
    retries: new Counter({
      name: "kiln_chat_retries_total",
      help: "Provider calls retried, by provider and the failure code that caused the retry.",
      labelNames: ["provider", "reason"] as const,
      registers,
    }),
    fallbacks: new Counter({
      name: "kiln_chat_fallbacks_total",
      help: "Chat requests handed from a failing provider to the next one in KILN_FALLBACK.",
      labelNames: ["from", "to"] as const,
      registers,
    }),
    openStreams: new Gauge({
      name: "kiln_open_streams",
      help: "Chat streams being relayed right now.",
      registers,
      ...(readOpenStreams
        ? {
            collect(this: Gauge) {
              this.set(readOpenStreams());
            },
          }
        : {}),
    }),
    httpRequests: new Counter({
      name: "kiln_http_requests_total",
      help: "HTTP requests answered, by method, route pattern (never the raw path) and status.",
      labelNames: ["method", "route", "status"] as const,
      registers,
    }),
    /**
     * Starts measuring one chat stream (call it when the relay starts streaming; refusals before that
     * are counted by `kiln_http_requests_total` only). `end()` is idempotent, so it is safe in `finally`.
     */
    startChat(): ChatObservation {
      const startedAt = performance.now();
      const seconds = () => (performance.now() - startedAt) / 1000;
      let sawFirstDelta = false;
      let ended = false;
      if (!readOpenStreams) metrics.openStreams.inc();
      return {
        firstDelta(provider, model) {
          if (sawFirstDelta || ended) return;
          sawFirstDelta = true;
          metrics.firstDelta.observe({ provider, model }, seconds());
        },
        retry(provider, reason) {
          metrics.retries.inc({ provider, reason });
        },
        fallback(from, to) {
          metrics.fallbacks.inc({ from, to });
        },
        end({ provider, model, outcome }) {
          if (ended) return;
          ended = true;
          if (!readOpenStreams) metrics.openStreams.dec();
          metrics.chatRequests.inc({ provider, model, outcome });
          metrics.duration.observe({ provider, model, outcome }, seconds());
        },
      };
    },
  };
  return metrics;
}

export interface ChatObservation {
  /** The first delta of the answer (only the first call counts). */
  firstDelta(provider: string, model: string): void;
  /** A `retry` event: `reason` is the failure code. */
  retry(provider: string, reason: string): void;
  /** A `fallback` event. */
  fallback(from: string, to: string): void;
  /** The stream ended: `outcome` is `done`, the error code, `client_closed`… Only the first call counts. */
  end(result: { provider: string; model: string; outcome: string }): void;
}

/**
 * `route` label for kiln_http_requests_total: the route pattern, so ids never become label values
 * (one time series per chat would grow without bound). Remix's single-fetch data requests
 * (`/chats/x.data`, `/_root.data`) count under their page's route.
 */
export function routeLabel(path: string): string {
  let p = path.split("?")[0] || "/";
  if (p === "/_root.data") p = "/";
  else if (p.endsWith(".data")) p = p.slice(0, -".data".length);
  if (p.length > 1) p = p.replace(/\/+$/, "");
  if (STATIC_ROUTES.has(p)) return p;
  if (p.startsWith("/assets/")) return "/assets/*";
  for (const [pattern, route] of DYNAMIC_ROUTES) if (pattern.test(p)) return route;
  if (/^\/[^/]+\.[a-z0-9]+$/i.test(p)) return "static"; // favicon.svg, robots.txt… from build/client
  return "other";
}

const STATIC_ROUTES = new Set([
  "/",
  "/api/chat",
  "/api/chats",
  "/api/models",
  "/api/shares",
  "/healthz",
  "/readyz",
  "/metrics",
  "/__manifest",
]);
const DYNAMIC_ROUTES: [RegExp, string][] = [
  [/^\/chats\/[^/]+$/, "/chats/:id"],
  [/^\/share\/[^/]+$/, "/share/:id"],
];

/** Counts every HTTP request in kiln_http_requests_total once its response is finished (or abandoned). */
export function httpMetrics(metrics: Pick<Metrics, "httpRequests">): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let counted = false;
    const count = () => {
      if (counted) return;
      counted = true;
      // Closed before any header went out: the client left first (nginx's 499).
      const status = !res.writableFinished && !res.headersSent ? 499 : res.statusCode;
      metrics.httpRequests.inc({ method: req.method, route: routeLabel(req.originalUrl ?? req.url), status: String(status) });
    };
    res.once("finish", count);
    res.once("close", count);
    next();
  };
}

export interface MetricsEndpointOptions {
  enabled: boolean;
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string;
}

/** `GET /metrics`: 404 when metrics are off, 401 without the configured token, else the exposition text. */
export function metricsHandler(metrics: Pick<Metrics, "registry">, { enabled, token }: MetricsEndpointOptions): RequestHandler {
  const expected = token ? digest(token) : undefined;
  return async (req: Request, res: Response) => {
    res.setHeader("Cache-Control", "no-store");
    if (!enabled) {
      res.status(404).json({ error: { code: "not_found", message: "There is nothing at this address." } });
      return;
    }
    if (expected) {
      const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.get("authorization") ?? "")?.[1];
      // Hashing first gives both sides one length, so the comparison takes the same time whatever was sent.
      if (!presented || !timingSafeEqual(digest(presented), expected)) {
        res
          .status(401)
          .setHeader("WWW-Authenticate", 'Bearer realm="kiln-metrics"')
          .json({ error: { code: "unauthorized", message: "Send the metrics token as Authorization: Bearer <token>." } });
        return;
      }
    }
    try {
      const text = await metrics.registry.metrics();
      // res.end, not res.send: send would rewrite the content type's parameters.
      res.status(200).setHeader("Content-Type", metrics.registry.contentType);
      res.end(text);
    } catch {
      res.status(500).json({ error: { code: "metrics_failed", message: "Kiln could not collect its metrics." } });
    }
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
