import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { frameContentSecurityPolicy, PERMISSIONS_POLICY } from "../security-headers.server";
import { previewFrameRoutes } from "./frame-routes.server";

const FRAME_HTML = `<!doctype html><html><head><script defer crossorigin="anonymous" src="assets/frame-ABC123.js"></script></head><body><div id="root"></div></body></html>`;
const FRAME_SCRIPT = `window.__ran = true;`;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A build dir as scripts/build-preview.ts leaves it, or an empty one (the runtime not built). */
function buildDir({ built }: { built: boolean }): string {
  const dir = mkdtempSync(join(tmpdir(), "kiln-preview-build-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  if (built) {
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "frame.html"), FRAME_HTML);
    writeFileSync(join(dir, "assets", "frame-ABC123.js"), FRAME_SCRIPT);
  }
  writeFileSync(join(dir, "secret.txt"), "outside assets/");
  return dir;
}

/** A real Express app with the frame routes, then a catch-all page standing in for Remix. */
async function serve(dir: string): Promise<string> {
  const app = express();
  app.use(previewFrameRoutes(dir));
  app.use((_req, res) => {
    res.type("html").send("<p>a Kiln page</p>");
  });
  const server: Server = app.listen(0, "127.0.0.1");
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise((resolve) => server.once("listening", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("GET /preview/frame", () => {
  it("answers 503 with one line saying to build, when the preview runtime is not built", async () => {
    const url = await serve(buildDir({ built: false }));
    const response = await fetch(`${url}/preview/frame`);
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const body = await response.text();
    expect(body).not.toContain("\n");
    expect(body).toMatch(/not built/);
    expect(body).toContain("npm run build");
    // Even the error page is locked down: it is what a Kiln page would frame.
    expect(response.headers.get("content-security-policy")).toBe(frameContentSecurityPolicy());
  });

  it("serves the built frame page with the frame's own CSP and Permissions-Policy, revalidated each time", async () => {
    const url = await serve(buildDir({ built: true }));
    const response = await fetch(`${url}/preview/frame`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await response.text()).toBe(FRAME_HTML);
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toBe(frameContentSecurityPolicy());
    expect(csp).toContain("connect-src 'none'");
    expect(csp).toContain("form-action 'none'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(response.headers.get("permissions-policy")).toBe(PERMISSIONS_POLICY);
    expect(response.headers.get("x-frame-options")).toBeNull();
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("cache-control")).toBe("no-cache");
  });

  it("serves a rebuilt frame page without a restart (development rebuilds while the server runs)", async () => {
    const dir = buildDir({ built: false });
    const url = await serve(dir);
    expect((await fetch(`${url}/preview/frame`)).status).toBe(503);
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "frame.html"), FRAME_HTML);
    const response = await fetch(`${url}/preview/frame`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(FRAME_HTML);
  });
});

describe("GET /preview/assets/*", () => {
  it("serves a fingerprinted script cached for a year as immutable, readable from the frame's opaque origin", async () => {
    const url = await serve(buildDir({ built: true }));
    const response = await fetch(`${url}/preview/assets/frame-ABC123.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/javascript/);
    expect(await response.text()).toBe(FRAME_SCRIPT);
    const cacheControl = response.headers.get("cache-control")!;
    expect(cacheControl).toContain("immutable");
    expect(cacheControl).toContain("max-age=31536000");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
  });

  it("answers 404 for a script that is not there, instead of handing it to the pages", async () => {
    const url = await serve(buildDir({ built: true }));
    const response = await fetch(`${url}/preview/assets/frame-OLDHASH.js`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain("a Kiln page");
  });

  it("does not serve a file outside assets/ through an encoded ../", async () => {
    const url = await serve(buildDir({ built: true }));
    for (const path of ["/preview/assets/..%2fsecret.txt", "/preview/assets/..%5csecret.txt"]) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(await response.text(), path).not.toContain("outside assets/");
    }
  });
});
