import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import {
  bundlerSource,
  contentSecurityPolicy,
  crossOriginOpenerPolicy,
  frameContentSecurityPolicy,
  framePolicyHeaders,
  HOSTED_BUNDLER_SOURCE,
  PERMISSIONS_POLICY,
  securityHeaders,
  type SecurityHeadersOptions,
} from "./security-headers.server";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A real Express app whose page echoes the nonce it was given, as Remix's entry does. */
async function serve(options: SecurityHeadersOptions): Promise<string> {
  const app = express();
  app.use(securityHeaders(options));
  app.get("/", (_req, res) => {
    res.type("html").send(`<script nonce="${res.locals.cspNonce}">1</script>`);
  });
  app.get("/api/thing", (_req, res) => {
    res.json({ ok: true });
  });
  const server = app.listen(0, "127.0.0.1");
  servers.push(server);
  await new Promise((resolve) => server.once("listening", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The CSP header as a map of directive → sources. */
function directives(csp: string | null): Map<string, string[]> {
  expect(csp).toBeTruthy();
  return new Map(
    csp!.split(";").map((part) => {
      const [name, ...sources] = part.trim().split(/\s+/);
      return [name, sources] as const;
    }),
  );
}

describe("securityHeaders", () => {
  it("sets the CSP and the other security headers on pages and API responses alike", async () => {
    const url = await serve({ production: true });
    for (const path of ["/", "/api/thing"]) {
      const response = await fetch(`${url}${path}`);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("cross-origin-opener-policy")).toBe("same-origin");
      expect(response.headers.get("cross-origin-embedder-policy")).toBeNull();
      expect(response.headers.get("permissions-policy")).toBe(PERMISSIONS_POLICY);
      const csp = directives(response.headers.get("content-security-policy"));
      expect(csp.get("default-src")).toEqual(["'self'"]);
      expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
      expect(csp.get("object-src")).toEqual(["'none'"]);
      expect(csp.get("base-uri")).toEqual(["'self'"]);
      expect(csp.get("form-action")).toEqual(["'self'"]);
      expect(csp.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
      expect(csp.get("img-src")).toEqual(["'self'", "data:", "blob:"]);
      expect(csp.get("font-src")).toEqual(["'self'", "data:"]);
      expect(csp.get("worker-src")).toEqual(["'self'", "blob:"]);
      expect(csp.get("connect-src")).toEqual(["'self'"]);
      // Kiln's own preview runtime, served from /preview/frame, is the only thing a page frames.
      expect(csp.get("frame-src")).toEqual(["'self'"]);
      // Production scripts: Kiln's own files and this response's inline scripts, nothing else.
      const scriptSrc = csp.get("script-src")!;
      expect(scriptSrc).toHaveLength(2);
      expect(scriptSrc[0]).toBe("'self'");
      expect(scriptSrc[1]).toMatch(/^'nonce-[A-Za-z0-9+/]{22}==?'$/);
      expect(scriptSrc.join(" ")).not.toMatch(/unsafe-(inline|eval)/);
    }
  });

  it("makes a fresh nonce per request, in res.locals.cspNonce and the CSP", async () => {
    const url = await serve({ production: true });
    const nonces = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const response = await fetch(url);
      const nonce = /nonce="([^"]+)"/.exec(await response.text())?.[1];
      expect(nonce).toBeTruthy();
      expect(Buffer.from(nonce!, "base64")).toHaveLength(16);
      expect(directives(response.headers.get("content-security-policy")).get("script-src")).toContain(`'nonce-${nonce}'`);
      nonces.add(nonce!);
    }
    expect(nonces.size).toBe(5);
  });

  it("frames Sandpack's hosted bundler, and no longer Kiln's own frame page, when KILN_PREVIEW=sandpack", async () => {
    const url = await serve({ production: true, previewMode: "sandpack" });
    const csp = directives((await fetch(url)).headers.get("content-security-policy"));
    expect(csp.get("frame-src")).toEqual([HOSTED_BUNDLER_SOURCE]);
  });

  it("frames only the configured bundler's origin in Sandpack mode with KILN_SANDPACK_BUNDLER_URL", async () => {
    const url = await serve({
      production: true,
      previewMode: "sandpack",
      bundlerUrl: "https://bundler.intra.example:8443/sandpack/index.html?x=1",
    });
    const csp = directives((await fetch(url)).headers.get("content-security-policy"));
    expect(csp.get("frame-src")).toEqual(["https://bundler.intra.example:8443"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
  });

  it("lets a popup keep its opener in development only, as Stately's inspector needs, and severs it in production", async () => {
    const development = await fetch(await serve({ production: false }));
    expect(development.headers.get("cross-origin-opener-policy")).toBe("same-origin-allow-popups");
    expect(crossOriginOpenerPolicy(false)).toBe("same-origin-allow-popups");
    const production = await fetch(await serve({ production: true }));
    expect(production.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(crossOriginOpenerPolicy(true)).toBe("same-origin");
  });

  it("lets Vite's HMR WebSocket connect in development, and nothing more", async () => {
    const url = await serve({ production: false });
    const csp = directives((await fetch(url)).headers.get("content-security-policy"));
    expect(csp.get("connect-src")).toEqual(["'self'", "ws:", "wss:"]);
    expect(csp.get("script-src")?.[0]).toBe("'self'");
    expect(csp.get("frame-src")).toEqual(["'self'"]);
  });
});

describe("contentSecurityPolicy", () => {
  it("is the documented production policy for Kiln's own preview runtime, the default", () => {
    expect(contentSecurityPolicy({ nonce: "NONCE", production: true })).toBe(
      "default-src 'self'; script-src 'self' 'nonce-NONCE'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self'; frame-src 'self'; worker-src 'self' blob:; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(contentSecurityPolicy({ nonce: "NONCE", production: true, previewMode: "local" })).toBe(
      contentSecurityPolicy({ nonce: "NONCE", production: true }),
    );
  });

  it("is the same policy with Sandpack's hosted bundler as the only frame in Sandpack mode", () => {
    expect(contentSecurityPolicy({ nonce: "NONCE", production: true, previewMode: "sandpack" })).toBe(
      "default-src 'self'; script-src 'self' 'nonce-NONCE'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self'; frame-src https://*.codesandbox.io; worker-src 'self' blob:; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  it("ignores a bundler URL in local mode: the page frames only Kiln's own origin", () => {
    const csp = directives(
      contentSecurityPolicy({ nonce: "N", production: true, previewMode: "local", bundlerUrl: "https://bundler.example/" }),
    );
    expect(csp.get("frame-src")).toEqual(["'self'"]);
  });

  it("uses a self-hosted bundler's origin, http included", () => {
    expect(bundlerSource("http://127.0.0.1:9000/")).toBe("http://127.0.0.1:9000");
    expect(bundlerSource(undefined)).toBe("https://*.codesandbox.io");
  });

  it("refuses, at start-up, a bundler URL it cannot parse", () => {
    expect(() => securityHeaders({ production: true, bundlerUrl: "not a url" })).toThrow();
  });
});

describe("frameContentSecurityPolicy: the page the generated app runs in", () => {
  const csp = directives(frameContentSecurityPolicy());

  it("gives the app no network at all: no fetch, XHR, WebSocket or EventSource, and no form posts", () => {
    expect(csp.get("connect-src")).toEqual(["'none'"]);
    expect(csp.get("form-action")).toEqual(["'none'"]);
  });

  it("allows nothing by default, and only Kiln's own scripts plus the eval that runs the compiled app", () => {
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("script-src")).toEqual(["'self'", "'unsafe-eval'"]);
    expect(csp.get("script-src")).not.toContain("'unsafe-inline'");
  });

  it("may be framed by Kiln's pages only, and frames, embeds and spawns nothing itself", () => {
    expect(csp.get("frame-ancestors")).toEqual(["'self'"]);
    expect(csp.get("frame-src")).toEqual(["'none'"]);
    expect(csp.get("worker-src")).toEqual(["'none'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
  });

  it("loads nothing from another origin: every source is a keyword or a data:/blob: URL", () => {
    const allowed = new Set(["'self'", "'none'", "'unsafe-eval'", "'unsafe-inline'", "data:", "blob:"]);
    for (const [directive, sources] of csp) {
      for (const source of sources) expect(allowed, `${directive} ${source}`).toContain(source);
    }
    expect(frameContentSecurityPolicy()).not.toMatch(/https?:|\*|codesandbox/);
  });
});

describe("framePolicyHeaders", () => {
  it("carries the frame's CSP and a Permissions-Policy that denies camera, microphone and location", () => {
    const headers = framePolicyHeaders();
    expect(headers["Content-Security-Policy"]).toBe(frameContentSecurityPolicy());
    expect(headers["Permissions-Policy"]).toBe(PERMISSIONS_POLICY);
    for (const feature of ["camera", "microphone", "geolocation"]) {
      expect(headers["Permissions-Policy"].split(/,\s*/)).toContain(`${feature}=()`);
    }
    expect(headers["X-Content-Type-Options"]).toBe("nosniff");
    expect(headers["Referrer-Policy"]).toBe("no-referrer");
  });

  it("does not forbid framing: the frame page must load inside Kiln's page", () => {
    const names = Object.keys(framePolicyHeaders()).map((name) => name.toLowerCase());
    expect(names).not.toContain("x-frame-options");
    expect(directives(framePolicyHeaders()["Content-Security-Policy"]).get("frame-ancestors")).not.toContain("'none'");
  });
});
