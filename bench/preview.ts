/**
 * The preview phase: how soon a finished answer runs, and what Kiln's own preview runtime weighs.
 * Debian's chromium (launched as bench/browser.ts does), every non-local request aborted, through the
 * real UI against the production server. Each run is one fresh browser context:
 *   cold  — the home page, the default prompt (the pomodoro app, lucide icons), version 1;
 *   next  — in the same chat, once the spare frame is loaded, `[fake:reply=follow-up]`, version 2;
 *   warm  — a new page in that context (the runtime is in its cache now), the default prompt again.
 * Times are taken in the host page by an init script: the closing fence is the code view's
 * `data-writing` turning "false" (the chat machine's draft holds the closing ``` fence), "done" is
 * the status line's `data-phase` turning "done" (the chat machine finished the turn and made the
 * version), and "rendered" is the frame's `rendered` message (the app's first commit is done).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium, type Browser, type BrowserContext, type Page, type Response } from "@playwright/test";
import type { PreviewManifest } from "../scripts/build-preview";
import { fakeReply } from "../tests/support/fake-reply";
import type { JsFile } from "./browser";
import { root } from "./processes";
import { median, sum, type Table } from "./stats";
import { CHROMIUM_ARGS } from "../tests/support/debian-chromium";

export interface PreviewConfig {
  kilnUrl: string;
  /** Runs, one browser context each; every case gets one sample per run. */
  runs: number;
  /** The fake's pace for the measured answers: it sets how long the text after the closing fence takes. */
  tokensPerSecond: number;
  executablePath: string;
}

export const PREVIEW_CASES = ["cold", "warm", "next"] as const;
export type PreviewCase = (typeof PREVIEW_CASES)[number];

/** A response of the frame (`/preview/*`), as the network saw it. */
export interface FrameResponse {
  path: string;
  status: number;
  /** Body bytes as transferred (gzip when compressed); 0 when the browser's cache answered (a hit or a 304). */
  encodedBytes: number;
}

export interface PreviewSample {
  case: PreviewCase;
  version: number;
  /** epoch ms, in the host page */
  fenceClosedAt?: number;
  doneAt?: number;
  /** The frame that ran this version said `ready` (loaded the runtime): first such message after the fence closed, if any. */
  readyAt?: number;
  renderedAt?: number;
  /** The `/preview/*` responses between submit and rendered. */
  frameResponses: FrameResponse[];
  /** A spare frame had said `ready` before this version's answer was submitted. */
  spareWasReady?: boolean;
  problems: string[];
}

export interface PreviewMeasurement {
  config: PreviewConfig;
  samples: PreviewSample[];
  manifest: PreviewManifest;
  /** The home page's JS (first run, as bench/browser.ts counts it) and whether it asked for anything of the preview. */
  homeJs: JsFile[];
  homePreviewRequests: string[];
  /** Characters after the closing fence (streamed between "fence closed" and "done"), per case. */
  tailChars: Record<PreviewCase, number>;
  /** Requests to other hosts, refused by the launch's proxy. */
  blocked: string[];
}

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
/** Nothing listens on the discard port: every request sent through this proxy fails at once. */
const DEAD_PROXY = "http://127.0.0.1:9";
const isLocal = (url: URL) => LOCAL_HOSTS.has(url.hostname) || ["data:", "blob:", "about:"].includes(url.protocol);

/** Host page only (not the frames): the preview messages and the two state changes, timestamped. */
const INIT_SCRIPT = `
  if (window.top === window) {
    const now = () => performance.timeOrigin + performance.now();
    const marks = [];
    window.__previewBench = { marks };
    window.addEventListener("message", (event) => {
      const data = event.data;
      if (data && data.kiln === "preview") marks.push({ kind: data.type, version: data.version, at: now() });
    }, true);
    new MutationObserver((records) => {
      const at = now();
      for (const record of records) {
        const value = record.target.getAttribute(record.attributeName);
        if (record.attributeName === "data-writing" && record.oldValue === "true" && value === "false")
          marks.push({ kind: "fence-closed", version: Number(record.target.dataset.version), at });
        if (record.attributeName === "data-phase" && value === "done" && record.oldValue !== "done")
          marks.push({ kind: "done", at });
      }
    }).observe(document, { subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ["data-writing", "data-phase"] });
  }
`;

/** What the init script leaves on the page's window. */
type PreviewBenchWindow = Window & { __previewBench?: { marks: Mark[] } };

interface Mark {
  kind: string;
  version?: number;
  at: number;
}

const marksOf = (page: Page): Promise<Mark[]> => page.evaluate(() => (window as PreviewBenchWindow).__previewBench?.marks ?? []);
const epochNow = (page: Page): Promise<number> => page.evaluate(() => performance.timeOrigin + performance.now());

export function readManifest(): PreviewManifest {
  return JSON.parse(readFileSync(join(root, "build/preview/manifest.json"), "utf8")) as PreviewManifest;
}

/** The text after the reply's closing fence line. */
function tailAfterFence(reply: string): string {
  const open = reply.indexOf("```tsx\n");
  const close = reply.indexOf("\n```", open + 1);
  return reply.slice(close + "\n```".length);
}

/** Collects the `/preview/*` responses of a context while `sink` is set. */
class FrameTraffic {
  sink?: FrameResponse[];
  private pending: Promise<void>[] = [];
  constructor(context: BrowserContext) {
    context.on("response", (response) => this.onResponse(response));
  }
  private onResponse(response: Response) {
    const url = new URL(response.url());
    const sink = this.sink;
    if (!sink || !url.pathname.startsWith("/preview/")) return;
    this.pending.push(
      response
        .request()
        .sizes()
        .then((sizes) => void sink.push({ path: url.pathname, status: response.status(), encodedBytes: sizes.responseBodySize }))
        .catch(() => {}),
    );
  }
  async settle() {
    await Promise.all(this.pending.splice(0));
  }
}

async function submit(page: Page, box: string, prompt: string) {
  const input = page.getByRole("textbox", { name: box });
  await input.waitFor({ timeout: 15_000 });
  await input.fill(prompt);
  await input.press("Enter");
}

/** Waits for `version`'s `rendered` (or a preview error), then reads the marks of that version. */
async function awaitVersion(page: Page, sample: PreviewSample, after: number, traffic: FrameTraffic): Promise<void> {
  try {
    const outcome = await page.waitForFunction(
      (version) => {
        const marks = (window as PreviewBenchWindow).__previewBench?.marks ?? [];
        if (marks.some((m: Mark) => m.kind === "rendered" && m.version === version)) return "rendered";
        const error = marks.find((m: Mark) => m.kind === "error" && m.version === version);
        if (error)
          return `the frame reported an error: ${document.querySelector('[data-testid="preview-error"]')?.textContent ?? ""}`;
        const unavailable = document.querySelector('[data-testid="preview-unavailable"]');
        return unavailable ? `preview unavailable: ${unavailable.textContent}` : false;
      },
      sample.version,
      { polling: 50, timeout: 90_000 },
    );
    // Counted up to the render: the spare frame loads after it, for the next version.
    traffic.sink = undefined;
    const value = await outcome.jsonValue();
    if (value !== "rendered") sample.problems.push(String(value));
  } catch (error) {
    sample.problems.push(`no rendered message for version ${sample.version}: ${(error as Error).message.split("\n")[0]}`);
  }
  // The app runs as soon as the fence closes, before the answer is done: wait for both.
  await page
    .waitForFunction(
      (since) =>
        ((window as PreviewBenchWindow).__previewBench?.marks ?? []).some((m: Mark) => m.kind === "done" && m.at >= since),
      after,
      {
        polling: 50,
        timeout: 30_000,
      },
    )
    .catch(() => undefined);
  const marks = (await marksOf(page)).filter((m) => m.at >= after);
  sample.fenceClosedAt = marks.find((m) => m.kind === "fence-closed" && m.version === sample.version)?.at;
  sample.doneAt = marks.find((m) => m.kind === "done")?.at;
  sample.renderedAt = marks.find((m) => m.kind === "rendered" && m.version === sample.version)?.at;
  const { fenceClosedAt, renderedAt } = sample;
  if (fenceClosedAt !== undefined && renderedAt !== undefined)
    sample.readyAt = marks.find((m) => m.kind === "ready" && m.at >= fenceClosedAt && m.at <= renderedAt)?.at;
  if (sample.fenceClosedAt === undefined) sample.problems.push("the code view's data-writing never turned false");
  if (sample.doneAt === undefined) sample.problems.push('the status line never reached "done"');
  // What ran is the app: its Start button, in the frame on screen.
  const start = page.frameLocator('[data-testid="preview-frame"]').getByRole("button", { name: "Start" });
  if (!(await start.isVisible().catch(() => false)))
    sample.problems.push(`version ${sample.version}: no Start button in the frame on screen`);
  await traffic.settle();
}

/** One run: cold and next version in a fresh context, then warm in a new page of the same context. */
async function measureRun(
  browser: Browser,
  config: PreviewConfig,
  measurement: PreviewMeasurement,
  first: boolean,
): Promise<PreviewSample[]> {
  const pace = `[fake:tps=${config.tokensPerSecond}]`;
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    // The proxy of the launch refuses them; a request that failed off this machine is one that tried.
    context.on("requestfailed", (request) => {
      if (!isLocal(new URL(request.url()))) measurement.blocked.push(request.url());
    });
    await context.addInitScript(INIT_SCRIPT);
    const traffic = new FrameTraffic(context);

    let page = await context.newPage();
    const homeSeen: string[] = [];
    const homeJs: Promise<void>[] = [];
    const onHome = (response: Response) => {
      const url = new URL(response.url());
      if (url.origin !== new URL(config.kilnUrl).origin) return;
      homeSeen.push(url.pathname);
      const isJs = url.pathname.endsWith(".js") || /javascript/.test(response.headers()["content-type"] ?? "");
      if (first && isJs) {
        homeJs.push(
          response
            .body()
            .then(
              (bytes) => void measurement.homeJs.push({ url: url.pathname, bytes: bytes.length, gzip: gzipSync(bytes).length }),
            )
            .catch(() => {}),
        );
      }
    };
    page.on("response", onHome);
    await page.goto(config.kilnUrl, { waitUntil: "networkidle" });
    await Promise.all(homeJs);
    page.off("response", onHome);
    measurement.homePreviewRequests.push(...homeSeen.filter((path) => path.startsWith("/preview/")));

    const cold: PreviewSample = { case: "cold", version: 1, frameResponses: [], problems: [] };
    traffic.sink = cold.frameResponses;
    let from = await epochNow(page);
    await submit(page, "Describe your app", `A pomodoro timer ${pace}`);
    await awaitVersion(page, cold, from, traffic);

    const next: PreviewSample = { case: "next", version: 2, frameResponses: [], problems: [] };
    // The spare frame is made 500 ms after a render and then loads: the user is still reading.
    try {
      await page.waitForFunction(
        () => ((window as PreviewBenchWindow).__previewBench?.marks ?? []).filter((m: Mark) => m.kind === "ready").length >= 2,
        undefined,
        {
          polling: 50,
          timeout: 15_000,
        },
      );
      next.spareWasReady = true;
    } catch {
      next.spareWasReady = false;
      next.problems.push("no spare frame said ready within 15 s of the first render");
    }
    traffic.sink = next.frameResponses;
    from = await epochNow(page);
    await submit(page, "Ask for a change", `Bigger buttons [fake:reply=follow-up]${pace}`);
    await awaitVersion(page, next, from, traffic);

    traffic.sink = undefined;
    await page.close();
    page = await context.newPage();
    await page.goto(config.kilnUrl, { waitUntil: "networkidle" });
    const warm: PreviewSample = { case: "warm", version: 1, frameResponses: [], problems: [] };
    traffic.sink = warm.frameResponses;
    from = await epochNow(page);
    await submit(page, "Describe your app", `A pomodoro timer ${pace}`);
    await awaitVersion(page, warm, from, traffic);
    traffic.sink = undefined;
    return [cold, next, warm];
  } finally {
    await context.close();
  }
}

export async function measurePreview(config: PreviewConfig, log: (line: string) => void = () => {}): Promise<PreviewMeasurement> {
  const tail = tailAfterFence(fakeReply("default")).length;
  const measurement: PreviewMeasurement = {
    config,
    samples: [],
    manifest: readManifest(),
    homeJs: [],
    homePreviewRequests: [],
    tailChars: { cold: tail, warm: tail, next: tailAfterFence(fakeReply("follow-up")).length },
    blocked: [],
  };
  const browser = await chromium.launch({
    executablePath: config.executablePath,
    args: CHROMIUM_ARGS,
    // Offline without Playwright's routing, which would turn the HTTP cache off (and with it the warm case).
    proxy: { server: DEAD_PROXY, bypass: [...LOCAL_HOSTS].join(",") },
  });
  try {
    // Not measured: the server's first chat pages and preview files (its JIT, its file reads).
    await measureRun(
      browser,
      { ...config, tokensPerSecond: 1000 },
      { ...measurement, samples: [], homeJs: [], homePreviewRequests: [], blocked: [] },
      false,
    );
    for (let run = 1; run <= config.runs; run++) {
      const samples = await measureRun(browser, config, measurement, run === 1);
      measurement.samples.push(...samples);
      log(
        `  run ${run}: ${samples
          .map(
            (s) =>
              `${s.case} ${formatMs(fenceToRendered(s))} (fence → done ${formatMs(fenceToDone(s))})${s.problems.length ? " PROBLEM" : ""}`,
          )
          .join(", ")}`,
      );
      for (const s of samples) for (const p of s.problems) log(`    ${s.case}: ${p}`);
    }
  } finally {
    await browser.close();
  }
  return measurement;
}

const between = (from?: number, to?: number) => (from === undefined || to === undefined ? undefined : to - from);
export const fenceToRendered = (s: PreviewSample) => between(s.fenceClosedAt, s.renderedAt);
export const fenceToDone = (s: PreviewSample) => between(s.fenceClosedAt, s.doneAt);
const fenceToReady = (s: PreviewSample) => between(s.fenceClosedAt, s.readyAt);
const readyToRendered = (s: PreviewSample) => between(s.readyAt, s.renderedAt);
const formatMs = (ms?: number) => (ms === undefined ? "–" : `${ms.toFixed(0)} ms`);

const samplesOf = (m: PreviewMeasurement, c: PreviewCase) => m.samples.filter((s) => s.case === c);

/** The median of a figure over the runs of one case; undefined when any run lacks it. */
export function medianOf(
  m: PreviewMeasurement,
  c: PreviewCase,
  figure: (s: PreviewSample) => number | undefined,
): number | undefined {
  const values = samplesOf(m, c).map(figure);
  return values.length && values.every((v) => v !== undefined) ? median(values as number[]) : undefined;
}

const kib = (bytes: number) => bytes / 1024;

/** The frame's downloads in the first cold run, gzip as transferred. */
export function coldFrameBytes(m: PreviewMeasurement): number {
  const cold = samplesOf(m, "cold")[0];
  return cold ? sum(cold.frameResponses.map((r) => r.encodedBytes)) : Number.NaN;
}

export function manifestGzipBytes(m: PreviewMeasurement): number {
  return sum(Object.values(m.manifest.sizes).map((s) => s.gzipBytes));
}

export function previewTable(m: PreviewMeasurement): Table {
  const row = (label: string, figure: (s: PreviewSample) => number | undefined) => [
    label,
    ...PREVIEW_CASES.map((c) => {
      const value = medianOf(m, c, figure);
      return value === undefined ? "–" : value;
    }),
  ];
  const spread = (c: PreviewCase) =>
    samplesOf(m, c)
      .map((s) => fenceToRendered(s))
      .map((v) => (v === undefined ? "–" : v.toFixed(0)))
      .join(", ");
  const downloads = (c: PreviewCase) => {
    const files = samplesOf(m, c).flatMap((s) => s.frameResponses);
    const runs = Math.max(1, samplesOf(m, c).length);
    const cached = files.filter((f) => f.encodedBytes === 0).map((f) => f.path);
    return `${c}: ${(files.length / runs).toFixed(1)} /preview/* responses per run, ${kib(sum(files.map((f) => f.encodedBytes)) / runs).toFixed(1)} KiB transferred per run; answered by the browser's cache: ${cached.length ? [...new Set(cached)].join(", ") : "nothing"}`;
  };
  return {
    title: `6. Preview: closing fence → the app's first render, pomodoro reply at ${m.config.tokensPerSecond} tokens/s (chromium, headless, offline), median of ${m.config.runs} runs, ms`,
    columns: ["measure", ...PREVIEW_CASES],
    rows: [
      row("closing fence → rendered", fenceToRendered),
      row(
        "…closing fence → frame ready (frame page, react and frame bundles loaded and run; 'not measured': a spare frame was ready)",
        fenceToReady,
      ),
      row("…frame ready → rendered (the app's imports, Tailwind, compile, first commit)", readyToRendered),
      row(
        `closing fence → done, for comparison (the text after the fence: ${PREVIEW_CASES.map((c) => m.tailChars[c]).join(" / ")} characters; the app runs meanwhile)`,
        fenceToDone,
      ),
    ],
    notes: [
      'closing fence: the code view\'s data-writing turns "false" (the preview starts the app then); done: the status line\'s data-phase turns "done"; rendered: the frame\'s message',
      ...PREVIEW_CASES.map((c) => `${c}, each run: ${spread(c)}`),
      ...PREVIEW_CASES.map(downloads),
      `next version used a spare frame that was ready before submit: ${samplesOf(m, "next").filter((s) => s.spareWasReady).length} of ${samplesOf(m, "next").length} runs`,
      ...m.samples.flatMap((s, i) => s.problems.map((p) => `PROBLEM (${s.case}, sample ${i + 1}): ${p}`)),
      ...(m.blocked.length
        ? [`non-local requests aborted: ${[...new Set(m.blocked)].join(", ")}`]
        : ["no request tried to leave the machine"]),
    ],
  };
}

export function previewWeightTable(m: PreviewMeasurement): Table {
  const cold = samplesOf(m, "cold")[0];
  const loaded = new Set(cold?.frameResponses.map((r) => r.path.split("/").pop()));
  const rows: Table["rows"] = Object.entries(m.manifest.bundles).map(([name, file]) => {
    const size = m.manifest.sizes[name];
    const when = name === "react" || name === "frame" ? "always" : "on import";
    const response = cold?.frameResponses.find((r) => r.path.endsWith(`/${file}`));
    return [
      `${name} (${when})`,
      kib(size.bytes),
      kib(size.gzipBytes),
      response ? kib(response.encodedBytes) : loaded.size ? "not loaded" : "–",
    ];
  });
  const page = cold?.frameResponses.find((r) => r.path === "/preview/frame");
  rows.push(["frame page /preview/frame", "", "", page ? kib(page.encodedBytes) : "–"]);
  rows.push([
    "all four bundles (manifest)",
    kib(sum(Object.values(m.manifest.sizes).map((s) => s.bytes))),
    kib(manifestGzipBytes(m)),
    "",
  ]);
  rows.push(["the pomodoro app's first run, cold (measured)", "", "", cold ? kib(coldFrameBytes(m)) : "–"]);
  rows.push([
    "home page JS before any preview",
    kib(sum(m.homeJs.map((f) => f.bytes))),
    kib(sum(m.homeJs.map((f) => f.gzip))),
    "",
  ]);
  return {
    title: "7. Preview weight, KiB (manifest: build/preview/manifest.json; measured: encoded body bytes of /preview/* responses)",
    columns: ["what", "raw KiB", "gzip KiB", "transferred, cold KiB"],
    rows,
    notes: [
      `/preview/* requests made by the home page: ${m.homePreviewRequests.length ? m.homePreviewRequests.join(", ") : "none"}`,
      `home JS (gzip level 6 of the bodies, as the browser phase counts it): ${m.homeJs.map((f) => `${f.url.replace("/assets/", "")} ${kib(f.gzip).toFixed(1)}`).join(", ")}`,
    ],
  };
}
