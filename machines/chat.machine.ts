/**
 * The chat statechart: the single owner of a chat's state. The UI renders what it holds (status line,
 * buttons, messages, code view) and the preview shows the code it says is complete; components only
 * read it and send it events. They ask it what is possible rather than re-deriving its rules:
 * `snapshot.can(event)` for a button, the tags below for a family of states, and the selectors in
 * chat.selectors.ts for what it holds (the draft, the version on screen).
 *
 * Tags: `active` while a turn runs (Stop is offered, the prompt box waits); `recoverable` in the
 * states a turn did not finish (stopped, error, timedOut), where Retry, Switch model and Edit are offered.
 *
 *   idle ──SUBMIT──▶ active ─────────────────────────────────────────────▶ done
 *                    │ requesting ──delta──▶ streaming                      (server `done`)
 *                    │   (reasoning keeps either one alive: a model that thinks is not silent)
 *                    │     └──── retry ──▶ retrying ◀── retry ──┘
 *                    │ retrying: the server's announced wait, or our own reconnect to Kiln
 *                    ├── server `error`, connection lost for good ──────▶ error
 *                    ├── silence longer than silenceTimeoutMs ──────────▶ timedOut
 *                    └── CANCEL ────────────────────────────────────────▶ stopped
 *   done / stopped / error / timedOut ──SUBMIT──▶ active (a follow-up)
 *   stopped / error / timedOut ──RETRY / SWITCH_MODEL──▶ active (the same turn again)
 *                             ──EDIT──▶ idle with the prompt back in the box; ──DISMISS──▶ idle
 *
 * Leaving `active` stops the invoked stream actor, which aborts the request: a late event from it can
 * never reach the machine. Retries do not multiply: the server retries providers within its budget;
 * this machine only reconnects when Kiln itself could not be reached (at most `maxReconnects` times).
 */
import { assertEvent, assign, setup } from "xstate";
import { backoffDelay } from "./backoff";
import { chatStreamActor, requestStop, type ChatStreamEvent, type ResumePoint } from "./chat-stream.actor";
import { toRequestMessages, type ChatMessage, type MessageState } from "./conversation";
import { resolveEditAnswer } from "./edit-blocks";
import { usageFigures, type Receipt } from "./receipt";
import { baseCodeFor, followUpOnVersion, typedPrompt, versionOf, versionsOf, type Version } from "./versions";
import { EDIT_NOT_APPLIED, SERVER_SHUTTING_DOWN, type WireError } from "./wire-events";

export type { Version };

export interface TurnProgress {
  startedAt: number;
  firstDeltaAt?: number;
  endedAt?: number;
  /** Provider and model answering now: from `meta`, changed by `fallback`. */
  provider?: string;
  model?: string;
  requestId?: string;
  /** Set when the server fell back to another provider during this turn: the provider that failed last. */
  fellBackFrom?: string;
  /** The provider the request went to first (`meta`): the one a fallback's receipt names. */
  firstProvider?: string;
  /** The server's `retry` and `fallback` events in this request, for the receipt. */
  retries?: number;
  fallbacks?: number;
  /** The preview asked for this turn by itself, to fix an error of the version it ran. */
  autoFix?: boolean;
  /** The answer hit the model's output limit and the server asked for the rest: the latest `continue`'s attempt. */
  continuation?: number;
  /** The answer's edit blocks did not apply, and the server is asking the model for the whole file. */
  wholeFileRetry?: boolean;
  /** The turn replaces the last one on purpose (Retry, an edited prompt): the server is told so. */
  regenerate?: boolean;
  /** The page came back to this turn's answer on the server after a reload or a dropped connection. */
  reconnected?: boolean;
  /** The prompt's images are described by this vision model first (`meta`): the model answering cannot read them. */
  imagesDescribedBy?: string;
}

/** A wait before trying again: announced by the server, or the browser's own reconnect to Kiln. */
export interface RetryWait {
  source: "server" | "client";
  attempt: number;
  delayMs: number;
  /** Epoch ms when the wait ends, for the countdown. */
  until: number;
  /** An error code (rate_limited, stream_stalled, connection_lost…). */
  reason: string;
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
  /**
   * The model's reasoning in this turn, since the last `reset`: shown apart, never part of the answer,
   * of a version or of the history sent back to the model.
   */
  reasoning: string;
  versions: Version[];
  /** Index into `versions` the user picked to look at; undefined follows the latest. */
  selectedVersion?: number;
  turn?: TurnProgress;
  retry?: RetryWait;
  /** Reconnects to Kiln made in this turn. */
  reconnects: number;
  /** EDIT took the last prompt back: the next turn replaces that one. */
  replacingTurn?: boolean;
  /**
   * The chat's answer is still being generated on the server and this page should come back to it
   * (after a reload, or a dropped connection) rather than ask for it again.
   */
  resume?: ResumePoint;
  error?: WireError;
  /** Longest silence (no event, no keep-alive) before the turn is declared timed out. */
  silenceTimeoutMs: number;
  maxReconnects: number;
  /**
   * Reattaches to a chat's answer still running on the server: more than `maxReconnects`, as the
   * answer waits there for the grace period (a phone in a tunnel, Wi-Fi switching networks).
   */
  maxReattaches: number;
  reconnectBaseMs: number;
}

export interface ChatInput {
  model: string;
  apiUrl?: string;
  chatId?: string;
  /** The saved conversation, when a chat page is opened again. */
  messages?: ChatMessage[];
  /** The chat's last turn is being answered on the server (this generation): the page attaches to it. */
  attachTo?: string;
  /** Defaults to 45 s: three of the server's 15 s keep-alive intervals. */
  silenceTimeoutMs?: number;
  maxReconnects?: number;
  maxReattaches?: number;
  reconnectBaseMs?: number;
}

export type ChatEvent =
  | { type: "TYPE"; text: string }
  | { type: "SELECT_MODEL"; model: string }
  /** `autoFix`: sent by the preview's bounded automatic fix, not typed by the user. */
  | { type: "SUBMIT"; prompt?: string; autoFix?: boolean; images?: string[] }
  | { type: "CANCEL" }
  | { type: "RETRY" }
  | { type: "SWITCH_MODEL"; model: string }
  | { type: "EDIT" }
  | { type: "DISMISS" }
  | { type: "SELECT_VERSION"; index: number }
  | ChatStreamEvent;

/** Typed, so a misspelt `hasTag` fails to compile. */
export type ChatTag = "active" | "recoverable";

export const SERVER_TIMEOUT_CODE = "server_timeout";

/** Removes a cut-short answer at the end, so the same turn can be asked again. */
function withoutUnfinishedAnswer(messages: ChatMessage[]): ChatMessage[] {
  const last = messages[messages.length - 1];
  return last?.role === "assistant" && last.state !== "complete" ? messages.slice(0, -1) : messages;
}

function endTurn(context: ChatContext, state: MessageState): Partial<ChatContext> {
  const messages = context.draft
    ? [...context.messages, { role: "assistant" as const, content: context.draft, state }]
    : context.messages;
  return {
    messages,
    draft: "",
    retry: undefined,
    resume: undefined,
    turn: context.turn && { ...context.turn, endedAt: Date.now() },
  };
}

/**
 * The receipt of a finished turn, from its wire events: who answered (`meta`, changed by `fallback`),
 * the times the browser saw (first delta, the end), the server's retries and fallbacks, and the
 * `done` event's usage. Undefined when no `meta` said who answered.
 */
function receiptOf(turn: TurnProgress, usage: Parameters<typeof usageFigures>[0]): Receipt | undefined {
  if (!turn.provider || !turn.model) return undefined;
  const fallbacks = turn.fallbacks ?? 0;
  return {
    provider: turn.provider,
    model: turn.model,
    ...(turn.firstDeltaAt !== undefined && { firstTokenMs: turn.firstDeltaAt - turn.startedAt }),
    totalMs: (turn.endedAt ?? Date.now()) - turn.startedAt,
    retries: turn.retries ?? 0,
    fallbacks,
    ...(fallbacks > 0 && turn.firstProvider && { fellBackFrom: turn.firstProvider }),
    ...usageFigures(usage),
  };
}

/** The events that end a turn with an error (or, when it may still recover, schedule a reconnect). */
const failureEvents = ["server.error", "connection.failed"] as const;
type FailureEvent = Extract<ChatEvent, { type: (typeof failureEvents)[number] }>;

function errorOf(event: FailureEvent): WireError {
  return event.type === "server.error" ? event.data : event.error;
}

const newTurn = (autoFix?: boolean) => ({
  draft: "",
  reasoning: "",
  error: undefined,
  retry: undefined,
  resume: undefined,
  reconnects: 0,
  turn: { startedAt: Date.now(), ...(autoFix && { autoFix }) },
});

/** The ways out of a turn that did not finish (the `recoverable` states): ask again, differently, or anew. */
const recoveryTransitions = {
  SUBMIT: { guard: "hasPrompt", target: "active", actions: "startTurn" },
  RETRY: { guard: "hasTurnToRepeat", target: "active", actions: "repeatTurn" },
  SWITCH_MODEL: { guard: "hasTurnToRepeat", target: "active", actions: ["selectModel", "repeatTurn"] },
  EDIT: { target: "idle", actions: "editLastPrompt" },
} as const;

export const chatMachine = setup({
  types: {
    context: {} as ChatContext,
    events: {} as ChatEvent,
    input: {} as ChatInput,
    tags: {} as ChatTag,
  },
  actors: { chatStream: chatStreamActor },
  delays: {
    silence: ({ context }) => context.silenceTimeoutMs,
    retryWait: ({ context }) => context.retry?.delayMs ?? 0,
    // A server-announced wait is followed by the new attempt's first byte: allow for both.
    retrySilence: ({ context }) => (context.retry?.delayMs ?? 0) + context.silenceTimeoutMs,
  },
  guards: {
    hasPrompt: ({ context, event }) => Boolean((event.type === "SUBMIT" && event.prompt?.trim()) || context.input.trim()),
    hasTurnToRepeat: ({ context }) => withoutUnfinishedAnswer(context.messages).at(-1)?.role === "user",
    canReconnect: ({ context, event }) =>
      event.type === "connection.failed" &&
      event.error.retryable &&
      context.reconnects < (event.resume && context.chatId ? context.maxReattaches : context.maxReconnects),
    serverIsLeaving: ({ context, event }) =>
      event.type === "server.error" && event.data.code === SERVER_SHUTTING_DOWN && context.reconnects < context.maxReconnects,
    isOwnReconnect: ({ context }) => context.retry?.source === "client",
    hasGenerationToAttach: ({ context }) => Boolean(context.resume) && !context.turn,
  },
  actions: {
    startTurn: assign(({ context, event }) => {
      assertEvent(event, "SUBMIT");
      const prompt = (event.prompt?.trim() || context.input).trim();
      const picked = context.selectedVersion;
      const olderVersion = picked !== undefined && picked < context.versions.length - 1 ? picked : undefined;
      const content =
        olderVersion === undefined ? prompt : followUpOnVersion(prompt, olderVersion + 1, context.versions[olderVersion].code);
      const autoFix = event.autoFix;
      const fresh = newTurn(autoFix);
      return {
        ...fresh,
        turn: context.replacingTurn ? { ...fresh.turn, regenerate: true } : fresh.turn,
        replacingTurn: false,
        messages: [
          ...context.messages,
          {
            role: "user" as const,
            content,
            state: "complete" as const,
            // Uploaded to the chat already (app/lib/upload-images.ts): the prompt carries their ids.
            ...(event.images?.length ? { images: event.images } : {}),
          },
        ],
        // An automatic fix leaves whatever the user is typing in the box.
        input: autoFix ? context.input : "",
      };
    }),
    repeatTurn: assign(({ context }) => {
      const fresh = newTurn();
      return { ...fresh, turn: { ...fresh.turn, regenerate: true }, messages: withoutUnfinishedAnswer(context.messages) };
    }),
    recordMeta: assign(({ context, event }) => {
      assertEvent(event, "server.meta");
      const { provider, model, requestId, imagesDescribedBy } = event.data;
      // `meta` opens every request, a reconnect's too: its retries and fallbacks are counted afresh, as the server does.
      return context.turn
        ? {
            turn: {
              ...context.turn,
              provider,
              model,
              requestId,
              imagesDescribedBy,
              firstProvider: provider,
              retries: 0,
              fallbacks: 0,
              fellBackFrom: undefined,
            },
          }
        : {};
    }),
    recordFallback: assign(({ context, event }) => {
      assertEvent(event, "server.fallback");
      const { to, model, from } = event.data;
      const turn = context.turn;
      return turn
        ? {
            turn: {
              ...turn,
              provider: to,
              model,
              fellBackFrom: from,
              firstProvider: turn.firstProvider ?? from,
              fallbacks: (turn.fallbacks ?? 0) + 1,
            },
          }
        : {};
    }),
    recordServerRetry: assign(({ context, event }) => {
      assertEvent(event, "server.retry");
      const { attempt, delayMs, reason } = event.data;
      return {
        retry: { source: "server" as const, attempt, delayMs, reason, until: Date.now() + delayMs },
        turn: context.turn && { ...context.turn, retries: (context.turn.retries ?? 0) + 1 },
      };
    }),
    scheduleReconnect: assign(({ context, event }) => {
      assertEvent(event, failureEvents);
      const error = errorOf(event);
      const attempt = context.reconnects + 1;
      const retryAfterMs = event.type === "connection.failed" ? event.retryAfterMs : undefined;
      const delayMs = backoffDelay(attempt, { baseMs: context.reconnectBaseMs, maxMs: 8_000 }, retryAfterMs);
      const retry = { source: "client" as const, attempt, delayMs, reason: error.code, until: Date.now() + delayMs };
      // The chat's answer goes on on the server: come back to it and keep what arrived.
      const resume = event.type === "connection.failed" && context.chatId ? event.resume : undefined;
      if (resume) return { reconnects: attempt, resume, retry };
      // Otherwise what arrived before the connection dropped is discarded: the new request starts over.
      return { reconnects: attempt, resume: undefined, draft: "", reasoning: "", retry };
    }),
    markReconnected: assign(({ context }) => (context.turn ? { turn: { ...context.turn, reconnected: true } } : {})),
    attachTurn: assign({ turn: () => ({ startedAt: Date.now() }) }),
    tellServerToStop: ({ context }) => {
      if (context.chatId) requestStop(context.apiUrl, context.chatId, context.resume?.generationId ?? context.turn?.requestId);
    },
    clearRetry: assign({ retry: undefined }),
    appendDelta: assign(({ context, event }) => {
      assertEvent(event, "server.delta");
      if (!context.turn) return {};
      return {
        draft: context.draft + event.data.text,
        retry: undefined,
        turn: context.turn.firstDeltaAt ? context.turn : { ...context.turn, firstDeltaAt: Date.now() },
      };
    }),
    // The answer goes on where it was cut off: the draft stays, only the status says so.
    recordContinuation: assign(({ context, event }) => {
      assertEvent(event, "server.continue");
      return context.turn ? { turn: { ...context.turn, continuation: event.data.attempt } } : {};
    }),
    appendReasoning: assign(({ context, event }) => {
      assertEvent(event, "server.reasoning");
      return context.turn ? { reasoning: context.reasoning + event.data.text } : {};
    }),
    // The server restarts the answer: what it said so far, answer and reasoning, is dropped.
    restartAnswer: assign(({ context, event }) => {
      assertEvent(event, "server.reset");
      const wholeFileRetry = event.data.reason === EDIT_NOT_APPLIED;
      return {
        draft: "",
        reasoning: "",
        turn: context.turn && (wholeFileRetry ? { ...context.turn, wholeFileRetry } : context.turn),
      };
    }),
    finishTurn: assign(({ context, event }) => {
      assertEvent(event, "server.done");
      // An answer of edit blocks is kept as the complete file it makes, as the server saves it.
      const resolved = resolveEditAnswer(context.draft, baseCodeFor(context.versions, context.messages.at(-1)?.content));
      const draft = resolved.kind === "edits" && resolved.ok ? resolved.content : context.draft;
      const ended = endTurn({ ...context, draft }, "complete");
      const receipt = ended.turn && receiptOf(ended.turn, event.data.usage);
      // The answer just added (an empty answer adds none) keeps its receipt.
      const messages =
        receipt && draft ? [...ended.messages!.slice(0, -1), { ...ended.messages!.at(-1)!, receipt }] : ended.messages!;
      const index = messages.length - 1;
      const prompt = messages[index - 1];
      const version = versionOf(messages[index], index, prompt, context.versions);
      // A new version is what the user wants to see: the selection follows it.
      return version
        ? { ...ended, messages, versions: [...context.versions, version], selectedVersion: undefined }
        : { ...ended, messages };
    }),
    selectVersion: assign(({ context, event }) => {
      assertEvent(event, "SELECT_VERSION");
      const { index } = event;
      return index >= 0 && index < context.versions.length
        ? { selectedVersion: index === context.versions.length - 1 ? undefined : index }
        : {};
    }),
    failTurn: assign(({ context, event }) => {
      assertEvent(event, failureEvents);
      return { ...endTurn(context, "failed"), error: errorOf(event) };
    }),
    timeOutTurn: assign(({ context }) => ({
      ...endTurn(context, "failed"),
      error: {
        code: SERVER_TIMEOUT_CODE,
        message: `Kiln's server sent nothing for ${Math.round(context.silenceTimeoutMs / 1000)} s; it may be down or overloaded.`,
        retryable: true,
      },
    })),
    stopTurn: assign(({ context }) => endTurn(context, "stopped")),
    editLastPrompt: assign(({ context }) => {
      const messages = withoutUnfinishedAnswer(context.messages);
      const last = messages.at(-1);
      if (last?.role !== "user") return {};
      return { messages: messages.slice(0, -1), input: typedPrompt(last.content), error: undefined, replacingTurn: true };
    }),
    dismissError: assign({ error: undefined }),
    selectModel: assign({
      model: ({ event }) => {
        assertEvent(event, ["SWITCH_MODEL", "SELECT_MODEL"]);
        return event.model;
      },
    }),
  },
}).createMachine({
  id: "chat",
  context: ({ input }) => ({
    apiUrl: input.apiUrl ?? "/api/chat",
    chatId: input.chatId,
    model: input.model,
    input: "",
    messages: input.messages ?? [],
    draft: "",
    reasoning: "",
    versions: versionsOf(input.messages ?? []),
    reconnects: 0,
    resume: input.attachTo && input.chatId ? { generationId: input.attachTo, lastEventId: 0 } : undefined,
    silenceTimeoutMs: input.silenceTimeoutMs ?? 45_000,
    maxReconnects: input.maxReconnects ?? 2,
    // With the backoff capped at 8 s, 8 attempts span about 40 s: within the server's 60 s grace.
    maxReattaches: input.maxReattaches ?? 8,
    reconnectBaseMs: input.reconnectBaseMs ?? 1_000,
  }),
  initial: "idle",
  on: {
    TYPE: { actions: assign({ input: ({ event }) => event.text }) },
    SELECT_MODEL: { actions: "selectModel" },
    SELECT_VERSION: { actions: "selectVersion" },
  },
  states: {
    idle: {
      // A reopened chat whose answer is still being written: show it as it comes.
      always: { guard: "hasGenerationToAttach", target: "active", actions: "attachTurn" },
      on: {
        SUBMIT: { guard: "hasPrompt", target: "active", actions: "startTurn" },
        // A saved chat reopened after an interrupted turn: regenerate its answer.
        RETRY: { guard: "hasTurnToRepeat", target: "active", actions: "repeatTurn" },
      },
    },
    active: {
      tags: ["active"],
      invoke: {
        src: "chatStream",
        input: ({ context }) => ({
          url: context.apiUrl,
          model: context.model,
          messages: toRequestMessages(context.messages),
          chatId: context.chatId,
          // A reconnect sends the same turn again: the server already saved its prompt.
          regenerate: Boolean(context.turn?.regenerate) || context.reconnects > 0,
          resume: context.resume,
        }),
      },
      initial: "requesting",
      states: {
        requesting: {
          after: { silence: "#chat.timedOut" },
          on: {
            "server.delta": { target: "streaming", actions: "appendDelta" },
            "server.reasoning": { target: "requesting", reenter: true, actions: "appendReasoning" },
            "server.ping": { target: "requesting", reenter: true },
            "server.meta": { target: "requesting", reenter: true, actions: "recordMeta" },
          },
        },
        streaming: {
          after: { silence: "#chat.timedOut" },
          on: {
            "server.delta": { target: "streaming", reenter: true, actions: "appendDelta" },
            "server.reasoning": { target: "streaming", reenter: true, actions: "appendReasoning" },
            "server.ping": { target: "streaming", reenter: true },
            "server.continue": { target: "streaming", reenter: true, actions: "recordContinuation" },
          },
        },
        retrying: {
          after: {
            retryWait: { guard: "isOwnReconnect", target: "#chat.active", reenter: true, actions: "clearRetry" },
            retrySilence: "#chat.timedOut",
          },
          on: {
            "server.delta": { target: "streaming", actions: "appendDelta" },
            // The new attempt is under way: its model is thinking before it answers.
            "server.reasoning": { target: "requesting", actions: ["appendReasoning", "clearRetry"] },
            "server.ping": { target: "retrying", reenter: true },
            "server.meta": { target: "requesting", actions: ["recordMeta", "clearRetry"] },
          },
        },
      },
      on: {
        "server.meta": { actions: "recordMeta" },
        "server.retry": { target: ".retrying", actions: "recordServerRetry" },
        "server.fallback": { actions: "recordFallback" },
        "server.reset": { actions: "restartAnswer" },
        "server.continue": { actions: "recordContinuation" },
        "server.done": { target: "done", actions: "finishTurn" },
        "server.error": [
          { guard: "serverIsLeaving", target: ".retrying", actions: "scheduleReconnect" },
          { target: "error", actions: "failTurn" },
        ],
        "connection.failed": [
          { guard: "canReconnect", target: ".retrying", actions: "scheduleReconnect" },
          { target: "error", actions: "failTurn" },
        ],
        "connection.resumed": { actions: "markReconnected" },
        CANCEL: { target: "stopped", actions: ["tellServerToStop", "stopTurn"] },
      },
    },
    done: {
      on: { SUBMIT: { guard: "hasPrompt", target: "active", actions: "startTurn" } },
    },
    stopped: { tags: ["recoverable"], on: recoveryTransitions },
    error: { tags: ["recoverable"], on: { ...recoveryTransitions, DISMISS: { target: "idle", actions: "dismissError" } } },
    timedOut: {
      tags: ["recoverable"],
      entry: "timeOutTurn",
      on: { ...recoveryTransitions, DISMISS: { target: "idle", actions: "dismissError" } },
    },
  },
});
