/**
 * The preview statechart: owns what the preview pane shows. It does not choose which version runs
 * (the chat machine does, and the UI sends SHOW); it follows one run of that version in the
 * sandboxed frame and decides the bounded automatic fix. The bridge component mounts one frame per
 * run (keyed by `run.id`), posts the `run` message this machine emits, and reports what the frame
 * says as FRAME_* events carrying the run's id, so a frame from an earlier run cannot change anything.
 *
 *   idle ──SHOW──▶ loading ───────────────────────────────────────────────▶ running
 *                  │ starting ──FRAME_READY──▶ rendering ──FRAME_RENDERED──┘    │
 *                  │    │                (emits `run`)                           │ FRAME_ERROR
 *                  │    │                          ├── FRAME_ERROR ───────────▶ failed ◀┘
 *                  │    │                          └── render timeout ────────▶ failed (timeout)
 *                  │    └── start timeout ───────────────────────────────────▶ unavailable
 *                  └── FRAME_UNAVAILABLE ────────────────────────────────────▶ unavailable
 *   failed: entry may emit an automatic `fix`; FIX emits a manual one; RELOAD ──▶ loading
 *   unavailable: a `diagnose` probe may refine the reason; RELOAD ──▶ loading
 *   any state ──SHOW of other code──▶ loading (a new run); ──CLEAR──▶ idle
 *
 * The automatic fix is asked at most once per version, never for a version that itself came from a
 * fix (no chains), never while the chat streams a turn, and never for our own timeout (a slow
 * machine is not a bug in the code). After that the user's Fix button decides.
 */
import {
  and,
  assertEvent,
  assign,
  emit,
  enqueueActions,
  fromCallback,
  fromPromise,
  not,
  raise,
  setup,
  type SnapshotFrom,
} from "xstate";
import { runMessage, type PreviewError, type PreviewFiles, type RunMessage } from "./preview-protocol";

export interface PreviewRun {
  /** Increments per SHOW/RELOAD: identifies one frame instance. */
  id: number;
  version: number;
  files: PreviewFiles;
  /** This version is the model's answer to a fix request. */
  fromFix: boolean;
  /** The chat allows an automatic fix for this version (e.g. it is the latest one, not an old one picked to look at). */
  autoFixable: boolean;
}

export interface PreviewContext {
  run?: PreviewRun;
  error?: PreviewError;
  unavailableReason?: string;
  chatBusy: boolean;
  /** Versions an automatic fix was already asked for; survives RELOAD, so a reload never asks twice. */
  autoFixedVersions: number[];
  startTimeoutMs: number;
  renderTimeoutMs: number;
  runCount: number;
}

export interface PreviewInput {
  /** Loading the frame and its vendored runtime. Defaults to 15 s. */
  startTimeoutMs?: number;
  /** Compiling and rendering the app once the frame is ready. Defaults to 10 s. */
  renderTimeoutMs?: number;
}

type FrameErrorKind = Exclude<PreviewError["kind"], "timeout">;

export type PreviewEvent =
  | { type: "SHOW"; version: number; files: PreviewFiles; fromFix: boolean; autoFixable: boolean }
  | { type: "CLEAR" }
  | { type: "CHAT_BUSY"; busy: boolean }
  | { type: "FRAME_READY"; runId: number }
  | { type: "FRAME_RENDERED"; runId: number; version: number }
  | { type: "FRAME_ERROR"; runId: number; version: number; kind: FrameErrorKind; message: string; line?: number; column?: number }
  | { type: "FRAME_UNAVAILABLE"; runId: number; reason: string }
  | { type: "FIX" }
  | { type: "RELOAD" }
  /** Sent only by the machine's own awake timer. */
  | { type: "TIMEOUT" }
  /** Sent only by the machine to itself, once a CHAT_BUSY has been recorded. */
  | { type: "RECHECK_AUTO_FIX" };

/**
 * `busy` while a run loads; `fixable` while an error is shown that FIX can ask the chat to fix.
 * Typed, so a misspelt `hasTag` fails to compile.
 */
export type PreviewTag = "busy" | "fixable";

/** What the machine asks of the outside world (`actor.on(type, …)`). */
export type PreviewEmitted =
  { type: "run"; runId: number; message: RunMessage } | { type: "fix"; version: number; error: PreviewError; auto: boolean };

const TICK_MS = 250;
/** A longer gap between ticks means the page was asleep; it counts as this much awake time. */
const MAX_TICK_CREDIT_MS = 1_000;

/**
 * A timeout that counts only the time the page was awake. A plain timer is wrong here: a hidden or
 * frozen page (Page Lifecycle "frozen", a throttled background tab) resumes with its overdue timers
 * firing at once, which would declare a healthy frame dead before its queued messages are processed.
 */
export const awakeTimer = fromCallback<{ type: "noop" }, { ms: number }>(({ input, sendBack }) => {
  let awakeMs = 0;
  let lastTick = Date.now();
  const interval = setInterval(() => {
    const now = Date.now();
    // Clamped at 0 too: a clock set backwards is not time spent waiting.
    awakeMs += Math.min(Math.max(now - lastTick, 0), MAX_TICK_CREDIT_MS);
    lastTick = now;
    if (awakeMs >= input.ms) {
      clearInterval(interval);
      sendBack({ type: "TIMEOUT" });
    }
  }, TICK_MS);
  return () => clearInterval(interval);
});

/** Finds out why the runtime did not load (the UI provides one that probes the runtime's files). */
const diagnose = fromPromise<string | undefined, { runId: number }>(async () => undefined);

const seconds = (ms: number) => Number((ms / 1000).toFixed(1));

function sameFiles(a: PreviewFiles, b: PreviewFiles): boolean {
  const paths = Object.keys(a);
  return paths.length === Object.keys(b).length && paths.every((path) => Object.hasOwn(b, path) && a[path] === b[path]);
}

/** Every state but `idle` has a run; this says so to the type checker, loudly if ever wrong. */
function currentRun(context: PreviewContext): PreviewRun {
  if (!context.run) throw new Error("preview machine: no run in a state that needs one");
  return context.run;
}

/** `failed` is only entered with an error. */
function currentError(context: PreviewContext): PreviewError {
  if (!context.error) throw new Error("preview machine: no error in a state that needs one");
  return context.error;
}

export const previewMachine = setup({
  types: {
    context: {} as PreviewContext,
    events: {} as PreviewEvent,
    input: {} as PreviewInput,
    emitted: {} as PreviewEmitted,
    tags: {} as PreviewTag,
  },
  actors: { awakeTimer, diagnose },
  guards: {
    // Re-renders of the page send SHOW again for what is already showing.
    showsCurrentRun: ({ context, event }) =>
      event.type === "SHOW" &&
      context.run !== undefined &&
      context.run.version === event.version &&
      sameFiles(context.run.files, event.files),
    // Frames of earlier runs keep talking until they are gone; only the current one counts.
    isFromCurrentRun: ({ context, event }) =>
      "runId" in event && event.runId === context.run?.id && (!("version" in event) || event.version === context.run.version),
    timedOut: ({ context }) => context.error?.kind === "timeout",
    // The gates of the automatic fix, composed in canAutoFix.
    isAutoFixable: ({ context }) => context.run?.autoFixable === true,
    isFromFix: ({ context }) => context.run?.fromFix === true,
    chatIsBusy: ({ context }) => context.chatBusy,
    wasAutoFixed: ({ context }) => context.run !== undefined && context.autoFixedVersions.includes(context.run.version),
    canAutoFix: and(["isAutoFixable", not("isFromFix"), not("chatIsBusy"), not("timedOut"), not("wasAutoFixed")]),
  },
  actions: {
    startRun: assign(({ context, event }) => {
      assertEvent(event, "SHOW");
      const { version, files, fromFix, autoFixable } = event;
      const id = context.runCount + 1;
      return { runCount: id, run: { id, version, files, fromFix, autoFixable }, error: undefined, unavailableReason: undefined };
    }),
    restartRun: assign(({ context }) => {
      const id = context.runCount + 1;
      return { runCount: id, run: { ...currentRun(context), id }, error: undefined, unavailableReason: undefined };
    }),
    clearRun: assign({ run: undefined, error: undefined, unavailableReason: undefined }),
    setChatBusy: assign({
      chatBusy: ({ event }) => {
        assertEvent(event, "CHAT_BUSY");
        return event.busy;
      },
    }),
    postRun: emit(({ context }) => {
      const run = currentRun(context);
      return { type: "run" as const, runId: run.id, message: runMessage(run.version, run.files) };
    }),
    recordFrameError: assign({
      error: ({ event }) => {
        assertEvent(event, "FRAME_ERROR");
        const { kind, message, line, column } = event;
        return { kind, message, ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }) };
      },
    }),
    recordRenderTimeout: assign({
      error: ({ context }) => ({
        kind: "timeout" as const,
        message: `The app did not finish rendering within ${seconds(context.renderTimeoutMs)} s; it may be stuck in a loop.`,
      }),
    }),
    clearError: assign({ error: undefined }),
    recordStartTimeout: assign({
      unavailableReason: ({ context }) => `The preview runtime did not start within ${seconds(context.startTimeoutMs)} s.`,
    }),
    recordUnavailable: assign({
      unavailableReason: ({ event }) => {
        assertEvent(event, "FRAME_UNAVAILABLE");
        return event.reason;
      },
    }),
    requestAutoFix: enqueueActions(({ context, enqueue }) => {
      const { version } = currentRun(context);
      enqueue.emit({ type: "fix", version, error: currentError(context), auto: true });
      enqueue.assign({ autoFixedVersions: [...context.autoFixedVersions, version] });
    }),
    requestManualFix: emit(({ context }) => ({
      type: "fix" as const,
      version: currentRun(context).version,
      error: currentError(context),
      auto: false,
    })),
  },
}).createMachine({
  id: "preview",
  context: ({ input }) => ({
    chatBusy: false,
    autoFixedVersions: [],
    startTimeoutMs: input.startTimeoutMs ?? 15_000,
    renderTimeoutMs: input.renderTimeoutMs ?? 10_000,
    runCount: 0,
  }),
  initial: "idle",
  on: {
    SHOW: [{ guard: "showsCurrentRun" }, { target: ".loading", actions: "startRun" }],
    CLEAR: { target: ".idle", actions: "clearRun" },
    CHAT_BUSY: { actions: "setChatBusy" },
  },
  states: {
    idle: {},
    loading: {
      tags: ["busy"],
      initial: "starting",
      on: {
        // The bridge may learn the frame is gone at any point of loading, not only before `ready`.
        FRAME_UNAVAILABLE: { guard: "isFromCurrentRun", target: "unavailable", actions: "recordUnavailable" },
      },
      states: {
        starting: {
          invoke: { src: "awakeTimer", input: ({ context }) => ({ ms: context.startTimeoutMs }) },
          on: {
            FRAME_READY: { guard: "isFromCurrentRun", target: "rendering" },
            TIMEOUT: { target: "#preview.unavailable", actions: "recordStartTimeout" },
          },
        },
        rendering: {
          entry: "postRun",
          invoke: { src: "awakeTimer", input: ({ context }) => ({ ms: context.renderTimeoutMs }) },
          on: {
            FRAME_RENDERED: { guard: "isFromCurrentRun", target: "#preview.running" },
            FRAME_ERROR: { guard: "isFromCurrentRun", target: "#preview.failed", actions: "recordFrameError" },
            TIMEOUT: { target: "#preview.failed", actions: "recordRenderTimeout" },
          },
        },
      },
    },
    running: {
      on: {
        // Errors in event handlers and effects arrive after the first render.
        FRAME_ERROR: { guard: "isFromCurrentRun", target: "failed", actions: "recordFrameError" },
      },
    },
    failed: {
      tags: ["fixable"],
      entry: enqueueActions(({ check, enqueue }) => {
        if (check("canAutoFix")) enqueue("requestAutoFix");
      }),
      on: {
        // A version runs as soon as its code block closes, so it may fail while its own answer still
        // streams: the automatic fix waits for the turn to end instead of being skipped.
        // Raised, so the gates are checked once the new chatBusy is in the context.
        CHAT_BUSY: { actions: ["setChatBusy", raise({ type: "RECHECK_AUTO_FIX" })] },
        RECHECK_AUTO_FIX: { guard: "canAutoFix", actions: "requestAutoFix" },
        // A second error of the same run is not shown: each error is shown once, the first one.
        FIX: { actions: "requestManualFix" },
        RELOAD: { target: "loading", actions: "restartRun" },
        // Our timeout was only a guess: a slow app that renders after all is working.
        FRAME_RENDERED: { guard: and(["isFromCurrentRun", "timedOut"]), target: "running", actions: "clearError" },
      },
    },
    unavailable: {
      invoke: {
        src: "diagnose",
        input: ({ context }) => ({ runId: currentRun(context).id }),
        onDone: {
          actions: assign({
            unavailableReason: ({ context, event }) => event.output?.trim() || context.unavailableReason,
          }),
        },
        // A probe that fails knows nothing more: the reason we have stands.
        onError: {},
      },
      on: {
        // The user may hope the same code works now: SHOW always tries again from here.
        SHOW: { target: "loading", actions: "startRun" },
        RELOAD: { target: "loading", actions: "restartRun" },
      },
    },
  },
});

export type PreviewSnapshot = SnapshotFrom<typeof previewMachine>;

export interface PreviewView {
  status: "idle" | "loading" | "running" | "failed" | "unavailable";
  run?: PreviewRun;
  error?: PreviewError;
  unavailableReason?: string;
}

const statuses = ["loading", "running", "failed", "unavailable"] as const;

/** What the preview pane renders. A new object each call: use it with `useSelector(…, shallowEqual)`. */
export function selectPreviewView(snapshot: PreviewSnapshot): PreviewView {
  const { run, error, unavailableReason } = snapshot.context;
  return { status: statuses.find((status) => snapshot.matches(status)) ?? "idle", run, error, unavailableReason };
}
