/** The budgets of issue 5 (and of the preview and follow-up phases), checked against one run's measurements. */
import { worstRun, type BrowserMeasurement } from "./browser";
import { summarizeFollowUps, type FollowUpMeasurement } from "./follow-ups";
import { objects, value, type HoldMeasurement, type LeakMeasurement } from "./memory";
import { coldFrameBytes, fenceToDone, fenceToRendered, manifestGzipBytes, medianOf, type PreviewMeasurement } from "./preview";
import { summarizeRelay, type RelayMeasurement, type ThroughputMeasurement } from "./relay";
import { median, sum, type Table } from "./stats";

export interface BenchResults {
  relay?: RelayMeasurement;
  throughput?: ThroughputMeasurement;
  holds?: HoldMeasurement[];
  leak?: LeakMeasurement;
  /** One or more runs of the browser phase; page weight comes from the first. */
  browser?: BrowserMeasurement[];
  preview?: PreviewMeasurement;
  followUps?: FollowUpMeasurement;
}

/** Growth of the V8 heap (after a forced GC) between the leak checkpoints that still counts as noise. */
export const LEAK_NOISE_BYTES = 1024 * 1024;

const verdict = (ok: boolean) => (ok ? "met" : "MISSED");

export function budgetTable(results: BenchResults): Table {
  const rows: Table["rows"] = [];
  if (results.relay) {
    const summary = summarizeRelay(results.relay);
    const cs = results.relay.config.concurrency;
    for (const c of [...new Set([Math.min(...cs), Math.max(...cs)])]) {
      const med = summary.find((r) => r.concurrency === c && r.metric === "TTFD median")!;
      const p99 = summary.find((r) => r.concurrency === c && r.metric === "TTFD p99")!;
      rows.push([
        `TTFD median, ${c} stream(s)`,
        "kiln/thin ≤ 1.02",
        med.kilnOverThin.toFixed(3),
        verdict(med.kilnOverThin <= 1.02),
      ]);
      rows.push([`TTFD p99, ${c} stream(s)`, "kiln/thin ≤ 1.10", p99.kilnOverThin.toFixed(3), verdict(p99.kilnOverThin <= 1.1)]);
    }
  }
  if (results.throughput) {
    const t = results.throughput;
    const ratio = median(t.rates.kiln) / median(t.rates.direct);
    rows.push([`throughput, ${t.config.concurrency} streams`, "kiln/direct ≥ 0.95", ratio.toFixed(3), verdict(ratio >= 0.95)]);
  }
  const kilnHold = results.holds?.find((h) => h.path === "kiln");
  if (kilnHold) {
    // Judged after a forced GC: the raw difference depends on when V8 last collected.
    const per = (key: "rss" | "rssAfterGc") => (kilnHold.held[key] - kilnHold.baseline[key]) / kilnHold.streams / 1024;
    rows.push([
      `RSS per open stream (${kilnHold.streams} open)`,
      "≤ 64 KiB (after GC)",
      `${per("rssAfterGc").toFixed(1)} KiB after GC (raw ${per("rss").toFixed(1)} KiB)`,
      verdict(per("rssAfterGc") <= 64),
    ]);
    rows.push([
      "client leaves → provider call aborted",
      "0 upstream calls left open",
      `${kilnHold.upstreamStillOpen} of ${kilnHold.streams} still open 3 s later`,
      verdict(kilnHold.upstreamStillOpen === 0),
    ]);
  }
  if (results.leak && results.leak.checkpoints.length >= 2) {
    const cps = results.leak.checkpoints;
    const [first, last] = [cps[0], cps[cps.length - 1]];
    // Compiled code grows while the JIT warms up; what streams leave behind is in the rest of the heap.
    const heap = value(last.memory, objects) - value(first.memory, objects);
    const rss = last.memory.rss - first.memory.rss;
    rows.push([
      `growth ${first.streams} → ${last.streams} streams`,
      `heap (not code) after GC < ${LEAK_NOISE_BYTES / 1024 / 1024} MiB`,
      `heap ${(heap / 1024 / 1024).toFixed(2)} MiB, RSS ${(rss / 1024 / 1024).toFixed(1)} MiB`,
      verdict(heap < LEAK_NOISE_BYTES),
    ]);
  }
  if (results.browser?.length) {
    const b = results.browser[0];
    const worst = worstRun(results.browser);
    const runs = results.browser.length > 1 ? `, worst of ${results.browser.length} runs` : "";
    rows.push([
      `longest task while streaming ${b.config.tokens} tokens${runs}`,
      "≤ 50 ms",
      worst.finished ? `${worst.longest.toFixed(0)} ms (TBT ${worst.tbt.toFixed(0)} ms)` : "stream did not finish",
      verdict(worst.finished && worst.longest <= 50),
    ]);
    rows.push([
      `code view keeps up${runs}`,
      "equal at the end, on screen ≤ 250 ms after the last byte",
      `${worst.codeEqual ? "equal" : "NOT equal"}, ${worst.lagMs === undefined ? "–" : `${worst.lagMs.toFixed(0)} ms`}`,
      verdict(worst.codeEqual && worst.lagMs !== undefined && worst.lagMs <= 250),
    ]);
    const entry = b.sandpackJs[0]?.url;
    const lazy = entry !== undefined && !b.homeJs.some((f) => f.url === entry);
    rows.push(homeRow(b.homeJs, "browser phase"));
    rows.push([
      "Sandpack loads lazily",
      "not loaded by /",
      entry ? (lazy ? "not on /" : "loaded by /") : "no Sandpack chunk",
      verdict(lazy),
    ]);
  }
  if (results.preview) {
    const p = results.preview;
    const ms = (value: number | undefined) => (value === undefined ? "not measured (a run failed)" : `${value.toFixed(0)} ms`);
    const judged = (value: number | undefined, limit: number) => verdict(value !== undefined && value <= limit);
    const runs = `median of ${p.config.runs}`;
    const cold = medianOf(p, "cold", fenceToRendered);
    rows.push([
      `preview, cold cache, ${runs}`,
      "closing fence → rendered ≤ 1000 ms",
      `${ms(cold)} (fence → done ${ms(medianOf(p, "cold", fenceToDone))})`,
      judged(cold, 1000),
    ]);
    const next = medianOf(p, "next", fenceToRendered);
    rows.push([
      `preview, next version, ${runs}`,
      "closing fence → rendered ≤ 300 ms",
      `${ms(next)} (fence → done ${ms(medianOf(p, "next", fenceToDone))})`,
      judged(next, 300),
    ]);
    const bundles = manifestGzipBytes(p) / 1024;
    rows.push([
      "preview frame assets, all four bundles",
      "≤ 600 KiB gzip",
      `${bundles.toFixed(1)} KiB (the pomodoro's cold run transferred ${(coldFrameBytes(p) / 1024).toFixed(1)} KiB)`,
      verdict(bundles <= 600),
    ]);
    if (!results.browser?.length) rows.push(homeRow(p.homeJs, "preview phase"));
    rows.push([
      "home page loads no preview file",
      "no /preview/* request on /",
      p.homePreviewRequests.length ? p.homePreviewRequests.join(", ") : "none",
      verdict(p.homePreviewRequests.length === 0),
    ]);
  }
  if (results.followUps) {
    const f = results.followUps;
    const s = summarizeFollowUps(f);
    const runs = `median of ${f.config.runs}`;
    rows.push([
      `follow-up, small change: output tokens, ${runs}`,
      "edit blocks ≥ 5× fewer than the whole file",
      `${s.tokens.edit.toFixed(0)} vs ${s.tokens.rewrite.toFixed(0)} (${s.tokenRatio.toFixed(1)}×)`,
      verdict(s.tokenRatio >= 5),
    ]);
    rows.push([
      `follow-up, small change: request → done at ${f.config.tokensPerSecond} tokens/s, ${runs}`,
      "edit blocks ≥ 3× faster than the whole file",
      `${s.doneMs.edit.toFixed(0)} vs ${s.doneMs.rewrite.toFixed(0)} ms (${s.timeRatio.toFixed(1)}×)`,
      verdict(s.timeRatio >= 3),
    ]);
    const { repliesApply, streamedEqual, savedEqual } = f.checks;
    rows.push([
      "follow-up, edit path's version",
      "equals the whole-file answer's (replies, stream, saved)",
      repliesApply && streamedEqual && savedEqual ? "equal" : "NOT equal",
      verdict(repliesApply && streamedEqual && savedEqual),
    ]);
    if (s.firstTurn && s.lastTurn && s.lastTurn !== s.firstTurn) {
      rows.push([
        `provider request at turn ${s.lastTurn.turn} of a chat of small edits`,
        `≤ 1.5× turn ${s.firstTurn.turn} (est. tokens)`,
        `~${s.lastTurn.estimatedTokens} vs ~${s.firstTurn.estimatedTokens} tokens (${s.growth.toFixed(2)}×)`,
        verdict(s.growth <= 1.5),
      ]);
    }
  }
  return { title: "Budgets", columns: ["budget", "target", "measured", "verdict"], rows };
}

function homeRow(homeJs: BrowserMeasurement["homeJs"], phase: string): Table["rows"][number] {
  const homeKiB = sum(homeJs.map((f) => f.gzip)) / 1024;
  return [`home page JS (${phase})`, "≤ 150 KiB gzip", `${homeKiB.toFixed(1)} KiB`, verdict(homeJs.length > 0 && homeKiB <= 150)];
}
