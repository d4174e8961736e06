import { SandpackPreview, SandpackProvider, useSandpack } from "@codesandbox/sandpack-react";
import { useSelector } from "@xstate/react";
import { useEffect } from "react";
import type { ActorRefFrom } from "xstate";
import { ALLOWED_LIBRARIES } from "../../../machines/allowed-libraries";
import type { previewMachine } from "../../../machines/preview.machine";
import type { PreviewSettings } from "../../../machines/preview-settings";

const TAILWIND_CDN = "https://cdn.tailwindcss.com";
/** The same versions Kiln's own runtime serves (Sandpack's react-ts template would bring React 19). */
const DEPENDENCIES = Object.fromEntries(ALLOWED_LIBRARIES.map((library) => [library.name, library.version]));

/**
 * KILN_PREVIEW=sandpack: the app runs in Sandpack's bundler, which needs CodeSandbox's servers (or a
 * self-hosted bundler). It reports to the same preview machine as Kiln's own runtime; the machine's
 * start timeout, not Sandpack's, decides that the bundler cannot be reached.
 */
export default function SandpackAppPreview({
  preview,
  settings,
}: {
  preview: ActorRefFrom<typeof previewMachine>;
  settings: PreviewSettings;
}) {
  const run = useSelector(preview, (s) => s.context.run);
  if (!run) return null;
  return (
    <SandpackProvider
      key={run.id}
      template="react-ts"
      files={run.files}
      customSetup={{ dependencies: DEPENDENCIES }}
      options={{ bundlerURL: settings.bundlerUrl, externalResources: [TAILWIND_CDN], initMode: "immediate" }}
    >
      <SandpackReports preview={preview} runId={run.id} version={run.version} />
      <SandpackPreview className="sandpack-preview" showOpenInCodeSandbox={false} showRefreshButton style={{ height: "100%" }} />
    </SandpackProvider>
  );
}

/** Translates what Sandpack's bundler says into the preview machine's FRAME_* events. */
function SandpackReports({
  preview,
  runId,
  version,
}: {
  preview: ActorRefFrom<typeof previewMachine>;
  runId: number;
  version: number;
}) {
  const { sandpack, listen } = useSandpack();
  useEffect(
    () =>
      listen((message) => {
        preview.send({ type: "FRAME_READY", runId });
        if (message.type === "done" && !message.compilatonError) preview.send({ type: "FRAME_RENDERED", runId, version });
      }),
    [listen, preview, runId, version],
  );
  const error = sandpack.error?.message;
  useEffect(() => {
    if (error) preview.send({ type: "FRAME_ERROR", runId, version, kind: "runtime", message: error });
  }, [error, preview, runId, version]);
  return null;
}
