/**
 * Security headers for every response, above all a Content-Security-Policy allowing exactly what Kiln
 * and its preview need. Scripts run only from Kiln's origin or with this response's nonce (Remix's
 * inline scripts get it through app/entry.server.tsx). The preview is the one thing a page may
 * frame: Kiln's own frame page (`/preview/frame`, with a policy of its own, `framePolicyHeaders`), or
 * in Sandpack mode the bundler's cross-origin page. docs/security.md lists every source and why.
 */
import { randomBytes } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";

/**
 * Sandpack's hosted bundler: `https://2-19-8-sandpack.codesandbox.io/` today. The version is part of
 * the host name (and a team id or a service-worker suffix can be prepended/added), so the policy allows
 * CodeSandbox's subdomains rather than one host that changes with every Sandpack upgrade.
 */
export const HOSTED_BUNDLER_SOURCE = "https://*.codesandbox.io";

export interface SecurityHeadersOptions {
  /** KILN_PREVIEW: what the preview frame is, Kiln's own page (`local`) or Sandpack's bundler. */
  previewMode?: "local" | "sandpack";
  /** KILN_SANDPACK_BUNDLER_URL: in Sandpack mode, its origin replaces the hosted bundler in frame-src. */
  bundlerUrl?: string;
  /** False in development: Vite's HMR client needs its WebSocket (another port in middleware mode). */
  production: boolean;
}

declare global {
  // Express types its `res.locals` through this global namespace: augmenting it is the only way.
  // eslint-disable-next-line @typescript-eslint/no-namespace -- the shape Express's own typings use
  namespace Express {
    interface Locals {
      /** This response's CSP nonce (base64 of 16 random bytes); hand it to Remix as `cspNonce`. */
      cspNonce: string;
    }
  }
}

/** The frame-src source for the preview: the configured bundler's origin, or Sandpack's hosted one. */
export function bundlerSource(bundlerUrl?: string): string {
  if (!bundlerUrl) return HOSTED_BUNDLER_SOURCE;
  return new URL(bundlerUrl).origin;
}

/** The Content-Security-Policy header value for one response. */
export function contentSecurityPolicy({
  nonce,
  bundlerUrl,
  production,
  previewMode = "local",
}: SecurityHeadersOptions & { nonce: string }): string {
  // Development only: Vite's client opens ws://<host>:24678 (middleware mode runs HMR on its own
  // port), which 'self' does not cover. Its modules and the React refresh preamble are loaded by
  // Remix's nonce'd module script, so script-src needs nothing more than in production.
  const devConnect = production ? [] : ["ws:", "wss:"];
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    ["script-src", "'self'", `'nonce-${nonce}'`],
    // Sandpack's styles (stitches) and React's style attributes are injected at run time.
    ["style-src", "'self'", "'unsafe-inline'"],
    ["img-src", "'self'", "data:", "blob:"],
    ["font-src", "'self'", "data:"],
    ["connect-src", "'self'", ...devConnect],
    // The preview iframe, and nothing else: Kiln's frame page, or Sandpack's cross-origin bundler.
    ["frame-src", previewMode === "local" ? "'self'" : bundlerSource(bundlerUrl)],
    ["worker-src", "'self'", "blob:"],
    ["object-src", "'none'"],
    ["base-uri", "'self'"],
    ["form-action", "'self'"],
    ["frame-ancestors", "'none'"],
  ];
  return directives.map((parts) => parts.join(" ")).join("; ");
}

/** Express middleware: a fresh nonce in `res.locals.cspNonce` and the security headers, per request. */
export function securityHeaders(options: SecurityHeadersOptions): RequestHandler {
  // Fail at start-up, not on the first request, when the bundler URL cannot be parsed.
  bundlerSource(options.bundlerUrl);
  return (_req: Request, res: Response, next: NextFunction) => {
    const nonce = randomBytes(16).toString("base64");
    res.locals.cspNonce = nonce;
    res.setHeader("Content-Security-Policy", contentSecurityPolicy({ ...options, nonce }));
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "strict-origin-when-cross-origin");
    // For browsers without frame-ancestors.
    res.setHeader("X-Frame-Options", "DENY");
    // Popups Kiln opens cannot reach back into it. Not Cross-Origin-Embedder-Policy: it would block
    // the bundler iframe, which sends no CORP/COEP headers of its own.
    res.setHeader("Cross-Origin-Opener-Policy", crossOriginOpenerPolicy(options.production));
    res.setHeader("Permissions-Policy", PERMISSIONS_POLICY);
    next();
  };
}

/**
 * `same-origin` in production. In development, Stately's inspector (`?inspect`) is a popup on
 * stately.ai that talks to the page through `window.opener`, which `same-origin` would cut; pages
 * that open no popup are unaffected (docs/decisions/012-offline-inspector.md).
 */
export function crossOriginOpenerPolicy(production: boolean): string {
  return production ? "same-origin" : "same-origin-allow-popups";
}

/** Kiln needs no device and no location; neither does the preview it frames (the policy covers frames). */
export const PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), usb=(), payment=(), display-capture=()";

/**
 * The frame page's policy. The generated app runs there, in an opaque origin (the iframe's sandbox
 * has no allow-same-origin): scripts only from Kiln's origin ('self' is the frame URL's origin) plus
 * the eval the runtime uses to run the compiled app; no network at all (`connect-src 'none'`), no
 * form posts, no plugins, nothing from other origins. Only Kiln's pages may frame it.
 */
export function frameContentSecurityPolicy(): string {
  const directives: [string, ...string[]][] = [
    ["default-src", "'none'"],
    ["script-src", "'self'", "'unsafe-eval'"],
    // Tailwind's generated stylesheet and React's style attributes are injected at run time.
    ["style-src", "'self'", "'unsafe-inline'"],
    // Images and fonts an app makes itself (data:/blob: URLs, e.g. a canvas export); none from the network.
    ["img-src", "'self'", "data:", "blob:"],
    ["font-src", "'self'", "data:"],
    ["media-src", "'self'", "data:", "blob:"],
    ["connect-src", "'none'"],
    ["worker-src", "'none'"],
    ["frame-src", "'none'"],
    ["object-src", "'none'"],
    ["base-uri", "'none'"],
    ["form-action", "'none'"],
    ["frame-ancestors", "'self'"],
  ];
  return directives.map((parts) => parts.join(" ")).join("; ");
}

/** The headers of the frame page itself (its scripts are plain static assets). */
export function framePolicyHeaders(): Record<string, string> {
  return {
    "Content-Security-Policy": frameContentSecurityPolicy(),
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
  };
}
