import { useActorRef } from "@xstate/react";
import { useEffect } from "react";
import { fromPromise } from "xstate";
import type { PreviewError } from "../../../machines/preview-protocol";
import { previewMachine } from "../../../machines/preview.machine";
import { diagnoseLocalRuntime } from "./diagnose-local-runtime";
import { HOSTED_BUNDLER_URL, type PreviewSettings } from "../../../machines/preview-settings";

export interface ShownVersion {
  number: number;
  code: string;
  fromFix: boolean;
  /** The chat allows the bounded automatic fix for this version. */
  autoFixable: boolean;
}

/**
 * The preview machine of one page, fed with the version the chat machine says to run. `onFix` gets
 * the machine's fix requests (automatic or from the Fix button); the share page passes none.
 */
export function usePreview({
  settings,
  version,
  chatBusy = false,
  onFix,
}: {
  settings: PreviewSettings;
  version: ShownVersion | null;
  chatBusy?: boolean;
  onFix?: (request: { error: PreviewError; auto: boolean }) => void;
}) {
  const preview = useActorRef(
    previewMachine.provide({
      actors: {
        diagnose: fromPromise(async () =>
          settings.mode === "local"
            ? diagnoseLocalRuntime()
            : `cannot reach the bundler at ${settings.bundlerUrl ?? HOSTED_BUNDLER_URL}`,
        ),
      },
    }),
    { input: { startTimeoutMs: settings.timeoutMs } },
  );

  useEffect(() => {
    if (!version) preview.send({ type: "CLEAR" });
    else {
      const { number, code, fromFix, autoFixable } = version;
      preview.send({ type: "SHOW", version: number, files: { "/App.tsx": code }, fromFix, autoFixable });
    }
  }, [preview, version?.number, version?.code, version?.fromFix, version?.autoFixable]);

  useEffect(() => preview.send({ type: "CHAT_BUSY", busy: chatBusy }), [preview, chatBusy]);

  useEffect(() => {
    if (!onFix) return;
    const subscription = preview.on("fix", ({ error, auto }) => onFix({ error, auto }));
    return () => subscription.unsubscribe();
  }, [preview, onFix]);

  return preview;
}
