/**
 * The preview settings the server sends to each page (server/preview/preview-settings.server.ts):
 * public ones only, no keys, no provider URLs.
 */
export interface PreviewSettings {
  /** KILN_PREVIEW: Kiln's own runtime (`local`) or Sandpack's hosted or self-hosted bundler. */
  mode: "local" | "sandpack";
  /** Sandpack mode: a self-hosted bundler, or undefined for Sandpack's hosted one. */
  bundlerUrl?: string;
  /** How long the preview may take to start before it says it is unavailable. */
  timeoutMs: number;
}

/** Where Kiln serves the frame page of its own runtime (server/preview/frame-routes.server.ts). */
export const PREVIEW_FRAME_URL = "/preview/frame";

/** Sandpack's own hosted bundler, used unless KILN_SANDPACK_BUNDLER_URL names a self-hosted one. */
export const HOSTED_BUNDLER_URL = "https://2-19-8-sandpack.codesandbox.io/";
