/**
 * The iframes of Kiln's own preview runtime, managed outside React because their identity matters:
 * each run gets a fresh frame (nothing one version left running leaks into the next), the frame on
 * screen stays until the next one has rendered (no blank flash between versions), and one spare
 * frame is loaded ahead, so the next version skips loading the runtime. Every frame is sandboxed
 * without the same-origin permission: an opaque origin, told apart only by `event.source`.
 *
 * The pool only moves messages: it reports what frames say to the preview machine (FRAME_* events
 * with the run's id) and posts the `run` message the machine emits. It decides nothing.
 */
import { libraryOf } from "../../../machines/allowed-libraries";
import { APP_ENTRY, parseFrameMessage, type RunMessage } from "../../../machines/preview-protocol";
import type { PreviewEvent } from "../../../machines/preview.machine";

/** Scripts, forms and dialogs only, never the same-origin permission: the generated app must not share Kiln's origin. */
export const FRAME_SANDBOX = "allow-scripts allow-forms allow-modals";

interface Slot {
  element: HTMLIFrameElement;
  ready: boolean;
  runId?: number;
}

/** After a render, the spare is loaded once the browser is idle again, not while the app starts. */
const SPARE_DELAY_MS = 500;

/** Before any app has run, most apps draw icons: the first spare frame fetches lucide-react ahead. */
const FIRST_PRELOAD = ["lucide-react"];

/** The on-demand bundles an app's code imports from (a guess is enough: it only preloads). */
export function bundlesImportedBy(code: string): string[] {
  const specifiers = [...code.matchAll(/from\s*["']([^"']+)["']/g)].map((match) => match[1]);
  const bundles = specifiers.map((specifier) => libraryOf(specifier)?.bundle).filter((bundle) => bundle && bundle !== "react");
  return [...new Set(bundles as string[])];
}

export class FramePool {
  private slots: Slot[] = [];
  private shown?: Slot;
  private spareTimer?: ReturnType<typeof setTimeout>;
  /** What the spare frame preloads: the bundles of the app that ran last. */
  private preload = FIRST_PRELOAD;

  constructor(
    private readonly container: HTMLElement,
    private readonly frameUrl: string,
    private readonly report: (event: PreviewEvent) => void,
  ) {
    window.addEventListener("message", this.onMessage);
    // Loaded while the first answer streams, so the first version, too, finds a frame ready.
    this.addFrame();
  }

  /** A new run: the spare frame takes it (already loaded, usually), or a new frame does. */
  start(runId: number): void {
    const slot = this.slots.find((s) => s.runId === undefined) ?? this.addFrame();
    slot.runId = runId;
    // Runs that never rendered have nothing worth keeping on screen.
    for (const other of this.slots) if (other !== slot && other !== this.shown) this.remove(other);
    if (slot.ready) this.report({ type: "FRAME_READY", runId });
  }

  post(runId: number, message: RunMessage): void {
    this.preload = bundlesImportedBy(message.files[APP_ENTRY] ?? "");
    this.slots.find((s) => s.runId === runId)?.element.contentWindow?.postMessage(message, "*");
  }

  clear(): void {
    for (const slot of [...this.slots]) this.remove(slot);
    this.shown = undefined;
  }

  destroy(): void {
    window.removeEventListener("message", this.onMessage);
    clearTimeout(this.spareTimer);
    this.clear();
  }

  private addFrame(): Slot {
    const element = document.createElement("iframe");
    element.setAttribute("sandbox", FRAME_SANDBOX);
    element.title = "App preview";
    element.className = "preview-frame";
    // Loaded out of sight; a hidden (not display:none) frame still lays out, so charts measure right.
    element.style.visibility = "hidden";
    element.src = this.preload.length ? `${this.frameUrl}?preload=${this.preload.join(",")}` : this.frameUrl;
    const slot: Slot = { element, ready: false };
    this.slots.push(slot);
    this.container.append(element);
    return slot;
  }

  private remove(slot: Slot): void {
    slot.element.remove();
    this.slots = this.slots.filter((s) => s !== slot);
  }

  /** The frame of this run on screen, the one before it gone, and a spare loading for the next. */
  private show(slot: Slot): void {
    if (this.shown === slot) return;
    if (this.shown) this.remove(this.shown);
    this.shown = slot;
    slot.element.style.visibility = "visible";
    slot.element.dataset.testid = "preview-frame";
    clearTimeout(this.spareTimer);
    this.spareTimer = setTimeout(() => {
      if (!this.slots.some((s) => s.runId === undefined)) this.addFrame();
    }, SPARE_DELAY_MS);
  }

  private onMessage = (event: MessageEvent) => {
    const slot = this.slots.find((s) => s.element.contentWindow !== null && s.element.contentWindow === event.source);
    if (!slot) return;
    const message = parseFrameMessage(event.data);
    if (!message) return;
    if (message.type === "ready") {
      slot.ready = true;
      if (slot.runId !== undefined) this.report({ type: "FRAME_READY", runId: slot.runId });
      return;
    }
    if (slot.runId === undefined) return;
    this.show(slot);
    if (message.type === "rendered") {
      this.report({ type: "FRAME_RENDERED", runId: slot.runId, version: message.version });
    } else {
      const { version, kind, message: text, line, column } = message;
      this.report({ type: "FRAME_ERROR", runId: slot.runId, version, kind, message: text, line, column });
    }
  };
}
