import { SandpackPreview, SandpackProvider, useSandpack } from "@codesandbox/sandpack-react";
import { useEffect, useState } from "react";
import { PREVIEW_DEPENDENCIES } from "~/lib/preview-dependencies";
import type { PreviewSettings } from "./app-preview";

/** Sandpack's own hosted bundler, used unless KILN_SANDPACK_BUNDLER_URL names a self-hosted one. */
export const HOSTED_BUNDLER_URL = "https://2-19-8-sandpack.codesandbox.io/";
const TAILWIND_CDN = "https://cdn.tailwindcss.com";

export default function SandpackAppPreview({
  code,
  settings,
  onFix,
}: {
  code: string;
  settings: PreviewSettings;
  onFix?: (error: string) => void;
}) {
  return (
    <SandpackProvider
      template="react-ts"
      files={{ "/App.tsx": code }}
      customSetup={{ dependencies: PREVIEW_DEPENDENCIES }}
      options={{
        bundlerURL: settings.bundlerUrl,
        bundlerTimeOut: settings.timeoutMs,
        externalResources: [TAILWIND_CDN],
        initMode: "immediate",
      }}
    >
      <PreviewOrUnavailable bundlerUrl={settings.bundlerUrl ?? HOSTED_BUNDLER_URL} timeoutMs={settings.timeoutMs} />
      <PreviewError onFix={onFix} />
    </SandpackProvider>
  );
}

/**
 * Sandpack's own timeout does not always fire (it is skipped when a listener registered first), so
 * reachability is decided here: any message from the bundler proves it loaded; silence for
 * `timeoutMs` means it cannot be reached.
 */
function PreviewOrUnavailable({ bundlerUrl, timeoutMs }: { bundlerUrl: string; timeoutMs: number }) {
  const { sandpack, listen } = useSandpack();
  const [heardFromBundler, setHeardFromBundler] = useState(false);
  const [waitedLongEnough, setWaitedLongEnough] = useState(false);
  useEffect(() => listen(() => setHeardFromBundler(true)), [listen]);
  useEffect(() => {
    const timer = setTimeout(() => setWaitedLongEnough(true), timeoutMs);
    return () => clearTimeout(timer);
  }, [timeoutMs]);
  if (sandpack.status === "timeout" || (waitedLongEnough && !heardFromBundler)) {
    return (
      <div className="preview-unavailable" role="alert" data-testid="preview-unavailable">
        <strong>Preview unavailable: cannot reach the bundler at {bundlerUrl}</strong>
        <p>
          The code is complete and shown in the code view; copy it to run it elsewhere. To preview without internet access, host
          a Sandpack bundler and set <code>KILN_SANDPACK_BUNDLER_URL</code>.
        </p>
      </div>
    );
  }
  return <SandpackPreview className="sandpack-preview" showOpenInCodeSandbox={false} showRefreshButton style={{ height: "100%" }} />;
}

/** A compile or runtime error from the running app, with "Fix it": the error goes back as a follow-up. */
function PreviewError({ onFix }: { onFix?: (error: string) => void }) {
  const { sandpack } = useSandpack();
  const message = sandpack.error?.message;
  if (!message) return null;
  return (
    <div className="preview-error" role="alert" data-testid="preview-error">
      <pre>{message}</pre>
      {onFix && (
        <button type="button" className="primary" onClick={() => onFix(message)}>
          Fix it
        </button>
      )}
    </div>
  );
}
