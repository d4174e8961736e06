/**
 * Relay overhead and throughput: the same fake-provider stream consumed through Kiln, through the
 * thinnest relay and directly with the openai SDK, at several concurrencies, in rotating order.
 */
import { splitIntoTokens } from "../tests/support/fake-provider";
import { fakeReply } from "../tests/support/fake-reply";
import { PATHS, streamOnce, streamProblem, type PathName, type StreamResult, type StreamTarget } from "./clients";
import { readCpuMs } from "./processes";
import { median, percentile, type Table } from "./stats";

export interface RelayServers {
  /** Provider base URL with `/v1`. */
  fakeUrl: string;
  /** The fake's process, when it runs in its own: its CPU time is reported too. */
  fakePid?: number;
  kiln: { url: string; pid: number };
  thin: { url: string; pid: number };
}

export interface RelayConfig {
  concurrency: number[];
  rounds: number;
  /** Streams per path, concurrency and round at least: concurrency 1 runs this many one after another. */
  minSamples: number;
  /** Stream starts are spread evenly over this window (0: all at once). */
  rampMs: number;
  /** The fake's reply (`[fake:reply=…]`). */
  reply: string;
  /** Pacing, for the table's title: set on the fake provider. */
  firstTokenMs: number;
  tokensPerSecond: number;
}

export interface Batch {
  results: StreamResult[];
  problems: string[];
  wallMs: number;
  /** CPU time the relay's server process used during the batch (undefined for direct). */
  serverCpuMs?: number;
  /** CPU time of this (the clients') process and of the fake provider during the batch. */
  clientCpuMs: number;
  fakeCpuMs?: number;
}

export interface PathSamples {
  ttfd: number[];
  total: number[];
  streams: number;
  serverCpuMs: number;
  clientCpuMs: number;
  fakeCpuMs: number;
  problems: string[];
}

export interface RelayMeasurement {
  config: RelayConfig;
  /** samples[concurrency][path] */
  samples: Record<number, Record<PathName, PathSamples>>;
  /** What each path received in its last stream, for the smoke test. */
  lastTexts: Record<PathName, string>;
  expected: string;
  /** Whether the fake ran in its own process, so its CPU time was measured. */
  fakeCpuMeasured: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const promptFor = (reply: string, extra = "") => `A pomodoro timer [fake:reply=${reply}]${extra}`;

export function targetsOf(servers: RelayServers): Record<PathName, StreamTarget & { pid?: number }> {
  return {
    kiln: { path: "kiln", url: servers.kiln.url, pid: servers.kiln.pid },
    thin: { path: "thin", url: servers.thin.url, pid: servers.thin.pid },
    direct: { path: "direct", url: servers.fakeUrl },
  };
}

/** Forgets the fake's request log so a long bench does not grow the fake's memory. */
export async function resetFake(fakeUrl: string) {
  const response = await fetch(`${new URL(fakeUrl).origin}/__fake/reset`, { method: "POST" });
  await response.arrayBuffer();
}

/**
 * `concurrency` workers, started evenly over `rampMs`, each running `perWorker` streams back to back.
 * Every stream is checked against `expected`; failures are collected, not thrown.
 */
export async function runBatch(
  target: StreamTarget & { pid?: number },
  prompt: string,
  expected: string,
  concurrency: number,
  perWorker: number,
  rampMs: number,
  fakePid?: number,
): Promise<Batch> {
  const results: StreamResult[] = [];
  const problems: string[] = [];
  const cpuBefore = target.pid ? readCpuMs(target.pid) : 0;
  const fakeBefore = fakePid ? readCpuMs(fakePid) : 0;
  const clientBefore = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      if (rampMs > 0) await sleep((rampMs * worker) / concurrency);
      for (let i = 0; i < perWorker; i++) {
        try {
          const result = await streamOnce(target, prompt);
          const problem = streamProblem(result, expected);
          if (problem) problems.push(`${target.path}: ${problem}`);
          else results.push(result);
        } catch (error) {
          problems.push(`${target.path}: ${(error as Error).message}`);
        }
      }
    }),
  );
  const wallMs = performance.now() - start;
  const client = process.cpuUsage(clientBefore);
  return {
    results,
    problems,
    wallMs,
    serverCpuMs: target.pid ? readCpuMs(target.pid) - cpuBefore : undefined,
    clientCpuMs: (client.user + client.system) / 1000,
    fakeCpuMs: fakePid ? readCpuMs(fakePid) - fakeBefore : undefined,
  };
}

/** The order of the three paths in round `round`: each path goes first, second and last in turn. */
export function rotation(round: number): PathName[] {
  return PATHS.map((_, i) => PATHS[(i + round) % PATHS.length]);
}

/** A few quick streams through every path, so JIT warm-up and connection set-up are not measured. */
export async function warmUp(servers: RelayServers, streams = 20) {
  const targets = targetsOf(servers);
  const reply = "no-code";
  const prompt = promptFor(reply, "[fake:tps=0][fake:first-token-ms=0]");
  for (const path of PATHS)
    await runBatch(targets[path], prompt, fakeReply(reply), Math.min(streams, 10), Math.ceil(streams / 10), 0);
  await resetFake(servers.fakeUrl);
}

export async function measureRelay(
  servers: RelayServers,
  config: RelayConfig,
  log: (line: string) => void = () => {},
): Promise<RelayMeasurement> {
  const targets = targetsOf(servers);
  const expected = fakeReply(config.reply);
  const prompt = promptFor(config.reply);
  const samples: RelayMeasurement["samples"] = {};
  const lastTexts = { kiln: "", thin: "", direct: "" } as Record<PathName, string>;
  for (const c of config.concurrency) {
    samples[c] = Object.fromEntries(
      PATHS.map((path) => [
        path,
        { ttfd: [], total: [], streams: 0, serverCpuMs: 0, clientCpuMs: 0, fakeCpuMs: 0, problems: [] } satisfies PathSamples,
      ]),
    ) as unknown as Record<PathName, PathSamples>;
  }
  for (let round = 0; round < config.rounds; round++) {
    for (const [ci, c] of config.concurrency.entries()) {
      const perWorker = Math.max(1, Math.ceil(config.minSamples / c));
      for (const path of rotation(round + ci)) {
        const batch = await runBatch(targets[path], prompt, expected, c, perWorker, c > 1 ? config.rampMs : 0, servers.fakePid);
        const into = samples[c][path];
        into.ttfd.push(...batch.results.map((r) => r.ttfdMs));
        into.total.push(...batch.results.map((r) => r.totalMs));
        into.streams += batch.results.length + batch.problems.length;
        into.serverCpuMs += batch.serverCpuMs ?? 0;
        into.clientCpuMs += batch.clientCpuMs;
        into.fakeCpuMs += batch.fakeCpuMs ?? 0;
        into.problems.push(...batch.problems);
        if (batch.results.length) lastTexts[path] = batch.results[batch.results.length - 1].text;
        log(
          `  round ${round + 1}/${config.rounds} ${String(c).padStart(3)} streams ${path.padEnd(6)} ` +
            `ttfd median ${median(batch.results.map((r) => r.ttfdMs)).toFixed(1)} ms, total median ${median(batch.results.map((r) => r.totalMs)).toFixed(0)} ms` +
            (batch.problems.length ? `, ${batch.problems.length} FAILED: ${batch.problems[0]}` : ""),
        );
        await resetFake(servers.fakeUrl);
        await sleep(200);
      }
    }
  }
  return { config, samples, lastTexts, expected, fakeCpuMeasured: servers.fakePid !== undefined };
}

export interface RelaySummary {
  concurrency: number;
  metric: "TTFD median" | "TTFD p99" | "total median" | "total p99";
  kiln: number;
  thin: number;
  direct: number;
  kilnOverThin: number;
  kilnOverDirect: number;
}

export function summarizeRelay(measurement: RelayMeasurement): RelaySummary[] {
  const rows: RelaySummary[] = [];
  for (const c of measurement.config.concurrency) {
    const s = measurement.samples[c];
    const metrics = [
      ["TTFD median", (p: PathSamples) => median(p.ttfd)],
      ["TTFD p99", (p: PathSamples) => percentile(p.ttfd, 99)],
      ["total median", (p: PathSamples) => median(p.total)],
      ["total p99", (p: PathSamples) => percentile(p.total, 99)],
    ] as const;
    for (const [metric, of] of metrics) {
      const [kiln, thin, direct] = [of(s.kiln), of(s.thin), of(s.direct)];
      rows.push({ concurrency: c, metric, kiln, thin, direct, kilnOverThin: kiln / thin, kilnOverDirect: kiln / direct });
    }
  }
  return rows;
}

export function relayTable(measurement: RelayMeasurement): Table {
  const { config } = measurement;
  const rows: Table["rows"] = summarizeRelay(measurement).map((r) => [
    String(r.concurrency),
    r.metric,
    r.kiln,
    r.thin,
    r.direct,
    r.kilnOverThin.toFixed(3),
    r.kilnOverDirect.toFixed(3),
  ]);
  for (const c of config.concurrency) {
    const s = measurement.samples[c];
    const perStream = (p: PathSamples) => p.serverCpuMs / Math.max(1, p.streams);
    rows.push([
      String(c),
      "relay CPU ms/stream",
      perStream(s.kiln),
      perStream(s.thin),
      "–",
      (perStream(s.kiln) / perStream(s.thin)).toFixed(2),
      "–",
    ]);
    const other = (key: "clientCpuMs" | "fakeCpuMs") => PATHS.map((path) => s[path][key] / Math.max(1, s[path].streams));
    if (measurement.fakeCpuMeasured) rows.push([String(c), "fake CPU ms/stream", ...other("fakeCpuMs"), "", ""]);
    rows.push([String(c), "client CPU ms/stream", ...other("clientCpuMs"), "", ""]);
    rows.push([String(c), "samples (failed)", fmtCount(s.kiln), fmtCount(s.thin), fmtCount(s.direct), "", ""]);
  }
  const tokens = Math.round(measurement.expected.length / 4);
  return {
    title:
      `1. Relay overhead, ms: first token after ${config.firstTokenMs} ms, ${config.tokensPerSecond} tokens/s per stream, ` +
      `reply "${config.reply}" (${measurement.expected.length} chars, ~${tokens} tokens), ${config.rounds} rounds, ` +
      `starts spread over ${config.rampMs} ms`,
    columns: ["streams", "metric", "kiln", "thin", "direct", "kiln/thin", "kiln/direct"],
    rows,
  };
}

const fmtCount = (p: PathSamples) => `${p.ttfd.length}${p.problems.length ? ` (${p.problems.length})` : ""}`;

// ---------------------------------------------------------------------------------------------
// Throughput

export interface ThroughputConfig {
  concurrency: number;
  tokensPerSecond: number;
  reply: string;
  rounds: number;
}

export interface ThroughputMeasurement {
  config: ThroughputConfig;
  /** tokens/s relayed per batch, per path */
  rates: Record<PathName, number[]>;
  serverCpuMs: Record<PathName, number[]>;
  problems: string[];
}

export async function measureThroughput(
  servers: RelayServers,
  config: ThroughputConfig,
  log: (line: string) => void = () => {},
): Promise<ThroughputMeasurement> {
  const targets = targetsOf(servers);
  const expected = fakeReply(config.reply);
  const prompt = promptFor(config.reply, `[fake:tps=${config.tokensPerSecond}]`);
  const tokensPerReply = splitIntoTokens(expected).length;
  const rates = { kiln: [], thin: [], direct: [] } as Record<PathName, number[]>;
  const serverCpuMs = { kiln: [], thin: [], direct: [] } as Record<PathName, number[]>;
  const problems: string[] = [];
  for (let round = 0; round < config.rounds; round++) {
    for (const path of rotation(round)) {
      const batch = await runBatch(targets[path], prompt, expected, config.concurrency, 1, 0, servers.fakePid);
      // Tokens are the provider's: a relay may merge them into fewer, larger deltas (Kiln sends one
      // delta per network read), so counting delta events would understate what it relayed.
      const tokens = batch.results.filter((r) => r.text === expected).length * tokensPerReply;
      const rate = (tokens / batch.wallMs) * 1000;
      rates[path].push(rate);
      if (batch.serverCpuMs !== undefined) serverCpuMs[path].push(batch.serverCpuMs);
      problems.push(...batch.problems);
      log(
        `  round ${round + 1}/${config.rounds} ${path.padEnd(6)} ${rate.toFixed(0)} tokens/s in ${batch.wallMs.toFixed(0)} ms` +
          (batch.problems.length ? `, ${batch.problems.length} FAILED: ${batch.problems[0]}` : ""),
      );
      await resetFake(servers.fakeUrl);
      await sleep(200);
    }
  }
  return { config, rates, serverCpuMs, problems };
}

export function throughputTable(m: ThroughputMeasurement): Table {
  const direct = median(m.rates.direct);
  const nominal = m.config.concurrency * m.config.tokensPerSecond;
  return {
    title: `2. Throughput: ${m.config.concurrency} concurrent streams at ${m.config.tokensPerSecond} tokens/s each (nominal ${nominal} tokens/s), reply "${m.config.reply}", ${m.config.rounds} rounds`,
    columns: ["path", "tokens/s (median)", "min", "max", "× direct", "server CPU s/batch"],
    rows: PATHS.map((path) => [
      path,
      median(m.rates[path]),
      Math.min(...m.rates[path]),
      Math.max(...m.rates[path]),
      (median(m.rates[path]) / direct).toFixed(3),
      m.serverCpuMs[path].length ? median(m.serverCpuMs[path]) / 1000 : "–",
    ]),
    notes: m.problems.length ? [`${m.problems.length} streams FAILED, e.g. ${m.problems[0]}`] : undefined,
  };
}
