/**
 * A host for Kiln's preview frame without the rest of Kiln: one Kiln page per worker, kept for every
 * test, which gives each run a fresh `<iframe src="/preview/frame">`, sandboxed as the product's frame
 * pool does, and speaks the frame protocol (machines/preview-protocol.ts) to it. Like the pool, it
 * loads a spare frame while the previous app settles, so a run does not wait for the runtime to load.
 *
 * The internet stays cut off (offline.ts): its `internet` fixture routes the test's `context`, which
 * here is the shared one, so its `blocked` list holds that test's requests only.
 */
import type { BrowserContext, Page } from "@playwright/test";
import { FRAME_SANDBOX } from "../../app/components/preview/frame-pool";
import { APP_ENTRY, parseFrameMessage, runMessage, type FrameMessage, type RunMessage } from "../../machines/preview-protocol";
import { test as offlineTest } from "./offline";

export { expect } from "./offline";

/** A realistic preview pane. */
const FRAME_SIZE = { width: 1024, height: 768 };
const FRAME_TEST_ID = "harness-preview-frame";

export const test = offlineTest.extend<object, { hostContext: BrowserContext; hostPage: Page }>({
  hostContext: [
    async ({ browser }, use, workerInfo) => {
      const context = await browser.newContext({
        baseURL: workerInfo.project.use.baseURL,
        viewport: { width: 1280, height: 800 },
      });
      await use(context);
      await context.close();
    },
    { scope: "worker" },
  ],
  hostPage: [
    async ({ hostContext }, use) => {
      const page = await hostContext.newPage();
      // Any Kiln page will do: its CSP lets it frame Kiln's own origin (the frame page) and nothing else.
      await page.goto("/healthz");
      await page.evaluate(installPreviewHost, { sandbox: FRAME_SANDBOX, testId: FRAME_TEST_ID, ...FRAME_SIZE });
      await use(page);
    },
    { scope: "worker" },
  ],
  context: async ({ hostContext }, use) => {
    await use(hostContext);
    // offline.ts routes the context once per test: drop this test's route before the next adds its own.
    await hostContext.unrouteAll({ behavior: "ignoreErrors" });
  },
  page: async ({ hostPage }, use) => {
    await use(hostPage);
  },
});

export interface FrameRun {
  /** Every protocol message the frame sent, in order (anything else it posted is dropped). */
  messages: FrameMessage[];
  /** Pixels of the frame, once the run settled, that differ from its top-left one: 0 is a blank pane. */
  paintedPixels: number;
}

export interface RunTiming {
  /** How long to keep listening after `rendered` or `error`, for errors from effects and timers. */
  settleMs: number;
  /** Give up waiting for `rendered` or `error` after this long. */
  timeoutMs: number;
}

/** What installPreviewHost leaves on the host page's window (not declared globally: app code must not see it). */
interface PreviewHost {
  run(message: RunMessage, timing: RunTiming): Promise<unknown[]>;
}
type HostWindow = Window & { previewHost?: PreviewHost };

/** Runs one app's code in a new preview frame on the host page: what the frame said and showed. */
export async function runInPreviewFrame(page: Page, code: string, timing: RunTiming): Promise<FrameRun> {
  const message = runMessage(1, { [APP_ENTRY]: code });
  const received = await page.evaluate(([message, timing]) => (window as HostWindow).previewHost!.run(message, timing), [
    message,
    timing,
  ] as const);
  const messages = received.map(parseFrameMessage).filter((m): m is FrameMessage => m !== null);
  const screenshot = await page.getByTestId(FRAME_TEST_ID).screenshot();
  return { messages, paintedPixels: await paintedPixels(page, screenshot) };
}

/** Decoded by the host page's own canvas (its CSP allows data: images); Node has no PNG decoder here. */
function paintedPixels(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(
    async (url) => {
      const image = new Image();
      image.src = url;
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext("2d")!;
      context.drawImage(image, 0, 0);
      const pixels = new Uint32Array(context.getImageData(0, 0, image.width, image.height).data.buffer);
      return pixels.filter((pixel) => pixel !== pixels[0]).length;
    },
    `data:image/png;base64,${png.toString("base64")}`,
  );
}

/**
 * Evaluated in the host page, so it may use nothing from this module. Frames are stacked at the top
 * left, opaque white (a blank frame must not show the page beneath); the spare one is hidden (not
 * display:none, so it lays out as the shown one does).
 */
function installPreviewHost({
  sandbox,
  testId,
  width,
  height,
}: {
  sandbox: string;
  testId: string;
  width: number;
  height: number;
}) {
  interface Slot {
    element: HTMLIFrameElement;
    received: unknown[];
    ready: boolean;
    onMessage?: (data: unknown) => void;
  }
  let slots: Slot[] = [];
  let spare: Slot | undefined;

  const load = (): Slot => {
    const element = document.createElement("iframe");
    element.setAttribute("sandbox", sandbox);
    element.style.cssText = `position:fixed;top:0;left:0;width:${width}px;height:${height}px;border:0;background:white;visibility:hidden`;
    element.src = "/preview/frame";
    const slot: Slot = { element, received: [], ready: false };
    slots.push(slot);
    document.body.append(element);
    return slot;
  };

  window.addEventListener("message", (event) => {
    // The frames' origin is opaque ("null"): only `source` tells which frame sent a message.
    const slot = slots.find((s) => s.element.contentWindow !== null && s.element.contentWindow === event.source);
    if (!slot) return;
    slot.received.push(event.data);
    if ((event.data as { type?: unknown } | null)?.type === "ready") slot.ready = true;
    slot.onMessage?.(event.data);
  });

  spare = load();
  (window as HostWindow).previewHost = {
    run(message, { settleMs, timeoutMs }) {
      const slot = spare ?? load();
      spare = undefined;
      for (const other of slots) if (other !== slot) other.element.remove();
      slots = [slot];
      slot.element.dataset.testid = testId;
      slot.element.style.visibility = "visible";
      return new Promise((resolve) => {
        const post = () => slot.element.contentWindow!.postMessage(message, "*");
        const finish = () => {
          clearTimeout(timeout);
          slot.onMessage = undefined;
          spare ??= load();
          resolve([...slot.received]);
        };
        const timeout = setTimeout(finish, timeoutMs);
        let settling = false;
        slot.onMessage = (data) => {
          const type = (data as { type?: unknown } | null)?.type;
          if (type === "ready") post();
          if ((type === "rendered" || type === "error") && !settling) {
            settling = true;
            clearTimeout(timeout);
            spare ??= load();
            setTimeout(finish, settleMs);
          }
        };
        if (slot.ready) post();
      });
    },
  };
}
