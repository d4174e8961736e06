/**
 * Serves the preview runtime that scripts/build-preview.ts built into build/preview/: the frame page
 * at `/preview/frame`, with the frame's own security policy, and its fingerprinted scripts at
 * `/preview/assets/`, cached for good. Mounted before the page security headers, which would forbid
 * framing (X-Frame-Options: DENY) and apply the page CSP.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import express, { type Router } from "express";
import { framePolicyHeaders } from "../security-headers.server";

export const PREVIEW_BUILD_DIR = "build/preview";

export function previewFrameRoutes(buildDir = PREVIEW_BUILD_DIR): Router {
  const router = express.Router();
  const framePath = join(buildDir, "frame.html");
  // Read per request in development (the build may be redone while the server runs); it is small.
  router.get("/preview/frame", (_req, res) => {
    res.set(framePolicyHeaders());
    if (!existsSync(framePath)) {
      res.status(503).type("text/plain").send("The preview runtime is not built: run `npm run build`.");
      return;
    }
    // Revalidated each time: it names the current bundles.
    res.set("Cache-Control", "no-cache");
    res.type("html").send(readFileSync(framePath));
  });
  router.use(
    "/preview/assets",
    express.static(join(buildDir, "assets"), {
      immutable: true,
      maxAge: "1y",
      fallthrough: false,
      setHeaders: (res) => {
        // The frame is an opaque origin and loads these with crossorigin="anonymous": this header
        // lets it, and keeps the message and stack of errors thrown inside them readable.
        res.setHeader("Access-Control-Allow-Origin", "*");
        res.setHeader("X-Content-Type-Options", "nosniff");
        res.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
      },
    }),
  );
  return router;
}
