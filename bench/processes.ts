/**
 * The benchmark's server processes, each a child of the bench so that the fake provider, the relay
 * under test and the clients never share an event loop: the fake provider (tests/support), Kiln's
 * production server (server/main.ts on the built app) and the thin relay (bench/thin-relay.ts).
 *
 * Kiln is started here rather than with tests/support/kiln-server.ts because that helper learns the
 * port from Kiln's "kiln listening" line, which is logged at `info`: with LOG_LEVEL=warn (so that a
 * log line per request does not cost the relay) it would never see it. Here the port is chosen up
 * front and readiness is `GET /healthz`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));

export interface ChildServer {
  name: string;
  /** Base URL: the fake's includes `/v1`, the relays' is the origin. */
  url: string;
  pid: number;
  process: ChildProcess;
  /** The inspector's WebSocket URL when started with `inspect`. */
  inspectorUrl?: string;
  output: string[];
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A bench that ends or fails half-way must not leave servers behind.
process.once("exit", killAllChildren);

/** Kills every server this module started (only those, by their own handles). */
export function killAllChildren() {
  running.forEach((child) => child.kill("SIGKILL"));
}

interface SpawnOptions {
  name: string;
  args: string[];
  env?: Record<string, string>;
  inspect?: boolean;
  /** Finds the URL in the output, or undefined while not ready. */
  ready: (output: string[]) => string | undefined | Promise<string | undefined>;
  timeoutMs?: number;
}

async function spawnServer(options: SpawnOptions): Promise<ChildServer> {
  const nodeArgs = [...(options.inspect ? ["--inspect=127.0.0.1:0"] : []), "--import", "tsx", ...options.args];
  const child = spawn(process.execPath, nodeArgs, {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    // Keep the first lines (start-up, errors) and the latest; a chatty child must not fill memory.
    output.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (output.length > 400) output.splice(100, output.length - 300);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  let exited = false;
  child.once("exit", () => {
    exited = true;
    running.delete(child);
  });

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let url: string | undefined;
  let inspectorUrl: string | undefined;
  for (;;) {
    if (exited) throw new Error(`${options.name} exited during start-up:\n${output.join("\n")}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${options.name} did not start in time:\n${output.join("\n")}`);
    }
    if (options.inspect && !inspectorUrl) {
      inspectorUrl = output.map((line) => /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1]).find(Boolean);
    }
    url ??= await options.ready(output);
    if (url && (!options.inspect || inspectorUrl)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name: options.name,
    url,
    pid: child.pid!,
    process: child,
    inspectorUrl,
    output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

export interface FakePacing {
  tokensPerSecond: number;
  firstTokenMs: number;
}

/** The fake provider (tests/support/fake-provider-cli.ts) in its own process. */
export function startFake(pacing: FakePacing): Promise<ChildServer> {
  return spawnServer({
    name: "fake provider",
    args: [
      "tests/support/fake-provider-cli.ts",
      "--port",
      "0",
      "--tokens-per-second",
      String(pacing.tokensPerSecond),
      "--first-token-ms",
      String(pacing.firstTokenMs),
    ],
    ready: (output) => output.map((line) => /listening on (http:\/\/\S+)/.exec(line)?.[1]).find(Boolean),
  });
}

/** The thinnest relay (bench/thin-relay.ts) in its own process, in front of `upstream`. */
export function startThinRelay(upstream: string, { inspect = false } = {}): Promise<ChildServer> {
  return spawnServer({
    name: "thin relay",
    args: ["bench/thin-relay.ts", "--port", "0", "--upstream", upstream],
    inspect,
    ready: (output) => output.map((line) => /listening on (http:\/\/\S+)/.exec(line)?.[1]).find(Boolean),
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function hasProductionBuild(): boolean {
  return existsSync(join(root, "build/server/index.js"));
}

/**
 * Kiln's production server (`NODE_ENV=production node --import tsx server/main.ts`, as `npm start`)
 * with Together pointed at the fake, its own throw-away SQLite file and LOG_LEVEL=warn.
 */
export async function startKiln(
  fakeUrl: string,
  { inspect = false, env = {} as Record<string, string> } = {},
): Promise<ChildServer> {
  if (!hasProductionBuild()) throw new Error("No production build: run `npm run build` first (npm run bench does).");
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "kiln-bench-"));
  const origin = `http://127.0.0.1:${port}`;
  const server = await spawnServer({
    name: "kiln",
    args: ["server/main.ts"],
    inspect,
    env: {
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      TOGETHER_API_KEY: "bench-key",
      TOGETHER_BASE_URL: fakeUrl,
      DATABASE_URL: `file:${join(dataDir, "kiln.db")}`,
      // The per-address limit is on, as in production (its database write per request is part of
      // Kiln's cost), but out of reach: every bench request comes from 127.0.0.1.
      KILN_RATE_LIMIT_PER_MINUTE: "60000000",
      KILN_RATE_LIMIT_BURST: "1000000",
      // Stopping between phases need not wait for streams to drain.
      KILN_DRAIN_MS: "500",
      ...env,
    },
    ready: async () => {
      try {
        const response = await fetch(`${origin}/healthz`);
        await response.arrayBuffer();
        return response.ok ? origin : undefined;
      } catch {
        return undefined;
      }
    },
  });
  const stop = server.stop;
  return {
    ...server,
    stop: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resident set size of a process, in bytes (VmRSS of /proc/<pid>/status). */
export function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb[1]) * 1024;
}

/** CPU time (user + system) a process has used so far, in milliseconds (/proc/<pid>/stat). */
export function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}
// sysconf(_SC_CLK_TCK) is 100 on every Linux Node supports.
const CLOCK_TICKS = 100;

/** CPU time of a process and its reaped children, in ms (utime + stime + cutime + cstime). */
function treeCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0; // exited between listing and reading
  }
}

export interface CpuMark {
  at: number;
  /** Busy CPU time of the whole machine (all cores), ms. */
  machineMs: number;
  /** CPU time of the bench and the servers it started, ms. */
  benchMs: number;
}

export function cpuMark(): CpuMark {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = line;
  const machineMs = ((user + nice + system + irq + softirq + (steal ?? 0)) * 1000) / CLOCK_TICKS;
  let benchMs = treeCpuMs(process.pid);
  for (const child of running) if (child.pid) benchMs += treeCpuMs(child.pid);
  return { at: performance.now(), machineMs, benchMs };
}

/** How many cores processes other than the bench kept busy between two marks (others' tests, say). */
export function otherCores(from: CpuMark, to: CpuMark): number {
  return Math.max(0, to.machineMs - from.machineMs - (to.benchMs - from.benchMs)) / (to.at - from.at);
}
