/**
 * `npm run bench`: how fast Kiln is, against the fake provider, printed as tables (see
 * docs/performance.md for the method and the budgets). Not part of `npm test`.
 *
 *   npm run bench                        # everything, defaults below (~5 minutes on 2 cores)
 *   npm run bench -- --only relay,memory # some phases: relay, throughput, memory, browser, preview, follow-ups
 *   npm run bench -- --help
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { browserTable, measureBrowser, weightTable, type BrowserMeasurement } from "./browser";
import { budgetTable } from "./budgets";
import { followUpTable, followUpTurnsTable, measureFollowUps, type FollowUpMeasurement } from "./follow-ups";
import { connectInspector, timeByArea, topFunctions } from "./inspector";
import { measurePreview, previewTable, previewWeightTable, type PreviewMeasurement } from "./preview";
import {
  measureDetachedGenerations,
  measureHeldStreams,
  measureLeak,
  memoryTable,
  type DetachedMeasurement,
  type HoldMeasurement,
  type LeakMeasurement,
} from "./memory";
import {
  cpuMark,
  hasProductionBuild,
  killAllChildren,
  otherCores,
  root,
  startFake,
  startKiln,
  startThinRelay,
  type ChildServer,
  type CpuMark,
} from "./processes";
import {
  measureRelay,
  measureThroughput,
  relayTable,
  throughputTable,
  warmUp,
  type RelayMeasurement,
  type ThroughputMeasurement,
} from "./relay";
import { renderMarkdown, renderTable, type Table } from "./stats";

const PHASES = ["relay", "throughput", "memory", "browser", "preview", "follow-ups"] as const;

const OPTIONS = {
  "first-token-ms": { type: "string", default: "300", help: "the fake provider's delay before the first token" },
  tps: { type: "string", default: "50", help: "tokens per second per stream (relay phase)" },
  reply: {
    type: "string",
    default: "no-code",
    help: "fake reply for the relay phase (no-code ≈ 73 tokens, default ≈ 550, long:N)",
  },
  concurrency: { type: "string", default: "1,50,200", help: "concurrent streams, comma-separated" },
  rounds: { type: "string", default: "3", help: "rounds of the relay and throughput phases" },
  "min-samples": {
    type: "string",
    default: "4",
    help: "streams per path, concurrency and round at least (1 stream: back to back)",
  },
  "ramp-ms": { type: "string", default: "1000", help: "stream starts spread evenly over this window (0: all at once)" },
  "throughput-tps": { type: "string", default: "200", help: "tokens per second per stream (throughput phase)" },
  "throughput-concurrency": { type: "string", default: "200", help: "concurrent streams (throughput phase)" },
  "throughput-reply": { type: "string", default: "default", help: "fake reply (throughput phase)" },
  "hold-streams": { type: "string", default: "500", help: "streams held open (memory phase)" },
  "leak-streams": { type: "string", default: "1000,10000", help: "leak check checkpoints, total short streams" },
  "leak-concurrency": { type: "string", default: "50", help: "concurrent short streams (leak check)" },
  "browser-tokens": { type: "string", default: "20000", help: "reply length in tokens (browser phase)" },
  "browser-tps": { type: "string", default: "1000", help: "tokens per second (browser phase)" },
  "browser-runs": { type: "string", default: "2", help: "streams through the UI (the budget is judged on the worst)" },
  "preview-runs": { type: "string", default: "5", help: "runs of the preview phase (cold, next version and warm each; medians)" },
  "preview-tps": {
    type: "string",
    default: "50",
    help: "tokens per second of the preview phase's answers (paces the text after the closing fence)",
  },
  "follow-up-runs": {
    type: "string",
    default: "3",
    help: "runs of each answer of the follow-ups phase (edit blocks, whole file; medians)",
  },
  "follow-up-tps": { type: "string", default: "50", help: "tokens per second of the follow-ups phase's answers" },
  "follow-up-turns": {
    type: "string",
    default: "2,10,20",
    help: "chat lengths (user messages) whose provider request the follow-ups phase sizes",
  },
  chromium: { type: "string", default: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", help: "chromium executable" },
  only: { type: "string", default: PHASES.join(","), help: "phases to run" },
  "no-build": { type: "boolean", default: false, help: "use the existing production build instead of running `npm run build`" },
  profile: {
    type: "boolean",
    default: false,
    help: "CPU-profile Kiln (relay at the highest concurrency) and the page; slower, writes bench-results/*.cpuprofile",
  },
  out: { type: "string", default: "bench-results", help: "where results (JSON, markdown, profiles) go" },
  help: { type: "boolean", default: false, help: "this help" },
} as const;

const { values } = parseArgs({
  options: Object.fromEntries(Object.entries(OPTIONS).map(([name, o]) => [name, { type: o.type, default: o.default }])) as {
    [K in keyof typeof OPTIONS]: { type: (typeof OPTIONS)[K]["type"]; default: (typeof OPTIONS)[K]["default"] };
  },
});
if (values.help) {
  console.log("npm run bench -- [options]\n");
  for (const [name, o] of Object.entries(OPTIONS))
    console.log(`  --${name.padEnd(24)} ${o.help}${o.type === "string" ? ` (default ${o.default})` : ""}`);
  process.exit(0);
}

function int(name: keyof typeof OPTIONS, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`bench: --${name} must be a whole number, got "${value}"`);
    process.exit(2);
  }
  return n;
}
const ints = (name: keyof typeof OPTIONS, value: string) => value.split(",").map((v) => int(name, v.trim()));

const only = new Set(values.only.split(",").map((p) => p.trim()));
for (const phase of only) {
  if (!(PHASES as readonly string[]).includes(phase)) {
    console.error(`bench: unknown phase "${phase}" (phases: ${PHASES.join(", ")})`);
    process.exit(2);
  }
}
const pacing = { firstTokenMs: int("first-token-ms", values["first-token-ms"]), tokensPerSecond: int("tps", values.tps) };
const outDir = join(root, values.out);
mkdirSync(outDir, { recursive: true });

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

const log = (line: string) => console.log(line);
const started = Date.now();
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, load average at start ${loadavg()
  .map((l) => l.toFixed(2))
  .join(" ")}`;
log(`Kiln bench — ${machine}`);

if (!values["no-build"] || !hasProductionBuild()) {
  log("\n> npm run build");
  const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  if (build.status !== 0) {
    console.error("bench: the production build failed");
    process.exit(1);
  }
}

const tables: Table[] = [];
/** Cores kept busy by other processes during each phase: the bench shares the machine. */
const background: Table["rows"] = [];
let mark: CpuMark = cpuMark();
const phaseDone = (name: string) => {
  const now = cpuMark();
  background.push([name, ((now.at - mark.at) / 1000).toFixed(0), otherCores(mark, now).toFixed(2)]);
  mark = now;
};
const results: {
  relay?: RelayMeasurement;
  throughput?: ThroughputMeasurement;
  holds?: HoldMeasurement[];
  detached?: DetachedMeasurement;
  leak?: LeakMeasurement;
  browser?: BrowserMeasurement[];
  preview?: PreviewMeasurement;
  followUps?: FollowUpMeasurement;
} = {};
const servers: ChildServer[] = [];
const keep = <T extends ChildServer>(server: T) => (servers.push(server), server);

try {
  const fake = keep(await startFake(pacing));
  if (only.has("relay") || only.has("throughput")) {
    const kiln = keep(await startKiln(fake.url, { inspect: values.profile }));
    const thin = keep(await startThinRelay(fake.url));
    const relayServers = { fakeUrl: fake.url, fakePid: fake.pid, kiln, thin };
    log("\nwarming up…");
    await warmUp(relayServers);
    if (only.has("relay")) {
      log("\n1. relay overhead");
      results.relay = await measureRelay(
        relayServers,
        {
          ...pacing,
          concurrency: ints("concurrency", values.concurrency),
          rounds: int("rounds", values.rounds),
          minSamples: int("min-samples", values["min-samples"]),
          rampMs: int("ramp-ms", values["ramp-ms"]),
          reply: values.reply,
        },
        log,
      );
      tables.push(relayTable(results.relay));
      phaseDone("relay overhead");
    }
    if (only.has("throughput")) {
      log("\n2. throughput");
      results.throughput = await measureThroughput(
        relayServers,
        {
          concurrency: int("throughput-concurrency", values["throughput-concurrency"]),
          tokensPerSecond: int("throughput-tps", values["throughput-tps"]),
          reply: values["throughput-reply"],
          rounds: int("rounds", values.rounds),
        },
        log,
      );
      tables.push(throughputTable(results.throughput));
      phaseDone("throughput");
    }
    if (values.profile) {
      // A separate, profiled run: the inspector's sampling costs CPU, so the figures above stay clean.
      const c = Math.max(...ints("concurrency", values.concurrency));
      log(`\nprofiling Kiln at ${c} streams…`);
      const inspector = await connectInspector(kiln.inspectorUrl!);
      await inspector.startProfile();
      await measureRelay(relayServers, {
        ...pacing,
        concurrency: [c],
        rounds: 1,
        minSamples: 1,
        rampMs: int("ramp-ms", values["ramp-ms"]),
        reply: values.reply,
      });
      const profile = await inspector.stopProfile(join(outDir, "kiln-relay.cpuprofile"));
      inspector.close();
      log(`Kiln's CPU profile (self time), written to ${values.out}/kiln-relay.cpuprofile:`);
      for (const line of timeByArea(profile)) log(line);
      log("top functions (self time):");
      for (const line of topFunctions(profile, 25)) log(line);
      phaseDone("profiling");
    }
    await Promise.all([kiln.stop(), thin.stop()]);
  }

  if (only.has("memory")) {
    log("\n3. memory");
    const holdStreams = int("hold-streams", values["hold-streams"]);
    results.holds = [];
    for (const path of ["kiln", "thin"] as const) {
      const server =
        path === "kiln" ? await startKiln(fake.url, { inspect: true }) : await startThinRelay(fake.url, { inspect: true });
      keep(server);
      results.holds.push(await measureHeldStreams(path, server, fake.url, holdStreams, log));
      await server.stop();
    }
    const checkpoints = ints("leak-streams", values["leak-streams"]);
    if (checkpoints.length) {
      const kiln = keep(await startKiln(fake.url, { inspect: true }));
      results.leak = await measureLeak(kiln, fake.url, checkpoints, int("leak-concurrency", values["leak-concurrency"]), log);
      await kiln.stop();
    }
    {
      const kiln = keep(await startKiln(fake.url, { inspect: true }));
      results.detached = await measureDetachedGenerations(kiln, fake.url, holdStreams, log);
      await kiln.stop();
    }
    tables.push(memoryTable(results.holds, results.leak, results.detached));
    phaseDone("memory");
  }

  if (only.has("browser")) {
    log("\n4. browser");
    const kiln = keep(await startKiln(fake.url));
    results.browser = [];
    const runs = Math.max(1, int("browser-runs", values["browser-runs"]));
    // With --profile, one more run, profiled: profiling slows the page, so it is not one of the measured runs.
    for (let run = 0; run < runs + (values.profile ? 1 : 0); run++) {
      const measurement = await measureBrowser(
        {
          kilnUrl: kiln.url,
          fakeUrl: fake.url,
          tokens: int("browser-tokens", values["browser-tokens"]),
          tokensPerSecond: int("browser-tps", values["browser-tps"]),
          executablePath: values.chromium,
          profileFile: run === runs ? join(outDir, "page-stream.cpuprofile") : undefined,
        },
        log,
      );
      if (run < runs) results.browser.push(measurement);
      if (measurement.profileTop) {
        log(`the page's CPU profile during the stream (self time), written to ${values.out}/page-stream.cpuprofile:`);
        for (const line of measurement.profileTop) log(line);
      }
    }
    tables.push(browserTable(results.browser), weightTable(results.browser[0]));
    phaseDone("browser");
    await kiln.stop();
  }

  if (only.has("preview")) {
    log("\n6. preview");
    const kiln = keep(await startKiln(fake.url));
    results.preview = await measurePreview(
      {
        kilnUrl: kiln.url,
        runs: Math.max(1, int("preview-runs", values["preview-runs"])),
        tokensPerSecond: int("preview-tps", values["preview-tps"]),
        executablePath: values.chromium,
      },
      log,
    );
    tables.push(previewTable(results.preview), previewWeightTable(results.preview));
    phaseDone("preview");
    await kiln.stop();
  }

  if (only.has("follow-ups")) {
    log("\n8. follow-ups");
    // Its own database, so the phase can read back what Kiln saved for a chat.
    const dataDir = mkdtempSync(join(tmpdir(), "kiln-bench-follow-ups-"));
    const databaseUrl = `file:${join(dataDir, "kiln.db")}`;
    const kiln = keep(await startKiln(fake.url, { env: { DATABASE_URL: databaseUrl } }));
    try {
      results.followUps = await measureFollowUps(
        {
          kilnUrl: kiln.url,
          fakeUrl: fake.url,
          databaseUrl,
          runs: Math.max(1, int("follow-up-runs", values["follow-up-runs"])),
          tokensPerSecond: int("follow-up-tps", values["follow-up-tps"]),
          firstTokenMs: pacing.firstTokenMs,
          turns: ints("follow-up-turns", values["follow-up-turns"]),
        },
        log,
      );
    } finally {
      await kiln.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    tables.push(followUpTable(results.followUps), followUpTurnsTable(results.followUps));
    phaseDone("follow-ups");
  }
} catch (error) {
  // Whatever broke, the servers' last words usually say why.
  for (const server of servers) {
    const exited = server.process.exitCode !== null || server.process.signalCode !== null;
    console.error(
      `\n--- ${server.name} (pid ${server.pid}${exited ? `, exited ${server.process.exitCode ?? server.process.signalCode}` : ""}), last output:`,
    );
    console.error(server.output.slice(-15).join("\n"));
  }
  throw error;
} finally {
  await Promise.all(servers.map((server) => server.stop()));
}

tables.push(budgetTable(results));
tables.push({
  title: "Machine: cores kept busy by processes other than the bench, per phase",
  columns: ["phase", "seconds", "other cores busy"],
  rows: background,
  notes: [`${cpus().length} cores; anything above ~0.1 means the figures above were taken on a shared machine`],
});
const elapsed = `${((Date.now() - started) / 1000).toFixed(0)} s`;
log(`\n${"=".repeat(100)}\nKiln bench — ${machine}; took ${elapsed}\n`);
for (const table of tables) log(`${renderTable(table)}\n`);

const stamp = new Date().toISOString();
writeFileSync(join(outDir, "latest.json"), JSON.stringify({ stamp, machine, elapsed, options: values, results }, null, 2));
writeFileSync(
  join(outDir, "latest.md"),
  [
    `Measured ${stamp} — ${machine}; took ${elapsed}.`,
    ...tables.map(
      (t) => `**${t.title}**\n\n${renderMarkdown(t)}${t.notes?.length ? `\n\n${t.notes.map((n) => `- ${n}`).join("\n")}` : ""}`,
    ),
  ].join("\n\n") + "\n",
);
log(`results: ${values.out}/latest.json, ${values.out}/latest.md`);
