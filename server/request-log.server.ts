/**
 * Access logs: one JSON line per HTTP request, written when its response has finished (or the client
 * left first). Only the path is logged, never the query string, and every free-text value goes
 * through `redactSecrets`, so a key pasted into a URL or a header never reaches the log.
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Logger } from "./logger.server";
import { redactSecrets } from "./redact-secrets";

export { REDACTED, redactSecrets } from "./redact-secrets";

export interface RequestLogOptions {
  /** Header carrying a request id from the load balancer or proxy, logged when present. */
  requestIdHeader?: string;
}

/**
 * Express middleware; mount it first (before compression), so `bytes` counts what went on the wire.
 * Fields: method, path, status, durationMs, bytes, ip, requestId (when the header is present) and
 * `aborted: true` when the client closed the connection before the response finished. A client that
 * left before any header went out is logged with status 499 (nginx's "client closed request").
 */
export function requestLog(logger: Logger, { requestIdHeader = "x-request-id" }: RequestLogOptions = {}): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const startedAt = performance.now();
    let bytes = 0;
    const count = (chunk: unknown, encoding?: unknown) => {
      if (typeof chunk === "string")
        bytes += Buffer.byteLength(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
      else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
    };
    const write = res.write;
    const end = res.end;
    res.write = function (this: Response, chunk: unknown, ...rest: unknown[]) {
      count(chunk, rest[0]);
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Response["write"];
    res.end = function (this: Response, chunk?: unknown, ...rest: unknown[]) {
      if (typeof chunk !== "function") count(chunk, rest[0]);
      return (end as (...args: unknown[]) => Response).call(this, chunk, ...rest);
    } as Response["end"];

    let logged = false;
    const log = () => {
      if (logged) return;
      logged = true;
      const aborted = !res.writableFinished;
      const status = aborted && !res.headersSent ? 499 : res.statusCode;
      const requestId = req.get(requestIdHeader);
      const line = {
        method: req.method,
        path: redactSecrets(pathOf(req.originalUrl ?? req.url)),
        status,
        durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
        bytes,
        ip: req.ip,
        ...(requestId ? { requestId: redactSecrets(requestId.slice(0, 200)) } : {}),
        ...(aborted ? { aborted: true } : {}),
      };
      if (status >= 500) logger.error(line, "http request");
      else logger.info(line, "http request");
    };
    res.once("finish", log);
    res.once("close", log);
    next();
  };
}

/** The path of a request target, without query string or fragment. */
export function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return (end === -1 ? url : url.slice(0, end)) || "/";
}
