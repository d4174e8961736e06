import { useNavigate } from "@remix-run/react";
import { useActorRef, useSelector } from "@xstate/react";
import { useCallback, useEffect, useState } from "react";
import type { InspectionEvent, Observer } from "xstate";
import { useStatechartInspector } from "~/hooks/use-statechart-inspector";
import type { ModelInfo } from "../../machines/model-info";
import { browserStorage, rememberChat } from "~/lib/recent-chats";
import { chatMachine } from "../../machines/chat.machine";
import type { ChatMessage } from "../../machines/conversation";
import { selectPreviewVersion } from "../../machines/chat.selectors";
import { describePreviewError, type PreviewError } from "../../machines/preview-protocol";
import { fixErrorPrompt } from "../../machines/versions";
import { AppPreview } from "./preview/app-preview";
import type { PreviewSettings } from "../../machines/preview-settings";
import { usePreview } from "./preview/use-preview";
import { ChatMessages } from "./chat-messages";
import { CodeView } from "./code-view";
import { ModelPicker } from "./model-picker";
import { PromptBox } from "./prompt-box";
import { StatusLine } from "./status-line";

export interface ChatScreenProps {
  chat: { id: string; title: string; model: string };
  /** The chat belongs to this browser (or identity): it may add turns and share; others only read and copy. */
  owned: boolean;
  messages: ChatMessage[];
  models: ModelInfo[];
  preview: PreviewSettings;
  /** The prompt typed on the home page, sent once when the new chat opens. */
  initialPrompt?: { prompt: string; model?: string };
}

export function ChatScreen(props: ChatScreenProps) {
  const inspect = useStatechartInspector();
  return inspect === "pending" ? null : <Workspace {...props} inspect={inspect} />;
}

/**
 * Owns the chat machine for this page and lays out its views: the conversation beside the code and
 * the preview.
 */
function Workspace({
  chat: saved,
  owned,
  messages,
  models,
  preview: previewSettings,
  initialPrompt,
  inspect,
}: ChatScreenProps & { inspect?: Observer<InspectionEvent> }) {
  const chat = useActorRef(chatMachine, {
    input: { model: initialPrompt?.model ?? saved.model, chatId: saved.id, messages },
    inspect,
  });
  const input = useSelector(chat, (s) => s.context.input);
  const model = useSelector(chat, (s) => s.context.model);
  const active = useSelector(chat, (s) => s.hasTag("active"));
  // Where a turn did not finish (`recoverable`) the status line offers Retry itself; anywhere else a
  // turn to repeat is a reopened chat whose last answer never finished, and this banner offers it.
  const canRegenerate = useSelector(chat, (s) => !s.hasTag("recoverable") && s.can({ type: "RETRY" }));
  const shownVersion = useSelector(
    chat,
    selectPreviewVersion,
    (a, b) => a?.number === b?.number && a?.code === b?.code && a?.latest === b?.latest,
  );
  const modelAvailable = models.some((m) => m.id === model && m.available);
  // The automatic fix is for versions made while this page is open, not for one found on reopening it.
  const [versionsAtOpen] = useState(() => chat.getSnapshot().context.versions.length);
  const askForFix = useCallback(
    ({ error, auto }: { error: PreviewError; auto: boolean }) =>
      chat.send({ type: "SUBMIT", prompt: fixErrorPrompt(describePreviewError(error)), autoFix: auto }),
    [chat],
  );
  const preview = usePreview({
    settings: previewSettings,
    version: shownVersion && {
      ...shownVersion,
      autoFixable: owned && shownVersion.latest && shownVersion.number > versionsAtOpen,
    },
    chatBusy: active,
    onFix: askForFix,
  });

  useEffect(() => {
    rememberChat(browserStorage(), { id: saved.id, title: saved.title });
    if (initialPrompt && messages.length === 0) {
      chat.send({ type: "SUBMIT", prompt: initialPrompt.prompt });
      // Sent once: a reload of this page must not send the prompt again.
      window.history.replaceState({ ...window.history.state, usr: null }, "");
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per page: the machine and the saved chat belong to this mount; a re-run would send the first prompt twice
  }, []);

  return (
    <main className="workspace">
      <section className="chat-column" aria-label="Chat">
        <header className="chat-header">
          <a href="/" className="brand">
            🔥 Kiln
          </a>
          <span className="chat-title" title={saved.title}>
            {saved.title}
          </span>
          <ModelPicker models={models} value={model} onChange={(id) => chat.send({ type: "SELECT_MODEL", model: id })} />
        </header>
        <ChatMessages chat={chat} />
        {owned && canRegenerate && (
          <div className="regenerate" role="status">
            This answer did not finish.{" "}
            <button type="button" className="primary" onClick={() => chat.send({ type: "RETRY" })} disabled={!modelAvailable}>
              Regenerate
            </button>
          </div>
        )}
        <StatusLine chat={chat} models={models} />
        {owned ? (
          <PromptBox
            label="Ask for a change"
            placeholder="Make the buttons bigger…"
            value={input}
            onChange={(text) => chat.send({ type: "TYPE", text })}
            onSubmit={() => chat.send({ type: "SUBMIT" })}
            disabled={active || !modelAvailable}
          />
        ) : (
          <ForkNotice chat={saved} model={model} />
        )}
      </section>
      <section className="output-column">
        <CodeView chat={chat} chatId={owned ? saved.id : undefined} />
        <AppPreview preview={preview} settings={previewSettings} canFix={owned && !active && modelAvailable} />
      </section>
    </main>
  );
}

/**
 * A chat opened from another browser's link: readable, not writable. "Continue in my own chat"
 * copies its conversation into a new chat this browser owns, and opens it.
 */
function ForkNotice({ chat, model }: { chat: { id: string; title: string }; model: string }) {
  const navigate = useNavigate();
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const fork = async () => {
    setState({ busy: true });
    try {
      const response = await fetch("/api/chats", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ model, title: chat.title, forkOf: chat.id }),
      });
      const body = (await response.json()) as { id?: string; error?: { message: string } };
      if (!response.ok || !body.id) throw new Error(body.error?.message ?? `Kiln answered ${response.status}.`);
      navigate(`/chats/${body.id}`);
    } catch (error) {
      setState({ busy: false, error: error instanceof Error ? error.message : String(error) });
    }
  };
  return (
    <div className="fork-notice" role="note" aria-label="Read-only chat">
      <p>This chat belongs to another browser: you can read it and run its versions, but not change it.</p>
      <button type="button" className="primary" onClick={() => void fork()} disabled={state.busy}>
        {state.busy ? "Copying…" : "Continue in my own chat"}
      </button>
      {state.error && <p className="fork-error">{state.error}</p>}
    </div>
  );
}
