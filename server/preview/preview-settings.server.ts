import type { KilnConfig } from "../config.server";
import type { PreviewSettings } from "../../machines/preview-settings";

/** The preview settings a page sends to the browser: public ones only, never keys or provider URLs. */
export function previewSettings(config: KilnConfig): PreviewSettings {
  return { mode: config.previewMode, bundlerUrl: config.sandpackBundlerUrl, timeoutMs: config.previewTimeoutMs };
}
