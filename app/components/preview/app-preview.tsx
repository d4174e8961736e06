import { shallowEqual, useSelector } from "@xstate/react";
import { lazy, Suspense, useEffect, useState } from "react";
import type { ActorRefFrom } from "xstate";
import { describePreviewError } from "../../../machines/preview-protocol";
import { selectPreviewView, type previewMachine } from "../../../machines/preview.machine";
import { LocalPreviewFrame } from "./local-preview-frame";
import type { PreviewSettings } from "../../../machines/preview-settings";

// Sandpack is large and optional (KILN_PREVIEW=sandpack): it loads only in that mode, once there is code.
const SandpackAppPreview = lazy(() => import("./sandpack-preview"));

/**
 * The preview pane: the running app and what the preview machine says about it (starting, failed
 * with the error and "Fix it", unavailable with the reason). `canFix` is false while the chat is
 * busy and on the share page, where nobody can ask for a fix.
 */
export function AppPreview({
  preview,
  settings,
  canFix = false,
}: {
  preview: ActorRefFrom<typeof previewMachine>;
  settings: PreviewSettings;
  canFix?: boolean;
}) {
  const view = useSelector(preview, selectPreviewView, shallowEqual);
  // The frames need the DOM; the server renders the pane without them.
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);

  return (
    <section className="preview" aria-label="Preview">
      <header className="panel-header">
        <span>Preview</span>
        {view.status === "loading" && <span className="muted">Starting the app…</span>}
      </header>
      {view.status === "failed" && view.error && (
        <div className="preview-error" role="alert" data-testid="preview-error">
          <pre>{describePreviewError(view.error)}</pre>
          {canFix && (
            <button type="button" className="primary" onClick={() => preview.send({ type: "FIX" })}>
              Fix it
            </button>
          )}
          <button type="button" onClick={() => preview.send({ type: "RELOAD" })}>
            Run again
          </button>
        </div>
      )}
      {view.status === "unavailable" && (
        <div className="preview-unavailable" role="alert" data-testid="preview-unavailable">
          <strong>Preview unavailable: {view.unavailableReason}</strong>
          <p>The code is complete and shown in the code view; copy it to run it elsewhere.</p>
          <button type="button" onClick={() => preview.send({ type: "RELOAD" })}>
            Try again
          </button>
        </div>
      )}
      <div className="preview-body" data-status={view.status}>
        {view.status === "idle" && <p className="preview-placeholder">The app appears here once its code is complete.</p>}
        {/* Kiln's own frames mount at once, idle included: a spare frame loads while the first answer streams. */}
        {mounted && settings.mode === "local" && <LocalPreviewFrame preview={preview} hidden={view.status === "idle"} />}
        {mounted && settings.mode === "sandpack" && view.status !== "idle" && (
          <Suspense fallback={<p className="preview-placeholder">Loading the preview…</p>}>
            <SandpackAppPreview preview={preview} settings={settings} />
          </Suspense>
        )}
      </div>
    </section>
  );
}
