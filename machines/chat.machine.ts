/**
 * The chat statechart: the single owner of a chat's state. The UI renders what it holds (status line,
 * buttons, messages, code view) and the preview shows the code it says is complete; components only
 * read it (selectors in chat.selectors.ts) and send it events.
 *
 *   idle ──SUBMIT──▶ active.requesting ──delta──▶ active.streaming ──done──▶ done
 *                        │  (any active state)  ──error / connection lost──▶ error
 *                        └──CANCEL──▶ stopped
 *   done / stopped / error ──SUBMIT──▶ active (a follow-up)
 *   stopped / error ──RETRY / SWITCH_MODEL──▶ active (the same turn again); ──EDIT──▶ idle, prompt back in the box
 */
import { assign, setup } from "xstate";
import { extractReply } from "./code-fence";
import { chatStreamActor, type ChatStreamEvent } from "./chat-stream.actor";
import { toRequestMessages, type ChatMessage, type MessageState } from "./conversation";
import type { WireError } from "./wire-events";

export interface Version {
  /** Complete code of this version (the fenced block of one finished answer). */
  code: string;
  /** Index in `messages` of the answer it came from. */
  messageIndex: number;
}

export interface TurnProgress {
  startedAt: number;
  firstDeltaAt?: number;
  endedAt?: number;
  /** Provider and request id from the server's `meta` event. */
  provider?: string;
  requestId?: string;
}

export interface ChatContext {
  apiUrl: string;
  chatId?: string;
  model: string;
  /** The prompt box. Kept here so EDIT can put a prompt back. */
  input: string;
  messages: ChatMessage[];
  /** The answer being streamed, since the last `reset`. */
  draft: string;
  versions: Version[];
  turn?: TurnProgress;
  error?: WireError;
}

export interface ChatInput {
  model: string;
  apiUrl?: string;
  chatId?: string;
}

export type ChatEvent =
  | { type: "TYPE"; text: string }
  | { type: "SELECT_MODEL"; model: string }
  | { type: "SUBMIT"; prompt?: string }
  | { type: "CANCEL" }
  | { type: "RETRY" }
  | { type: "SWITCH_MODEL"; model: string }
  | { type: "EDIT" }
  | { type: "DISMISS" }
  | ChatStreamEvent;

/** Removes a cut-short answer at the end, so the same turn can be asked again. */
function withoutUnfinishedAnswer(messages: ChatMessage[]): ChatMessage[] {
  const last = messages[messages.length - 1];
  return last?.role === "assistant" && last.state !== "complete" ? messages.slice(0, -1) : messages;
}

function endTurn(context: ChatContext, state: MessageState): Partial<ChatContext> {
  const messages = context.draft
    ? [...context.messages, { role: "assistant" as const, content: context.draft, state }]
    : context.messages;
  return { messages, draft: "", turn: context.turn && { ...context.turn, endedAt: Date.now() } };
}

function errorOf(event: ChatEvent): WireError | undefined {
  if (event.type === "server.error") return event.data;
  if (event.type === "connection.failed") return event.error;
  return undefined;
}

export const chatMachine = setup({
  types: {
    context: {} as ChatContext,
    events: {} as ChatEvent,
    input: {} as ChatInput,
  },
  actors: { chatStream: chatStreamActor },
  guards: {
    hasPrompt: ({ context, event }) => Boolean((event.type === "SUBMIT" && event.prompt?.trim()) || context.input.trim()),
    hasTurnToRepeat: ({ context }) => withoutUnfinishedAnswer(context.messages).at(-1)?.role === "user",
  },
  actions: {
    startTurn: assign(({ context, event }) => {
      const prompt = (event.type === "SUBMIT" && event.prompt?.trim()) || context.input;
      return {
        messages: [...context.messages, { role: "user" as const, content: prompt.trim(), state: "complete" as const }],
        input: "",
        draft: "",
        error: undefined,
        turn: { startedAt: Date.now() },
      };
    }),
    repeatTurn: assign(({ context }) => ({
      messages: withoutUnfinishedAnswer(context.messages),
      draft: "",
      error: undefined,
      turn: { startedAt: Date.now() },
    })),
    recordMeta: assign(({ context, event }) =>
      event.type === "server.meta" && context.turn
        ? { turn: { ...context.turn, provider: event.data.provider, requestId: event.data.requestId } }
        : {},
    ),
    appendDelta: assign(({ context, event }) => {
      if (event.type !== "server.delta" || !context.turn) return {};
      return {
        draft: context.draft + event.data.text,
        turn: context.turn.firstDeltaAt ? context.turn : { ...context.turn, firstDeltaAt: Date.now() },
      };
    }),
    clearDraft: assign({ draft: "" }),
    finishTurn: assign(({ context }) => {
      const ended = endTurn(context, "complete");
      const reply = extractReply(context.draft);
      const versions =
        reply.fence === "closed" && reply.code.trim()
          ? [...context.versions, { code: reply.code, messageIndex: ended.messages!.length - 1 }]
          : context.versions;
      return { ...ended, versions };
    }),
    failTurn: assign(({ context, event }) => ({ ...endTurn(context, "failed"), error: errorOf(event) })),
    stopTurn: assign(({ context }) => endTurn(context, "stopped")),
    editLastPrompt: assign(({ context }) => {
      const messages = withoutUnfinishedAnswer(context.messages);
      const last = messages.at(-1);
      if (last?.role !== "user") return {};
      return { messages: messages.slice(0, -1), input: last.content, error: undefined };
    }),
    dismissError: assign({ error: undefined }),
  },
}).createMachine({
  id: "chat",
  context: ({ input }) => ({
    apiUrl: input.apiUrl ?? "/api/chat",
    chatId: input.chatId,
    model: input.model,
    input: "",
    messages: [],
    draft: "",
    versions: [],
  }),
  initial: "idle",
  on: {
    TYPE: { actions: assign({ input: ({ event }) => event.text }) },
    SELECT_MODEL: { actions: assign({ model: ({ event }) => event.model }) },
  },
  states: {
    idle: {
      on: { SUBMIT: { guard: "hasPrompt", target: "active", actions: "startTurn" } },
    },
    active: {
      invoke: {
        src: "chatStream",
        input: ({ context }) => ({
          url: context.apiUrl,
          model: context.model,
          messages: toRequestMessages(context.messages),
          chatId: context.chatId,
        }),
      },
      initial: "requesting",
      states: {
        requesting: {
          on: { "server.delta": { target: "streaming", actions: "appendDelta" } },
        },
        streaming: {
          on: { "server.delta": { actions: "appendDelta" } },
        },
      },
      on: {
        "server.meta": { actions: "recordMeta" },
        "server.reset": { actions: "clearDraft" },
        "server.done": { target: "done", actions: "finishTurn" },
        "server.error": { target: "error", actions: "failTurn" },
        "connection.failed": { target: "error", actions: "failTurn" },
        CANCEL: { target: "stopped", actions: "stopTurn" },
      },
    },
    done: {
      on: { SUBMIT: { guard: "hasPrompt", target: "active", actions: "startTurn" } },
    },
    stopped: {
      on: {
        SUBMIT: { guard: "hasPrompt", target: "active", actions: "startTurn" },
        RETRY: { guard: "hasTurnToRepeat", target: "active", actions: "repeatTurn" },
        SWITCH_MODEL: {
          guard: "hasTurnToRepeat",
          target: "active",
          actions: [assign({ model: ({ event }) => event.model }), "repeatTurn"],
        },
        EDIT: { target: "idle", actions: "editLastPrompt" },
      },
    },
    error: {
      on: {
        SUBMIT: { guard: "hasPrompt", target: "active", actions: "startTurn" },
        RETRY: { guard: "hasTurnToRepeat", target: "active", actions: "repeatTurn" },
        SWITCH_MODEL: {
          guard: "hasTurnToRepeat",
          target: "active",
          actions: [assign({ model: ({ event }) => event.model }), "repeatTurn"],
        },
        EDIT: { target: "idle", actions: "editLastPrompt" },
        DISMISS: { target: "done", actions: "dismissError" },
      },
    },
  },
});
