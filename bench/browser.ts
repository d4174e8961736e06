/**
 * The browser side: page weight of the home page, and a long reply streamed fast through the real UI
 * (home page → POST /api/chats → /chats/:id) in Debian's chromium, with the main thread's long tasks
 * recorded by a PerformanceObserver installed before any of the app's scripts run.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium, type Page } from "@playwright/test";
import { fakeReply } from "../tests/support/fake-reply";
import { topFunctions, type CpuProfile } from "./inspector";
import { root } from "./processes";
import { sum, type Table } from "./stats";
import { writeFileSync } from "node:fs";
import { CHROMIUM_ARGS } from "../tests/support/debian-chromium";

export interface BrowserConfig {
  kilnUrl: string;
  fakeUrl: string;
  tokens: number;
  tokensPerSecond: number;
  executablePath: string;
  /** Writes a CPU profile of the page during the stream here, and adds its top functions to the notes. */
  profileFile?: string;
  /** Extra script run in the page before the app's (for trying a fix without rebuilding). */
  extraInitScript?: string;
}

export interface JsFile {
  url: string;
  bytes: number;
  gzip: number;
}

export interface LongTask {
  /** epoch ms */
  start: number;
  duration: number;
}

export interface BrowserMeasurement {
  config: BrowserConfig;
  homeJs: JsFile[];
  /** JS fetched after the home page loaded, before the stream ended (the chat route). */
  streamJs: JsFile[];
  /** JS fetched after the stream ended (the preview). */
  afterJs: JsFile[];
  /** The lazy Sandpack chunk and its static imports, from the build (whatever the page did). */
  sandpackJs: JsFile[];
  /** Long tasks between submit and "Done in" on the status line. */
  streamTasks: LongTask[];
  /** Long tasks in the 3 s after "Done in" (the preview loading). */
  afterTasks: LongTask[];
  /** epoch ms of the submit (Enter in the prompt box). */
  submittedAt?: number;
  /** Submit → "Done in". */
  streamMs?: number;
  /** The provider's own stream duration (from the fake's request log). */
  providerMs?: number;
  /** The provider's last byte → "Done in" on screen. */
  lagMs?: number;
  codeLength?: number;
  expectedCodeLength: number;
  codeEqual: boolean;
  profileTop?: string[];
  /** Chromium's main-thread counters over the stream (CDP Performance.getMetrics deltas), seconds or counts. */
  mainThread?: MainThreadMetrics;
  problems: string[];
}

export interface MainThreadMetrics {
  TaskDuration: number;
  ScriptDuration: number;
  LayoutDuration: number;
  RecalcStyleDuration: number;
  LayoutCount: number;
}

const METRICS = ["TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "LayoutCount"] as const;

type Cdp = { send(method: string, params?: object): Promise<unknown> };

export async function mainThreadMetrics(cdp: Cdp): Promise<MainThreadMetrics> {
  const { metrics } = (await cdp.send("Performance.getMetrics")) as { metrics: { name: string; value: number }[] };
  return Object.fromEntries(
    METRICS.map((name) => [name, metrics.find((m) => m.name === name)?.value ?? Number.NaN]),
  ) as unknown as MainThreadMetrics;
}

export function metricsDelta(from: MainThreadMetrics, to: MainThreadMetrics): MainThreadMetrics {
  return Object.fromEntries(METRICS.map((name) => [name, to[name] - from[name]])) as unknown as MainThreadMetrics;
}

const gzipOf = (bytes: Buffer) => gzipSync(bytes).length;

/** Sandpack's lazy chunk and every chunk it statically imports, from build/client/assets. */
export function sandpackChunks(): JsFile[] {
  const dir = join(root, "build/client/assets");
  const entry = readdirSync(dir).find((file) => /^sandpack(-app)?-preview-.*\.js$/.test(file));
  if (!entry) return [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(dir, file), "utf8");
    for (const [, dep] of code.matchAll(/(?:from|import)\s*["']\.\/([\w.-]+\.js)["']/g)) visit(dep);
  };
  visit(entry);
  return [...seen].map((file) => {
    const bytes = readFileSync(join(dir, file));
    return { url: `/assets/${file}`, bytes: bytes.length, gzip: gzipOf(bytes) };
  });
}

/** The code inside the reply's ```tsx fence: what the code view must show at the end. */
export function expectedCode(reply: string): string {
  const start = reply.indexOf("```tsx\n") + "```tsx\n".length;
  return reply.slice(start, reply.indexOf("\n```", start));
}

/** What INIT_SCRIPT leaves on the page's window. */
type BenchWindow = Window & { __bench?: { longtasks: Array<{ start: number; duration: number }>; error?: string } };

const INIT_SCRIPT = `
  window.__bench = { longtasks: [] };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        window.__bench.longtasks.push({ start: performance.timeOrigin + e.startTime, duration: e.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch (error) { window.__bench.error = String(error); }
`;

async function longTasks(page: Page): Promise<LongTask[]> {
  return page.evaluate(() => (window as BenchWindow).__bench?.longtasks ?? []);
}

export async function measureBrowser(config: BrowserConfig, log: (line: string) => void = () => {}): Promise<BrowserMeasurement> {
  const reply = fakeReply(`long:${config.tokens}`);
  const code = expectedCode(reply);
  const result: BrowserMeasurement = {
    config,
    homeJs: [],
    streamJs: [],
    afterJs: [],
    sandpackJs: sandpackChunks(),
    streamTasks: [],
    afterTasks: [],
    expectedCodeLength: code.length,
    codeEqual: false,
    problems: [],
  };
  const browser = await chromium.launch({
    executablePath: config.executablePath,
    args: CHROMIUM_ARGS,
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.addInitScript(INIT_SCRIPT);
    if (config.extraInitScript) await context.addInitScript(config.extraInitScript);
    const page = await context.newPage();
    let phase: "home" | "stream" | "after" = "home";
    const pending: Promise<void>[] = [];
    page.on("response", (response) => {
      const url = new URL(response.url());
      const isJs = url.pathname.endsWith(".js") || /javascript/.test(response.headers()["content-type"] ?? "");
      if (!isJs || url.origin !== new URL(config.kilnUrl).origin) return;
      const bucket = phase === "home" ? result.homeJs : phase === "stream" ? result.streamJs : result.afterJs;
      pending.push(
        response
          .body()
          .then((bytes) => void bucket.push({ url: url.pathname, bytes: bytes.length, gzip: gzipOf(bytes) }))
          .catch(() => {}),
      );
    });

    await page.goto(config.kilnUrl, { waitUntil: "networkidle" });
    await Promise.all(pending.splice(0));
    log(`  home page: ${result.homeJs.length} JS files, ${(sum(result.homeJs.map((f) => f.gzip)) / 1024).toFixed(1)} KiB gzip`);

    const box = page.getByRole("textbox", { name: "Describe your app" });
    await box.waitFor({ timeout: 10_000 });
    await box.fill(`A big searchable table [fake:reply=long:${config.tokens}][fake:tps=${config.tokensPerSecond}]`);
    const cdp = await context.newCDPSession(page);
    await cdp.send("Performance.enable");
    if (config.profileFile) {
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.start");
    }
    const metricsBefore = await mainThreadMetrics(cdp);
    phase = "stream";
    const submittedAt = await page.evaluate(() => performance.timeOrigin + performance.now());
    await box.press("Enter");
    result.submittedAt = submittedAt;

    const nominalMs = (config.tokens / config.tokensPerSecond) * 1000;
    try {
      await page.waitForURL(/\/chats\//, { timeout: 15_000 });
    } catch {
      result.problems.push(`the home page did not open /chats/:id after submit (still at ${page.url()})`);
    }
    let doneAt: number | undefined;
    try {
      const handle = await page.waitForFunction(
        () => {
          const statuses = [...document.querySelectorAll('[role="status"]')].map((e) => e.textContent ?? "");
          if (statuses.some((text) => text.includes("Done in"))) return performance.timeOrigin + performance.now();
          const failed = document.querySelector(
            '[role="status"][data-phase="error"], [role="status"][data-phase="timedOut"], [role="alert"]',
          );
          return failed ? `failed: ${failed.textContent}` : false;
        },
        undefined,
        { polling: 50, timeout: nominalMs * 4 + 60_000 },
      );
      const value = await handle.jsonValue();
      if (typeof value === "number") doneAt = value;
      else result.problems.push(`the stream did not finish: ${value}`);
    } catch (error) {
      result.problems.push(`no "Done in" on the status line: ${(error as Error).message.split("\n")[0]}`);
    }
    phase = "after";
    result.mainThread = metricsDelta(metricsBefore, await mainThreadMetrics(cdp));
    if (config.profileFile) {
      const { profile } = (await cdp.send("Profiler.stop")) as unknown as { profile: CpuProfile };
      writeFileSync(config.profileFile!, JSON.stringify(profile));
      result.profileTop = topFunctions(profile, 20);
    }
    const end = doneAt ?? (await page.evaluate(() => performance.timeOrigin + performance.now()));
    result.streamMs = doneAt !== undefined ? doneAt - submittedAt : undefined;

    const codeView = page.locator('[data-testid="code-view"]');
    const shown = (await codeView.count()) ? ((await codeView.first().textContent()) ?? "") : "";
    if (!shown) result.problems.push("no code view ([data-testid=code-view]) on the page");
    result.codeLength = shown.length;
    result.codeEqual = shown === code;

    // The fake's own record of the stream: when it sent the last byte.
    try {
      const requests = (await (await fetch(`${new URL(config.fakeUrl).origin}/__fake/requests`)).json()) as Array<{
        path: string;
        startedAt: number;
        endedAt?: number;
        replyText: string;
      }>;
      const streamed = requests.filter((r) => r.path === "/v1/chat/completions" && r.replyText === reply).at(-1);
      if (streamed?.endedAt) {
        result.providerMs = streamed.endedAt - streamed.startedAt;
        if (doneAt !== undefined) result.lagMs = doneAt - streamed.endedAt;
      }
    } catch {
      // Reported as missing figures.
    }

    await page.waitForTimeout(3_000);
    await Promise.all(pending.splice(0));
    const tasks = await longTasks(page);
    result.streamTasks = tasks.filter((t) => t.start >= submittedAt && t.start <= end);
    result.afterTasks = tasks.filter((t) => t.start > end);
    const observerError = await page.evaluate(() => (window as BenchWindow).__bench?.error);
    if (observerError) result.problems.push(`longtask observer: ${observerError}`);
    await context.close();
  } finally {
    await browser.close();
  }
  return result;
}

const kib = (bytes: number) => bytes / 1024;

const longestOf = (m: BrowserMeasurement) => Math.max(0, ...m.streamTasks.map((t) => t.duration));
const tbtOf = (m: BrowserMeasurement) => sum(m.streamTasks.map((t) => Math.max(0, t.duration - 50)));

/** One column per run: long tasks vary from run to run, so the budget is judged on the worst. */
export function browserTable(runs: BrowserMeasurement[]): Table {
  const m0 = runs[0];
  const ms = (value: number | undefined) => value ?? "–";
  const metric = (m: BrowserMeasurement, pick: (t: MainThreadMetrics) => number) =>
    m.mainThread ? pick(m.mainThread) * 1000 : "–";
  const row = (label: string, of: (m: BrowserMeasurement) => string | number | undefined) => [label, ...runs.map(of)];
  return {
    title: `4. Browser: a ${m0.config.tokens}-token reply at ${m0.config.tokensPerSecond} tokens/s through the UI (chromium, headless), ${runs.length} run(s)`,
    columns: ["measure", ...runs.map((_, i) => `run ${i + 1}`)],
    rows: [
      row("long tasks during the stream", (m) => m.streamTasks.length),
      row("longest task, ms", longestOf),
      row("total blocking time, ms", tbtOf),
      row('submit → "Done in", ms', (m) => ms(m.streamMs)),
      row("provider's own stream, ms", (m) => ms(m.providerMs)),
      row(`provider's last byte → "Done in", ms`, (m) => ms(m.lagMs)),
      row("main thread busy during the stream, ms", (m) => metric(m, (t) => t.TaskDuration)),
      row("…of which script, ms", (m) => metric(m, (t) => t.ScriptDuration)),
      row("…of which layout, ms", (m) => metric(m, (t) => t.LayoutDuration)),
      row("…layouts", (m) => m.mainThread?.LayoutCount ?? "–"),
      row("…of which style recalculation, ms", (m) => metric(m, (t) => t.RecalcStyleDuration)),
      row("code view length / expected", (m) => `${m.codeLength ?? "–"} / ${m.expectedCodeLength}`),
      row("code view equals the reply's code", (m) => (m.codeEqual ? "yes" : "NO")),
      row("longest task in 3 s after Done (preview), ms", (m) => Math.max(0, ...m.afterTasks.map((t) => t.duration))),
    ],
    notes: runs.flatMap((m, i) => [
      ...(m.streamTasks.length
        ? [
            `run ${i + 1} long tasks (time after submit: duration): ${m.streamTasks
              .slice(0, 12)
              .map((t) => `+${((t.start - (m.submittedAt ?? t.start)) / 1000).toFixed(1)} s: ${t.duration.toFixed(0)} ms`)
              .join(", ")}${m.streamTasks.length > 12 ? ", …" : ""}`,
          ]
        : []),
      ...m.problems.map((p) => `run ${i + 1} PROBLEM: ${p}`),
    ]),
  };
}

/** The worst figures over several runs, for the budgets. */
export function worstRun(runs: BrowserMeasurement[]) {
  return {
    longest: Math.max(...runs.map(longestOf)),
    tbt: Math.max(...runs.map(tbtOf)),
    finished: runs.every((m) => m.streamMs !== undefined),
    codeEqual: runs.every((m) => m.codeEqual),
    lagMs: runs.some((m) => m.lagMs === undefined) ? undefined : Math.max(...runs.map((m) => m.lagMs!)),
  };
}

export function weightTable(m: BrowserMeasurement): Table {
  const total = (files: JsFile[]) => kib(sum(files.map((f) => f.gzip)));
  const raw = (files: JsFile[]) => kib(sum(files.map((f) => f.bytes)));
  const homeUrls = new Set(m.homeJs.map((f) => f.url));
  const sandpackOnly = m.sandpackJs.filter((f) => !homeUrls.has(f.url));
  const sandpackOnHome = m.sandpackJs.filter((f) => homeUrls.has(f.url)).map((f) => f.url);
  const entry = m.sandpackJs[0]?.url ?? "";
  return {
    title: "5. Page weight: JavaScript, KiB (gzip as the server sends it, level 6)",
    columns: ["what", "files", "raw KiB", "gzip KiB"],
    rows: [
      ["home page (/), at load", m.homeJs.length, raw(m.homeJs), total(m.homeJs)],
      ["after submit, until Done (chat page)", m.streamJs.length, raw(m.streamJs), total(m.streamJs)],
      ["after Done (preview)", m.afterJs.length, raw(m.afterJs), total(m.afterJs)],
      ["lazy Sandpack chunk + imports not on home", sandpackOnly.length, raw(sandpackOnly), total(sandpackOnly)],
      [`Sandpack entry loaded by the home page?`, "", "", m.homeJs.some((f) => f.url === entry) ? "YES" : "no"],
    ],
    notes: [
      `home JS: ${m.homeJs.map((f) => `${f.url.replace("/assets/", "")} ${kib(f.gzip).toFixed(1)}`).join(", ")}`,
      ...(sandpackOnHome.length ? [`chunks shared by Sandpack and the home page: ${sandpackOnHome.join(", ")}`] : []),
    ],
  };
}
