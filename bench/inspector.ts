/**
 * A minimal Chrome DevTools Protocol client for a child Node process started with `--inspect`: the
 * bench uses it to force a garbage collection before reading memory, to read the V8 heap, and to take
 * CPU profiles of the server while it relays (`npm run bench -- --profile`).
 */
import { writeFileSync } from "node:fs";

export interface Inspector {
  send<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** Runs a full garbage collection in the inspected process. */
  collectGarbage(): Promise<void>;
  /** V8 heap in use, in bytes. */
  heapUsed(): Promise<number>;
  /** V8 heap in use by compiled code (code spaces), in bytes: it grows as the JIT warms up. */
  codeUsed(): Promise<number>;
  startProfile(): Promise<void>;
  /** Stops the CPU profile, writes it to `file` (open it in Chrome DevTools) and returns it. */
  stopProfile(file: string): Promise<CpuProfile>;
  close(): void;
}

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

async function webSocketClass(): Promise<typeof WebSocket> {
  // Node 22+ has a global WebSocket; Node 20 has it in undici (a dependency of @remix-run/node).
  if (typeof globalThis.WebSocket === "function") return globalThis.WebSocket;
  const undici = (await import("undici")) as unknown as { WebSocket: typeof WebSocket };
  return undici.WebSocket;
}

export async function connectInspector(url: string): Promise<Inspector> {
  const Socket = await webSocketClass();
  const socket = new Socket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error(`cannot connect to the inspector at ${url}`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  socket.addEventListener("message", (message: MessageEvent) => {
    const reply = JSON.parse(String(message.data));
    const waiter = reply.id !== undefined ? pending.get(reply.id) : undefined;
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.error) waiter.reject(new Error(`${reply.error.message} (${reply.error.code})`));
    else waiter.resolve(reply.result);
  });
  const send = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      // The inspector's reply to this id is the result the caller asked for.
      pending.set(id, { resolve: (value) => resolve(value as T), reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    send,
    async collectGarbage() {
      // Twice: the first pass may only free what finalizers then release.
      await send("HeapProfiler.collectGarbage");
      await send("HeapProfiler.collectGarbage");
    },
    async heapUsed() {
      const { usedSize } = await send<{ usedSize: number }>("Runtime.getHeapUsage");
      return usedSize;
    },
    async codeUsed() {
      const expression =
        "JSON.stringify(process.getBuiltinModule('v8').getHeapSpaceStatistics()" +
        ".filter((s) => s.space_name.includes('code')).reduce((sum, s) => sum + s.space_used_size, 0))";
      const { result } = await send<{ result: { value: string } }>("Runtime.evaluate", { expression, returnByValue: true });
      return Number(JSON.parse(result.value));
    },
    async startProfile() {
      await send("Profiler.enable");
      await send("Profiler.setSamplingInterval", { interval: 200 });
      await send("Profiler.start");
    },
    async stopProfile(file) {
      const { profile } = await send<{ profile: CpuProfile }>("Profiler.stop");
      writeFileSync(file, JSON.stringify(profile));
      return profile;
    },
    close: () => socket.close(),
  };
}

/**
 * The functions with the most self time in a CPU profile, as "ms  % name (file:line)" lines; `(idle)`
 * and `(program)` are kept so the share of real work is visible.
 */
export function topFunctions(profile: CpuProfile, count = 15): string[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byNode.get(samples[i]);
    if (!node) continue;
    const frame = node.callFrame;
    const file = frame.url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\/.*\/main\//, "");
    const key = `${frame.functionName || "(anonymous)"}${file ? ` (${file}:${frame.lineNumber + 1})` : ""}`;
    selfMs.set(key, (selfMs.get(key) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0) / 1000);
  }
  const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
  return [...selfMs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `${ms.toFixed(0).padStart(7)} ms ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
}

/** Where a profile's busy time went, grouped by library or subsystem (idle excluded from the shares). */
export function timeByArea(profile: CpuProfile): string[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const areas = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byNode.get(samples[i]);
    if (!node) continue;
    const area = areaOf(node.callFrame.functionName, node.callFrame.url);
    areas.set(area, (areas.get(area) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0) / 1000);
  }
  const idle = areas.get("(idle)") ?? 0;
  areas.delete("(idle)");
  const busy = [...areas.values()].reduce((a, b) => a + b, 0);
  return [
    `busy ${busy.toFixed(0)} ms, idle ${idle.toFixed(0)} ms`,
    ...[...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, ms]) => `${ms.toFixed(0).padStart(7)} ms ${((ms / busy) * 100).toFixed(1).padStart(5)} %  ${area}`),
  ];
}

function areaOf(name: string, url: string): string {
  if (!url) {
    if (name === "(idle)" || name === "(garbage collector)" || name === "(program)") return name;
    return `native (${/^(writev|writeUtf8String|writeBuffer|connect|read|close|shutdown)$/.test(name) ? "socket I/O" : "other"})`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.includes("node:internal/webstreams")) return "node: web streams";
  if (url.includes("node:internal/deps/undici")) return "node: undici (fetch)";
  if (/node:(_http|http|net|stream|internal\/streams)/.test(url)) return "node: http/net/streams";
  if (url.startsWith("node:")) return "node: other";
  if (url.includes("/build/server/")) return "Kiln server code (build/server)";
  if (url.includes("/server/") || url.includes("/machines/")) return "Kiln server code";
  return url.replace(/^.*\//, "");
}
