import { useActorRef } from "@xstate/react";
import { useEffect } from "react";
import { fromPromise, type InspectionEvent, type Observer } from "xstate";
import { APP_ENTRY, type PreviewError } from "../../../machines/preview-protocol";
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
  inspect,
}: {
  settings: PreviewSettings;
  version: ShownVersion | null;
  chatBusy?: boolean;
  onFix?: (request: { error: PreviewError; auto: boolean }) => void;
  /** The page's statechart inspector, in development (app/hooks/use-statechart-inspector.ts). */
  inspect?: Observer<InspectionEvent>;
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
    { input: { startTimeoutMs: settings.timeoutMs }, inspect },
  );

  // Compared field by field: the caller builds a new object on every render.
  const { number, code, fromFix, autoFixable } = version ?? {};
  useEffect(() => {
    if (number === undefined || code === undefined) preview.send({ type: "CLEAR" });
    else
      preview.send({
        type: "SHOW",
        version: number,
        files: { [APP_ENTRY]: code },
        fromFix: fromFix === true,
        autoFixable: autoFixable === true,
      });
  }, [preview, number, code, fromFix, autoFixable]);

  useEffect(() => preview.send({ type: "CHAT_BUSY", busy: chatBusy }), [preview, chatBusy]);

  useEffect(() => {
    if (!onFix) return;
    const subscription = preview.on("fix", ({ error, auto }) => onFix({ error, auto }));
    return () => subscription.unsubscribe();
  }, [preview, onFix]);

  return preview;
}
