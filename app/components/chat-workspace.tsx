import { useActorRef, useSelector } from "@xstate/react";
import type { InspectionEvent, Observer } from "xstate";
import { useStatechartInspector } from "~/hooks/use-statechart-inspector";
import { chatMachine } from "../../machines/chat.machine";
import { selectIsActive, selectPreviewCode } from "../../machines/chat.selectors";
import type { ModelInfo } from "~/lib/model-info";
import { AppPreview, type PreviewSettings } from "./app-preview";
import { ChatMessages } from "./chat-messages";
import { CodeView } from "./code-view";
import { ModelPicker } from "./model-picker";
import { PromptBox } from "./prompt-box";
import { SetupNotice } from "./setup-notice";
import { StatusLine } from "./status-line";

const EXAMPLES = [
  "A pomodoro timer with a dark theme",
  "A budget tracker with a pie chart of spending by category",
  "A tic-tac-toe game against a simple AI",
  "A habit tracker with a weekly grid",
];

/**
 * Owns the chat machine for this page and lays out its views: the start screen until the first
 * prompt, then the conversation beside the code and the preview.
 */
type WorkspaceProps = { models: ModelInfo[]; defaultModel: string; preview: PreviewSettings };

export function ChatWorkspace(props: WorkspaceProps) {
  const inspect = useStatechartInspector();
  return inspect === "pending" ? null : <Workspace {...props} inspect={inspect} />;
}

function Workspace({ models, defaultModel, preview, inspect }: WorkspaceProps & { inspect?: Observer<InspectionEvent> }) {
  const chat = useActorRef(chatMachine, { input: { model: defaultModel }, inspect });
  const started = useSelector(chat, (s) => s.context.messages.length > 0 || !s.matches("idle"));
  const input = useSelector(chat, (s) => s.context.input);
  const model = useSelector(chat, (s) => s.context.model);
  const active = useSelector(chat, selectIsActive);
  const previewCode = useSelector(chat, selectPreviewCode);
  const configured = models.some((m) => m.available);
  const modelAvailable = models.some((m) => m.id === model && m.available);

  const picker = <ModelPicker models={models} value={model} onChange={(id) => chat.send({ type: "SELECT_MODEL", model: id })} />;

  if (!started) {
    return (
      <main className="home">
        <header className="home-header">
          <h1>
            <span aria-hidden="true">🔥</span> Kiln
          </h1>
          <p>Describe an app. Watch it being written, then use it.</p>
        </header>
        {!configured && <SetupNotice />}
        <PromptBox
          label="Describe your app"
          placeholder="A pomodoro timer with a dark theme…"
          value={input}
          onChange={(text) => chat.send({ type: "TYPE", text })}
          onSubmit={() => chat.send({ type: "SUBMIT" })}
          disabled={!modelAvailable}
        >
          {picker}
        </PromptBox>
        <ul className="examples" aria-label="Examples">
          {EXAMPLES.map((example) => (
            <li key={example}>
              <button type="button" onClick={() => chat.send({ type: "TYPE", text: example })}>
                {example}
              </button>
            </li>
          ))}
        </ul>
      </main>
    );
  }

  return (
    <main className="workspace">
      <section className="chat-column" aria-label="Chat">
        <header className="chat-header">
          <a href="/" className="brand">
            🔥 Kiln
          </a>
          {picker}
        </header>
        <ChatMessages chat={chat} />
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
        <CodeView chat={chat} />
        <AppPreview code={previewCode} settings={preview} />
      </section>
    </main>
  );
}
