import { useNavigate } from "@remix-run/react";
import { useActorRef, useSelector } from "@xstate/react";
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { ActorRefFrom, InspectionEvent, Observer } from "xstate";
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
import { FollowUpBox } from "./follow-up-box";
import { StatusLine } from "./status-line";

export interface ChatScreenProps {
  chat: { id: string; title: string; model: string };
  /** The chat belongs to this browser (or identity): it may add turns and share; others only read and copy. */
  owned: boolean;
  messages: ChatMessage[];
  models: ModelInfo[];
  preview: PreviewSettings;
  /** The chat's last turn is being answered on the server: the page attaches to it. */
  generation?: { id: string };
  /** Largest image a prompt may carry (KILN_MAX_IMAGE_BYTES). */
  maxImageBytes?: number;
  /** The prompt typed on the home page (with its images, already uploaded), sent once when the new chat opens. */
  initialPrompt?: { prompt: string; model?: string; images?: string[] };
}

export function ChatScreen(props: ChatScreenProps) {
  const inspector = useStatechartInspector();
  return (
    <>
      <Workspace {...props} inspect={inspector?.inspect} />
      {inspector?.Panel && <inspector.Panel />}
    </>
  );
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
  generation,
  maxImageBytes,
  inspect,
}: ChatScreenProps & { inspect?: Observer<InspectionEvent> }) {
  const chat = useActorRef(chatMachine, {
    input: { model: initialPrompt?.model ?? saved.model, chatId: saved.id, messages, attachTo: generation?.id },
    inspect,
  });
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
    inspect,
  });

  useEffect(() => {
    rememberChat(browserStorage(), { id: saved.id, title: saved.title });
    if (initialPrompt && messages.length === 0) {
      chat.send({ type: "SUBMIT", prompt: initialPrompt.prompt, images: initialPrompt.images });
      // Sent once: a reload of this page must not send the prompt again.
      window.history.replaceState({ ...window.history.state, usr: null }, "");
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per page: the machine and the saved chat belong to this mount; a re-run would send the first prompt twice
  }, []);

  // Below 800 px the workspace shows one of chat, code and preview at a time, under a tab bar.
  const { tab, selectTab, newVersion, tabPanel } = useWorkspaceTabs(chat);

  return (
    <main className="workspace">
      <WorkspaceTabs tab={tab} onSelect={selectTab} newVersion={newVersion} />
      <section className="chat-column" aria-label="Chat" {...tabPanel("chat")}>
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
          <FollowUpBox chat={chat} chatId={saved.id} models={models} maxImageBytes={maxImageBytes} busy={active} />
        ) : (
          <ForkNotice chat={saved} model={model} />
        )}
      </section>
      <section className="output-column">
        <div className="workspace-panel" {...tabPanel("code")}>
          <CodeView chat={chat} chatId={owned ? saved.id : undefined} title={saved.title} />
        </div>
        {/* Hidden by CSS on the other tabs, never unmounted: that would reload the running app. */}
        <div className="workspace-panel" {...tabPanel("preview")}>
          <AppPreview preview={preview} settings={previewSettings} canFix={owned && !active && modelAvailable} />
        </div>
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

const WORKSPACE_TABS = [
  { id: "chat", label: "Chat" },
  { id: "code", label: "Code" },
  { id: "preview", label: "Preview" },
] as const;
type WorkspaceTab = (typeof WORKSPACE_TABS)[number]["id"];

/**
 * Which panel a narrow window shows: view state of this page, not chat state. A version that finishes
 * while the preview is out of sight puts a dot on its tab rather than switching to it.
 */
function useWorkspaceTabs(chat: ActorRefFrom<typeof chatMachine>) {
  const narrow = useNarrowWindow();
  const [tab, setTab] = useState<WorkspaceTab>("chat");
  const versionCount = useSelector(chat, (s) => s.context.versions.length);
  const [seenVersions, setSeenVersions] = useState(versionCount);
  // Versions made with the preview in sight (or in a wide window, where it always is) count as seen.
  if ((tab === "preview" || !narrow) && seenVersions !== versionCount) setSeenVersions(versionCount);
  const selectTab = (next: WorkspaceTab) => {
    if (tab === "preview" || next === "preview") setSeenVersions(versionCount);
    setTab(next);
  };
  /** A panel's attributes: in a narrow window it is hidden by CSS (still laid out) unless its tab is selected. */
  const tabPanel = (name: WorkspaceTab) => ({
    id: `workspace-panel-${name}`,
    "data-tab-hidden": tab !== name || undefined,
    ...(narrow && { role: "tabpanel", "aria-labelledby": `workspace-tab-${name}` }),
  });
  return { tab, selectTab, newVersion: narrow && tab !== "preview" && versionCount > seenVersions, tabPanel };
}

/** The same width as the narrow-window section of app/styles.css, where the tab bar shows. */
const NARROW_WINDOW = "(max-width: 799.98px)";

/** Whether the window is narrow; false on the server and while hydrating (CSS lays out the first paint). */
function useNarrowWindow(): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const query = window.matchMedia(NARROW_WINDOW);
      query.addEventListener("change", onChange);
      return () => query.removeEventListener("change", onChange);
    },
    () => window.matchMedia(NARROW_WINDOW).matches,
    () => false,
  );
}

/**
 * The tab bar of a narrow window (hidden by CSS above 800 px): Chat · Code · Preview, a WAI-ARIA tablist
 * whose arrows, Home and End move between tabs and select them; a dot on Preview marks a version not yet seen.
 */
function WorkspaceTabs({
  tab,
  onSelect,
  newVersion,
}: {
  tab: WorkspaceTab;
  onSelect: (tab: WorkspaceTab) => void;
  newVersion: boolean;
}) {
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const onKeyDown = (event: React.KeyboardEvent, index: number) => {
    const last = WORKSPACE_TABS.length - 1;
    const next =
      event.key === "ArrowRight"
        ? (index + 1) % WORKSPACE_TABS.length
        : event.key === "ArrowLeft"
          ? (index + last) % WORKSPACE_TABS.length
          : event.key === "Home"
            ? 0
            : event.key === "End"
              ? last
              : undefined;
    if (next === undefined) return;
    event.preventDefault();
    onSelect(WORKSPACE_TABS[next].id);
    buttons.current[next]?.focus();
  };
  return (
    <div className="workspace-tabs" role="tablist" aria-label="Workspace">
      {WORKSPACE_TABS.map(({ id, label }, index) => (
        <button
          key={id}
          ref={(element) => {
            buttons.current[index] = element;
          }}
          type="button"
          role="tab"
          id={`workspace-tab-${id}`}
          aria-selected={tab === id}
          aria-controls={`workspace-panel-${id}`}
          tabIndex={tab === id ? 0 : -1}
          onClick={() => onSelect(id)}
          onKeyDown={(event) => onKeyDown(event, index)}
        >
          {label}
          {id === "preview" && newVersion && (
            <>
              <span className="tab-dot" data-testid="new-version-dot" aria-hidden="true" />
              <span className="visually-hidden"> (new version)</span>
            </>
          )}
        </button>
      ))}
    </div>
  );
}
