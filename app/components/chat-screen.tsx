import { useActorRef, useSelector } from "@xstate/react";
import { useEffect } from "react";
import type { InspectionEvent, Observer } from "xstate";
import { useStatechartInspector } from "~/hooks/use-statechart-inspector";
import type { ModelInfo } from "~/lib/model-info";
import { browserStorage, rememberChat } from "~/lib/recent-chats";
import { chatMachine } from "../../machines/chat.machine";
import type { ChatMessage } from "../../machines/conversation";
import { selectCanRegenerate, selectIsActive, selectPreviewCode } from "../../machines/chat.selectors";
import { fixErrorPrompt } from "../../machines/versions";
import { AppPreview, type PreviewSettings } from "./app-preview";
import { ChatMessages } from "./chat-messages";
import { CodeView } from "./code-view";
import { ModelPicker } from "./model-picker";
import { PromptBox } from "./prompt-box";
import { StatusLine } from "./status-line";

export interface ChatScreenProps {
  chat: { id: string; title: string; model: string };
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
function Workspace({ chat: saved, messages, models, preview, initialPrompt, inspect }: ChatScreenProps & { inspect?: Observer<InspectionEvent> }) {
  const chat = useActorRef(chatMachine, {
    input: { model: initialPrompt?.model ?? saved.model, chatId: saved.id, messages },
    inspect,
  });
  const input = useSelector(chat, (s) => s.context.input);
  const model = useSelector(chat, (s) => s.context.model);
  const active = useSelector(chat, selectIsActive);
  const canRegenerate = useSelector(chat, selectCanRegenerate);
  const previewCode = useSelector(chat, selectPreviewCode);
  const modelAvailable = models.some((m) => m.id === model && m.available);

  useEffect(() => {
    rememberChat(browserStorage(), { id: saved.id, title: saved.title });
    if (initialPrompt && messages.length === 0) {
      chat.send({ type: "SUBMIT", prompt: initialPrompt.prompt });
      // Sent once: a reload of this page must not send the prompt again.
      window.history.replaceState({ ...window.history.state, usr: null }, "");
    }
    // Runs once per page: the machine and the saved chat belong to this mount.
    // eslint-disable-next-line react-hooks/exhaustive-deps
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
        {canRegenerate && (
          <div className="regenerate" role="status">
            This answer did not finish.{" "}
            <button type="button" className="primary" onClick={() => chat.send({ type: "RETRY" })} disabled={!modelAvailable}>
              Regenerate
            </button>
          </div>
        )}
        <StatusLine chat={chat} models={models} />
        <PromptBox
          label="Ask for a change"
          placeholder="Make the buttons bigger…"
          value={input}
          onChange={(text) => chat.send({ type: "TYPE", text })}
          onSubmit={() => chat.send({ type: "SUBMIT" })}
          disabled={active || !modelAvailable}
        />
      </section>
      <section className="output-column">
        <CodeView chat={chat} chatId={saved.id} />
        <AppPreview
          code={previewCode}
          settings={preview}
          onFix={active ? undefined : (error) => chat.send({ type: "SUBMIT", prompt: fixErrorPrompt(error) })}
        />
      </section>
    </main>
  );
}
