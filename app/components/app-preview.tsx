import { lazy, Suspense, useEffect, useState } from "react";

export interface PreviewSettings {
  /** A self-hosted Sandpack bundler, or undefined for Sandpack's hosted one. */
  bundlerUrl?: string;
  /** How long to wait for the bundler before declaring it unreachable. */
  timeoutMs: number;
}

// Sandpack is large: it loads only once there is code to preview, never with the home page.
const SandpackAppPreview = lazy(() => import("./sandpack-app-preview"));

/**
 * The live preview of a complete version; client-only (Sandpack needs the DOM). `onFix`, when given,
 * offers to send an error the preview reports back to the model as a follow-up.
 */
export function AppPreview({
  code,
  settings,
  onFix,
}: {
  code: string | null;
  settings: PreviewSettings;
  onFix?: (error: string) => void;
}) {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return (
    <section className="preview" aria-label="Preview">
      <header className="panel-header">
        <span>Preview</span>
      </header>
      <div className="preview-body">
        {!code ? (
          <p className="preview-placeholder">The app appears here once its code is complete.</p>
        ) : mounted ? (
          <Suspense fallback={<p className="preview-placeholder">Loading the preview…</p>}>
            <SandpackAppPreview code={code} settings={settings} onFix={onFix} />
          </Suspense>
        ) : null}
      </div>
    </section>
  );
}
