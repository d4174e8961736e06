/**
 * A synthetic check of how a streaming code view can be rendered, in the same chromium as the bench:
 * 80 kB of code arrives at 1 000 tokens/s in network-read-sized bursts and is shown in a scrolling
 * <pre> four ways. It isolates the browser's own cost (style, layout, paint) from the app's, to back
 * the fix suggested in docs/performance.md.
 *   npx tsx bench/experiments/code-view-render.ts [--tokens 20000] [--tps 1000]
 */
import { parseArgs } from "node:util";
import { chromium } from "@playwright/test";
import { fakeReply } from "../../tests/support/fake-reply";
import { expectedCode, mainThreadMetrics, metricsDelta } from "../browser";

const { values } = parseArgs({
  options: { tokens: { type: "string", default: "20000" }, tps: { type: "string", default: "1000" } },
});
const code = expectedCode(fakeReply(`long:${values.tokens}`));
const tps = Number(values.tps);

const STRATEGIES = {
  "whole text + scroll per read (as the app does)": "perRead",
  "whole text + scroll once per frame": "perFrame",
  "append a text node per frame": "append",
  "2 kB blocks, append per frame": "blocks",
} as const;

const page = `<!doctype html><style>
  pre { height: 600px; overflow: auto; margin: 0; font: 13px/1.5 monospace; white-space: pre; }
  pre > div { contain: content; }
</style><pre id="view"><code id="code"></code></pre>`;

async function run(strategy: string) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  try {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await tab.setContent(page);
    const cdp = await tab.context().newCDPSession(tab);
    await cdp.send("Performance.enable");
    const before = await mainThreadMetrics(cdp);
    // A string, not a function: tsx would wrap a function's inner functions in helpers the page lacks.
    const result = (await tab.evaluate(`(async ({ code, tps, strategy }) => {
        const tasks = [];
        new PerformanceObserver((list) => list.getEntries().forEach((e) => tasks.push(e.duration))).observe({ type: "longtask" });
        const view = document.getElementById("view");
        const codeEl = document.getElementById("code");
        const text = document.createTextNode("");
        codeEl.append(text);
        let shown = "";
        let pending = "";
        let block;
        let blockLength = 0;
        const render = () => {
          if (!pending) return;
          if (strategy === "perRead" || strategy === "perFrame") {
            shown += pending;
            text.nodeValue = shown;
          } else if (strategy === "append") {
            codeEl.append(pending);
          } else {
            if (!block || blockLength > 2048) {
              block = document.createElement("div");
              codeEl.append(block);
              blockLength = 0;
            }
            block.append(pending);
            blockLength += pending.length;
          }
          pending = "";
          view.scrollTop = view.scrollHeight;
        };
        let frames = 0;
        let worstFrameGap = 0;
        let last = performance.now();
        let streaming = true;
        const frame = (now) => {
          frames++;
          worstFrameGap = Math.max(worstFrameGap, now - last);
          last = now;
          if (strategy !== "perRead") render();
          if (streaming) requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
        // Tokens of 2–6 characters, delivered every 4 ms in one "network read".
        const start = performance.now();
        let sent = 0;
        await new Promise((resolve) => {
          const tick = () => {
            const due = Math.min(code.length, Math.round(((performance.now() - start) / 1000) * tps * 4));
            if (due > sent) {
              pending += code.slice(sent, due);
              sent = due;
              if (strategy === "perRead") render();
            }
            if (sent < code.length) setTimeout(tick, 4);
            else resolve();
          };
          tick();
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
        streaming = false;
        const duration = performance.now() - start;
        const final = (codeEl.textContent || "").length;
        return { duration, longTasks: tasks.length, longest: Math.max(0, ...tasks), fps: (frames / duration) * 1000, worstFrameGap, complete: final === code.length };
      
      })(${JSON.stringify({ code, tps, strategy })})`)) as {
      duration: number;
      longTasks: number;
      longest: number;
      fps: number;
      worstFrameGap: number;
      complete: boolean;
    };
    return { ...result, ...metricsDelta(before, await mainThreadMetrics(cdp)) };
  } finally {
    await browser.close();
  }
}

console.log(`${code.length} characters at ${tps} tokens/s (≈${tps * 4} chars/s)`);
console.log(
  `${"strategy".padEnd(48)} ${"long tasks".padStart(10)} ${"longest ms".padStart(10)} ${"busy ms".padStart(8)} ${"layout ms".padStart(9)} ${"layouts".padStart(7)} ${"fps".padStart(4)} complete`,
);
for (const [label, strategy] of Object.entries(STRATEGIES)) {
  const r = await run(strategy);
  console.log(
    `${label.padEnd(48)} ${String(r.longTasks).padStart(10)} ${r.longest.toFixed(0).padStart(10)} ${(r.TaskDuration * 1000).toFixed(0).padStart(8)} ` +
      `${(r.LayoutDuration * 1000).toFixed(0).padStart(9)} ${String(r.LayoutCount).padStart(7)} ${r.fps.toFixed(0).padStart(4)} ${r.complete}`,
  );
}
