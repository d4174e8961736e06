import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createActor, fromPromise } from "xstate";
import { APP_ENTRY, runMessage, type PreviewFiles } from "./preview-protocol";
import { previewMachine, selectPreviewView, type PreviewEmitted, type PreviewEvent, type PreviewInput } from "./preview.machine";

type RunEmitted = Extract<PreviewEmitted, { type: "run" }>;
type FixEmitted = Extract<PreviewEmitted, { type: "fix" }>;

interface ShowOptions {
  fromFix?: boolean;
  autoFixable?: boolean;
}

/** A preview pane: the machine, what it asked the bridge to post, and what it asked the chat to fix. */
function startPreview(input: PreviewInput = {}, logic: typeof previewMachine = previewMachine) {
  const actor = createActor(logic, { input });
  const posted: RunEmitted[] = [];
  const fixes: FixEmitted[] = [];
  actor.on("run", (event) => posted.push(event));
  actor.on("fix", (event) => fixes.push(event));
  actor.start();
  const preview = {
    actor,
    posted,
    fixes,
    get snapshot() {
      return actor.getSnapshot();
    },
    get context() {
      return actor.getSnapshot().context;
    },
    get view() {
      return selectPreviewView(actor.getSnapshot());
    },
    get runId() {
      const run = actor.getSnapshot().context.run;
      if (!run) throw new Error("nothing is showing");
      return run.id;
    },
    get version() {
      return actor.getSnapshot().context.run?.version ?? 0;
    },
    send: (event: PreviewEvent) => actor.send(event),
    /** The chat says which version to show (the latest one is auto-fixable unless told otherwise). */
    show(version: number, code: string, { fromFix = false, autoFixable = true }: ShowOptions = {}) {
      actor.send({ type: "SHOW", version, files: filesOf(code), fromFix, autoFixable });
    },
    /** The current run's frame, as the bridge reports it. */
    frame: {
      ready: () => actor.send({ type: "FRAME_READY", runId: preview.runId }),
      rendered: () => actor.send({ type: "FRAME_RENDERED", runId: preview.runId, version: preview.version }),
      compileError: (message = "Unexpected token", line = 12, column = 5) =>
        actor.send({
          type: "FRAME_ERROR",
          runId: preview.runId,
          version: preview.version,
          kind: "compile",
          message,
          line,
          column,
        }),
      runtimeError: (message = "Cannot read properties of undefined (reading 'map')", line = 40) =>
        actor.send({ type: "FRAME_ERROR", runId: preview.runId, version: preview.version, kind: "runtime", message, line }),
      unavailable: (reason = "The preview runtime could not be loaded.") =>
        actor.send({ type: "FRAME_UNAVAILABLE", runId: preview.runId, reason }),
    },
    /** Shows a version and lets its frame render it. */
    showRunning(version: number, code: string, options?: ShowOptions) {
      preview.show(version, code, options);
      preview.frame.ready();
      preview.frame.rendered();
    },
  };
  return preview;
}

const filesOf = (code: string): PreviewFiles => ({ [APP_ENTRY]: code });
const counter = "export default function App() {\n  return <button>Count: 0</button>;\n}";
const counterBlue = 'export default function App() {\n  return <button style={{ color: "blue" }}>Count: 0</button>;\n}';
const brokenCounter = "export default function App() {\n  return <button>Count: 0</button\n}";
const autoFixes = (fixes: FixEmitted[]) => fixes.filter((fix) => fix.auto);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2025-01-01T00:00:00Z"));
});

afterEach(() => {
  vi.useRealTimers();
});

describe("showing a version", () => {
  it("shows nothing until the chat has code", () => {
    const preview = startPreview();
    expect(preview.snapshot.value).toBe("idle");
    expect(preview.view).toEqual({ status: "idle" });
  });

  it("starts loading the frame for a new version, as run 1", () => {
    const preview = startPreview();
    preview.show(1, counter);
    expect(preview.snapshot.matches({ loading: "starting" })).toBe(true);
    expect(preview.snapshot.hasTag("busy")).toBe(true);
    expect(preview.context.run).toEqual({ id: 1, version: 1, files: filesOf(counter), fromFix: false, autoFixable: true });
    expect(preview.view.status).toBe("loading");
    expect(preview.posted).toEqual([]);
  });

  it("posts the code exactly once, when the frame says it is ready", () => {
    const preview = startPreview();
    preview.show(1, counter);
    preview.frame.ready();
    expect(preview.snapshot.matches({ loading: "rendering" })).toBe(true);
    expect(preview.posted).toEqual([{ type: "run", runId: 1, message: runMessage(1, filesOf(counter)) }]);
  });

  it("shows the running app once the frame has rendered it", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    expect(preview.snapshot.value).toBe("running");
    expect(preview.snapshot.hasTag("busy")).toBe(false);
    expect(preview.view).toEqual({ status: "running", run: preview.context.run });
  });

  it("keeps the running app when the page re-renders and sends the same code again", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    preview.show(1, counter);
    preview.show(1, counter);
    expect(preview.snapshot.value).toBe("running");
    expect(preview.runId).toBe(1);
    expect(preview.posted).toHaveLength(1);
  });

  it("starts a new run, in a fresh frame, when the code changes", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    preview.show(2, counterBlue);
    expect(preview.snapshot.matches({ loading: "starting" })).toBe(true);
    expect(preview.context.run).toMatchObject({ id: 2, version: 2, files: filesOf(counterBlue) });
    preview.frame.ready();
    expect(preview.posted.at(-1)).toEqual({ type: "run", runId: 2, message: runMessage(2, filesOf(counterBlue)) });
  });

  it("starts over when new code arrives while the previous one is still rendering", () => {
    const preview = startPreview();
    preview.show(1, counter);
    preview.frame.ready();
    preview.show(2, counterBlue);
    expect(preview.snapshot.matches({ loading: "starting" })).toBe(true);
    expect(preview.runId).toBe(2);
    expect(preview.posted).toHaveLength(1);
  });

  it("shows nothing again after CLEAR (e.g. a new chat)", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    preview.send({ type: "CLEAR" });
    expect(preview.snapshot.value).toBe("idle");
    expect(preview.view).toEqual({ status: "idle" });
  });

  it("shows the same code again after CLEAR, as a new run", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    preview.send({ type: "CLEAR" });
    preview.show(1, counter);
    expect(preview.snapshot.matches("loading")).toBe(true);
    expect(preview.runId).toBe(2);
  });
});

describe("frames of earlier runs", () => {
  it("cannot move the current run forward or fail it", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    preview.show(2, counterBlue);
    preview.send({ type: "FRAME_READY", runId: 1 });
    preview.send({ type: "FRAME_UNAVAILABLE", runId: 1, reason: "gone" });
    expect(preview.snapshot.matches({ loading: "starting" })).toBe(true);

    preview.frame.ready();
    preview.send({ type: "FRAME_RENDERED", runId: 1, version: 1 });
    preview.send({ type: "FRAME_ERROR", runId: 1, version: 1, kind: "runtime", message: "old frame" });
    expect(preview.snapshot.matches({ loading: "rendering" })).toBe(true);

    preview.frame.rendered();
    preview.send({ type: "FRAME_ERROR", runId: 1, version: 1, kind: "runtime", message: "old frame" });
    expect(preview.snapshot.value).toBe("running");
    expect(preview.fixes).toEqual([]);
  });

  it("ignores a report about another version even with the current run's id", () => {
    const preview = startPreview();
    preview.show(2, counter);
    preview.frame.ready();
    preview.send({ type: "FRAME_RENDERED", runId: 1, version: 1 });
    preview.send({ type: "FRAME_ERROR", runId: 1, version: 3, kind: "compile", message: "bad" });
    expect(preview.snapshot.matches({ loading: "rendering" })).toBe(true);
  });
});

describe("errors in the app", () => {
  it("shows a compile error with its place", () => {
    const preview = startPreview();
    preview.show(1, brokenCounter);
    preview.frame.ready();
    preview.frame.compileError();
    expect(preview.snapshot.value).toBe("failed");
    expect(preview.snapshot.hasTag("fixable")).toBe(true);
    expect(preview.view).toEqual({
      status: "failed",
      run: preview.context.run,
      error: { kind: "compile", message: "Unexpected token", line: 12, column: 5 },
    });
  });

  it("shows a runtime error thrown after the first render (a click handler, an effect)", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    preview.frame.rendered();
    expect(preview.snapshot.value).toBe("running");
    preview.frame.runtimeError();
    expect(preview.snapshot.value).toBe("failed");
    expect(preview.context.error).toEqual({
      kind: "runtime",
      message: "Cannot read properties of undefined (reading 'map')",
      line: 40,
    });
  });

  it("shows the first error only, when the broken app keeps throwing", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    preview.frame.runtimeError("first");
    preview.frame.runtimeError("second");
    expect(preview.context.error?.message).toBe("first");
    expect(preview.fixes).toHaveLength(1);
  });

  it("loads the same version again, in a fresh frame, on Reload", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    preview.frame.runtimeError();
    preview.send({ type: "RELOAD" });
    expect(preview.snapshot.matches({ loading: "starting" })).toBe(true);
    expect(preview.context.run).toMatchObject({ id: 2, version: 1, files: filesOf(counter) });
    expect(preview.context.error).toBeUndefined();
  });

  it("ignores Reload while the app runs fine", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    preview.send({ type: "RELOAD" });
    expect(preview.snapshot.value).toBe("running");
    expect(preview.runId).toBe(1);
  });
});

describe("timeouts", () => {
  it("declares the runtime unavailable when the frame is not ready within 15 s", () => {
    const preview = startPreview();
    preview.show(1, counter);
    vi.advanceTimersByTime(14_000);
    expect(preview.snapshot.matches({ loading: "starting" })).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect(preview.snapshot.value).toBe("unavailable");
    expect(preview.view.unavailableReason).toBe("The preview runtime did not start within 15 s.");
  });

  it("uses the configured start timeout in the reason", () => {
    const preview = startPreview({ startTimeoutMs: 2_500 });
    preview.show(1, counter);
    vi.advanceTimersByTime(2_500);
    expect(preview.context.unavailableReason).toBe("The preview runtime did not start within 2.5 s.");
  });

  it("gives the app its own 10 s to render once the frame is ready", () => {
    const preview = startPreview();
    preview.show(1, counter);
    vi.advanceTimersByTime(14_000);
    preview.frame.ready();
    vi.advanceTimersByTime(9_000);
    expect(preview.snapshot.matches({ loading: "rendering" })).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect(preview.snapshot.value).toBe("failed");
    expect(preview.context.error).toEqual({
      kind: "timeout",
      message: "The app did not finish rendering within 10 s; it may be stuck in a loop.",
    });
  });

  it("never asks the model to fix its own timeout", () => {
    const preview = startPreview();
    preview.show(1, counter);
    preview.frame.ready();
    vi.advanceTimersByTime(10_000);
    expect(preview.snapshot.value).toBe("failed");
    expect(preview.fixes).toEqual([]);
  });

  it("shows the app after all when a slow app renders after the timeout", () => {
    const preview = startPreview();
    preview.show(1, counter);
    preview.frame.ready();
    vi.advanceTimersByTime(10_000);
    preview.frame.rendered();
    expect(preview.snapshot.value).toBe("running");
    expect(preview.context.error).toBeUndefined();
  });

  it("does not time out once the app has rendered", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    vi.advanceTimersByTime(120_000);
    expect(preview.snapshot.value).toBe("running");
  });

  it("counts a frozen page's sleep as at most a second, so a healthy frame is not declared dead on wake-up", () => {
    const preview = startPreview();
    preview.show(1, counter);
    vi.advanceTimersByTime(5_000);
    // The tab is frozen for a minute: the clock jumps, no tick runs in between.
    vi.setSystemTime(Date.now() + 60_000);
    vi.advanceTimersByTime(250);
    expect(preview.snapshot.matches({ loading: "starting" })).toBe(true);
    // The frame's queued `ready` is processed right after waking.
    preview.frame.ready();
    expect(preview.snapshot.matches({ loading: "rendering" })).toBe(true);
  });

  it("still times out after enough awake time, sleep counted as a second", () => {
    const preview = startPreview();
    preview.show(1, counter);
    vi.advanceTimersByTime(5_000);
    vi.setSystemTime(Date.now() + 60_000);
    // 5 s before, 1 s for the tick across the sleep, then 9 s of ticks more reach the 15 s.
    vi.advanceTimersByTime(9_000);
    expect(preview.snapshot.matches({ loading: "starting" })).toBe(true);
    vi.advanceTimersByTime(250);
    expect(preview.snapshot.value).toBe("unavailable");
  });
});

describe("the automatic fix", () => {
  it("asks the chat once to fix a version that fails", () => {
    const preview = startPreview();
    preview.show(1, brokenCounter);
    preview.frame.ready();
    preview.frame.compileError();
    expect(preview.fixes).toEqual([
      { type: "fix", version: 1, error: { kind: "compile", message: "Unexpected token", line: 12, column: 5 }, auto: true },
    ]);
    expect(preview.context.autoFixedVersions).toEqual([1]);
  });

  it("is never asked for a version that itself came from a fix, so fixes do not chain", () => {
    const preview = startPreview();
    preview.showRunning(2, counter, { fromFix: true });
    preview.frame.runtimeError();
    expect(preview.snapshot.value).toBe("failed");
    expect(preview.fixes).toEqual([]);
  });

  it("is not asked while the chat is streaming a turn, but once that turn ends (a version runs before its answer ends)", () => {
    const preview = startPreview();
    preview.send({ type: "CHAT_BUSY", busy: true });
    preview.showRunning(1, counter);
    preview.frame.runtimeError();
    expect(preview.snapshot.value).toBe("failed");
    expect(preview.fixes).toEqual([]);
    preview.send({ type: "CHAT_BUSY", busy: false });
    expect(preview.fixes).toHaveLength(1);
    expect(preview.fixes[0]).toMatchObject({ version: 1, auto: true });
    // Busy again (the fix streams) and idle again: still one.
    preview.send({ type: "CHAT_BUSY", busy: true });
    preview.send({ type: "CHAT_BUSY", busy: false });
    expect(preview.fixes).toHaveLength(1);
  });

  it("is not asked for a version the chat marks as not auto-fixable (an older version picked to look at)", () => {
    const preview = startPreview();
    preview.showRunning(1, counter, { autoFixable: false });
    preview.frame.runtimeError();
    expect(preview.fixes).toEqual([]);
  });

  it("is not asked twice for the same version, even after a reload that fails again", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    preview.frame.runtimeError();
    preview.send({ type: "RELOAD" });
    preview.frame.ready();
    preview.frame.rendered();
    preview.frame.runtimeError();
    expect(preview.snapshot.value).toBe("failed");
    expect(preview.runId).toBe(2);
    expect(autoFixes(preview.fixes)).toHaveLength(1);
  });

  it("is asked again for the next version that fails", () => {
    const preview = startPreview();
    preview.showRunning(1, counter);
    preview.frame.runtimeError();
    preview.showRunning(3, counterBlue);
    preview.frame.runtimeError();
    expect(autoFixes(preview.fixes).map((fix) => fix.version)).toEqual([1, 3]);
  });
});

describe("the Fix button", () => {
  it("asks the chat to fix the shown error, as often as the user presses it, also for a fix version", () => {
    const preview = startPreview();
    preview.showRunning(2, counter, { fromFix: true });
    preview.frame.runtimeError("x is not defined", 7);
    preview.send({ type: "FIX" });
    preview.send({ type: "FIX" });
    const manual = { type: "fix", version: 2, error: { kind: "runtime", message: "x is not defined", line: 7 }, auto: false };
    expect(preview.fixes).toEqual([manual, manual]);
  });

  it("can ask to fix a timeout the machine did not fix on its own", () => {
    const preview = startPreview();
    preview.show(1, counter);
    preview.frame.ready();
    vi.advanceTimersByTime(10_000);
    preview.send({ type: "FIX" });
    expect(preview.fixes).toMatchObject([{ version: 1, error: { kind: "timeout" }, auto: false }]);
  });

  it("does nothing while there is no error", () => {
    const preview = startPreview();
    preview.send({ type: "FIX" });
    preview.showRunning(1, counter);
    preview.send({ type: "FIX" });
    expect(preview.fixes).toEqual([]);
  });
});

describe("an unavailable runtime", () => {
  it("shows the reason the bridge reports", () => {
    const preview = startPreview();
    preview.show(1, counter);
    preview.frame.unavailable("The preview frame was blocked by the page's security policy.");
    expect(preview.snapshot.value).toBe("unavailable");
    expect(preview.view).toEqual({
      status: "unavailable",
      run: preview.context.run,
      unavailableReason: "The preview frame was blocked by the page's security policy.",
    });
  });

  it("replaces the reason with what the diagnosis found", async () => {
    const diagnose = fromPromise<string | undefined, { runId: number }>(
      async ({ input }) => `runtime of run ${input.runId}: /preview/runtime/react.js answered 404`,
    );
    const preview = startPreview({}, previewMachine.provide({ actors: { diagnose } }));
    preview.show(1, counter);
    preview.frame.unavailable("The preview runtime could not be loaded.");
    await vi.waitFor(() =>
      expect(preview.context.unavailableReason).toBe("runtime of run 1: /preview/runtime/react.js answered 404"),
    );
    expect(preview.snapshot.value).toBe("unavailable");
  });

  it("keeps the reason when the diagnosis finds nothing or fails", async () => {
    const probes: Array<() => Promise<string | undefined>> = [
      async () => undefined,
      async () => "  ",
      async () => Promise.reject(new Error("probe failed")),
    ];
    for (const probe of probes) {
      const diagnose = vi.fn(probe);
      const preview = startPreview({}, previewMachine.provide({ actors: { diagnose: fromPromise(diagnose) } }));
      preview.show(1, counter);
      vi.advanceTimersByTime(15_000);
      await vi.waitFor(() => expect(diagnose).toHaveBeenCalled());
      await vi.advanceTimersByTimeAsync(0);
      expect(preview.snapshot.value).toBe("unavailable");
      expect(preview.context.unavailableReason).toBe("The preview runtime did not start within 15 s.");
    }
  });

  it("tries again in a fresh frame on Reload", () => {
    const preview = startPreview();
    preview.show(1, counter);
    preview.frame.unavailable();
    preview.send({ type: "RELOAD" });
    expect(preview.snapshot.matches({ loading: "starting" })).toBe(true);
    expect(preview.context.run).toMatchObject({ id: 2, version: 1, files: filesOf(counter) });
    expect(preview.context.unavailableReason).toBeUndefined();
  });

  it("tries again when the page shows the same code again", () => {
    const preview = startPreview();
    preview.show(1, counter);
    preview.frame.unavailable();
    preview.show(1, counter);
    expect(preview.snapshot.matches({ loading: "starting" })).toBe(true);
    expect(preview.runId).toBe(2);
  });

  it("can also be reported while the app is rendering", () => {
    const preview = startPreview();
    preview.show(1, counter);
    preview.frame.ready();
    preview.frame.unavailable("The preview frame stopped responding.");
    expect(preview.snapshot.value).toBe("unavailable");
    expect(preview.context.unavailableReason).toBe("The preview frame stopped responding.");
  });
});

describe("named actions check the event they are given", () => {
  it("an action wired to another event fails loudly, naming the event it expects", () => {
    // startRun (it needs SHOW's code) run on Reload, as a slip in the chart would wire it. The machine's
    // own implementations are typed more loosely than `provide` expects (any actor), hence the cast.
    type PreviewActions = NonNullable<Parameters<typeof previewMachine.provide>[0]["actions"]>;
    const startRun = previewMachine.implementations.actions.startRun as PreviewActions["restartRun"];
    const preview = startPreview({}, previewMachine.provide({ actions: { restartRun: startRun } }));
    const errors: unknown[] = [];
    preview.actor.subscribe({ error: (error) => errors.push(error) });
    preview.showRunning(1, counter);
    preview.frame.runtimeError();
    preview.send({ type: "RELOAD" });
    expect(preview.snapshot.status).toBe("error");
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('to have type matching "SHOW"');
  });
});
