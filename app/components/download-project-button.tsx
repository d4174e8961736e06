import { useState } from "react";

/**
 * Downloads version `version` as a runnable Vite + React + Tailwind project (`<slug>-v<N>.zip`).
 * The ZIP code (app/lib/project-zip.ts, with fflate) loads on the first click, never with the page.
 */
export function DownloadProjectButton({
  code,
  title,
  version,
  disabled = false,
}: {
  code: string;
  title: string;
  version: number;
  disabled?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();

  async function download() {
    setBusy(true);
    setFailure(undefined);
    try {
      const { projectZip } = await import("../lib/project-zip");
      const zip = projectZip({ code, title, version });
      saveFile(zip.name, new Blob([zip.bytes], { type: "application/zip" }));
    } catch {
      // The only thing that fails here is loading the ZIP code (offline, or Kiln was redeployed).
      setFailure("The project could not be prepared: reload the page and try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button type="button" disabled={disabled || busy || !code} onClick={download}>
        Download project
      </button>
      {failure && (
        <span className="form-error" role="alert">
          {failure}
        </span>
      )}
    </>
  );
}

function saveFile(name: string, blob: Blob) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
