/**
 * Memory: the server's RSS per open stream with many streams held open, and a leak check (RSS and
 * V8 heap after many short streams). RSS is VmRSS of the server's process; the heap figures are read
 * after a forced full GC through the inspector, which is what tells growth from garbage not yet
 * collected.
 */
import { fakeReply } from "../tests/support/fake-reply";
import { MODEL, streamOnce, streamProblem, type PathName, type StreamTarget } from "./clients";
import { connectInspector, type Inspector } from "./inspector";
import { readRss, type ChildServer } from "./processes";
import { promptFor, resetFake } from "./relay";
import { median, type Table } from "./stats";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MiB = 1024 * 1024;

export interface MemorySnapshot {
  /** Without forcing a GC: what the box must hold. */
  rss: number;
  /** After a forced full GC. */
  rssAfterGc: number;
  heapAfterGc: number;
  /** The part of heapAfterGc that is compiled code (grows with JIT warm-up, not with streams). */
  codeAfterGc: number;
}

/** RSS median of a few samples, then the same after a forced GC, with the heap. */
async function snapshot(pid: number, inspector: Inspector): Promise<MemorySnapshot> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(readRss(pid));
    await sleep(200);
  }
  await inspector.collectGarbage();
  await sleep(200);
  return {
    rss: median(samples),
    rssAfterGc: readRss(pid),
    heapAfterGc: await inspector.heapUsed(),
    codeAfterGc: await inspector.codeUsed(),
  };
}

/** Runs `count` streams, at most `concurrency` at a time; returns the failures. */
async function runMany(
  target: StreamTarget,
  prompt: string,
  expected: string,
  count: number,
  concurrency: number,
  fakeUrl: string,
) {
  let started = 0;
  const problems: string[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started++;
        try {
          const problem = streamProblem(await streamOnce(target, prompt), expected);
          if (problem) problems.push(problem);
        } catch (error) {
          problems.push((error as Error).message);
        }
        if (started % 1000 === 0) await resetFake(fakeUrl);
      }
    }),
  );
  return problems;
}

export interface HoldMeasurement {
  path: PathName;
  streams: number;
  baseline: MemorySnapshot;
  held: MemorySnapshot;
  released: MemorySnapshot;
  /** Upstream requests the fake still had open 3 s after every client had gone. */
  upstreamStillOpen: number;
  problems: string[];
}

/**
 * Opens `streams` streams on `server` that stay open (the fake sends one token per second), waits
 * until every one has its first delta, reads memory, then closes them all.
 */
export async function measureHeldStreams(
  path: PathName,
  server: ChildServer,
  fakeUrl: string,
  streams: number,
  log: (line: string) => void = () => {},
): Promise<HoldMeasurement> {
  const inspector = await connectInspector(server.inspectorUrl!);
  const target = { path, url: server.url };
  const problems: string[] = [];
  try {
    // Warm-up: the first requests compile routes and fill caches; that is not per-stream memory.
    const quick = promptFor("no-code", "[fake:tps=0][fake:first-token-ms=0]");
    problems.push(...(await runMany(target, quick, fakeReply("no-code"), 200, 20, fakeUrl)));
    await resetFake(fakeUrl);
    await sleep(500);
    const baseline = await snapshot(server.pid, inspector);

    const abort = new AbortController();
    let firstDeltas = 0;
    const slow = promptFor("default", "[fake:tps=1]");
    const running = Array.from({ length: streams }, () =>
      streamOnce(target, slow, abort.signal, () => firstDeltas++).catch((error: Error) => {
        if (!abort.signal.aborted) problems.push(error.message);
      }),
    );
    const deadline = Date.now() + 60_000;
    while (firstDeltas < streams && Date.now() < deadline && problems.length === 0) await sleep(100);
    if (firstDeltas < streams) problems.push(`only ${firstDeltas} of ${streams} streams started`);
    log(`  ${path}: ${firstDeltas} streams open`);
    await sleep(2_000);
    const held = await snapshot(server.pid, inspector);
    abort.abort();
    await Promise.all(running);
    await sleep(3_000);
    // The wire protocol promises that a client leaving aborts the provider call at once.
    const requests = (await (await fetch(`${new URL(fakeUrl).origin}/__fake/requests`)).json()) as Array<{ endedAt?: number }>;
    const upstreamStillOpen = requests.filter((r) => r.endedAt === undefined).length;
    const released = await snapshot(server.pid, inspector);
    await resetFake(fakeUrl);
    return { path, streams, baseline, held, released, upstreamStillOpen, problems };
  } finally {
    inspector.close();
  }
}

export interface DetachedMeasurement {
  generations: number;
  baseline: MemorySnapshot;
  detached: MemorySnapshot;
  /** Provider calls still running with every page gone: all of them, if generations outlive requests. */
  upstreamRunning: number;
  problems: string[];
}

/**
 * Chat generations with nobody attached: `count` chats each start a slow answer (one token per
 * second), every client leaves after its first delta, and memory is read while the generations run
 * on by themselves (within KILN_DETACHED_GRACE_MS). Then each is stopped.
 */
export async function measureDetachedGenerations(
  server: ChildServer,
  fakeUrl: string,
  count: number,
  log: (line: string) => void = () => {},
): Promise<DetachedMeasurement> {
  const inspector = await connectInspector(server.inspectorUrl!);
  const problems: string[] = [];
  let cookie = "";
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(cookie && { Cookie: cookie }) },
      body: JSON.stringify(body),
    });
    cookie ||= response.headers.get("set-cookie")?.split(";")[0] ?? "";
    return response;
  };
  try {
    await resetFake(fakeUrl);
    const chats: string[] = [];
    for (let i = 0; i < count; i++) {
      const created = await post("/api/chats", { model: MODEL, title: `detached ${i}` });
      if (!created.ok) problems.push(`POST /api/chats: ${created.status}`);
      else chats.push(((await created.json()) as { id: string }).id);
    }
    await sleep(500);
    const baseline = await snapshot(server.pid, inspector);
    const slow = promptFor("default", "[fake:tps=1]");
    await Promise.all(
      chats.map(async (chatId) => {
        const response = await post("/api/chat", { model: MODEL, chatId, messages: [{ role: "user", content: slow }] });
        const reader = response.body!.getReader();
        let seen = "";
        while (!seen.includes("event: delta")) {
          const { done, value } = await reader.read();
          if (done) break;
          seen += new TextDecoder().decode(value);
        }
        // The page leaves: the generation goes on without it.
        await reader.cancel();
      }),
    );
    log(`  ${chats.length} generations detached`);
    await sleep(2_000);
    const detached = await snapshot(server.pid, inspector);
    const requests = (await (await fetch(`${new URL(fakeUrl).origin}/__fake/requests`)).json()) as Array<{
      path: string;
      endedAt?: number;
    }>;
    const upstreamRunning = requests.filter((r) => r.path.endsWith("/chat/completions") && r.endedAt === undefined).length;
    await Promise.all(chats.map((chatId) => post(`/api/chats/${chatId}/stop`, {})));
    await resetFake(fakeUrl);
    return { generations: chats.length, baseline, detached, upstreamRunning, problems };
  } finally {
    inspector.close();
  }
}

export interface LeakMeasurement {
  concurrency: number;
  checkpoints: { streams: number; memory: MemorySnapshot }[];
  problems: string[];
}

/** Short streams, `concurrency` at a time, with memory read at each checkpoint (a total count). */
export async function measureLeak(
  server: ChildServer,
  fakeUrl: string,
  checkpoints: number[],
  concurrency: number,
  log: (line: string) => void = () => {},
): Promise<LeakMeasurement> {
  const inspector = await connectInspector(server.inspectorUrl!);
  const target = { path: "kiln" as const, url: server.url };
  const reply = "no-code";
  const prompt = promptFor(reply, "[fake:tps=0][fake:first-token-ms=0]");
  const result: LeakMeasurement = { concurrency, checkpoints: [], problems: [] };
  try {
    let done = 0;
    for (const checkpoint of checkpoints) {
      const start = performance.now();
      result.problems.push(...(await runMany(target, prompt, fakeReply(reply), checkpoint - done, concurrency, fakeUrl)));
      log(`  ${checkpoint} streams (${((checkpoint - done) / ((performance.now() - start) / 1000)).toFixed(0)} streams/s)`);
      done = checkpoint;
      await resetFake(fakeUrl);
      await sleep(1_000);
      result.checkpoints.push({ streams: checkpoint, memory: await snapshot(server.pid, inspector) });
    }
    return result;
  } finally {
    inspector.close();
  }
}

const mib = (bytes: number) => bytes / MiB;
/** The heap without compiled code: what streams themselves would leave behind. */
export const objects = "objects" as const;
export const value = (m: MemorySnapshot, key: keyof MemorySnapshot | typeof objects) =>
  key === objects ? m.heapAfterGc - m.codeAfterGc : m[key];
const kib = (bytes: number) => bytes / 1024;

export function memoryTable(holds: HoldMeasurement[], leak: LeakMeasurement | undefined, detached?: DetachedMeasurement): Table {
  const rows: Table["rows"] = [];
  if (detached && detached.generations > 0) {
    const per = (key: keyof MemorySnapshot | typeof objects) =>
      kib((value(detached.detached, key) - value(detached.baseline, key)) / detached.generations);
    rows.push([
      `kiln: per detached generation (${detached.generations}, no page attached), KiB`,
      per("rss"),
      per("rssAfterGc"),
      per("heapAfterGc"),
      per(objects),
    ]);
    rows.push([`kiln: provider calls running with every page gone`, detached.upstreamRunning, "", "", ""]);
  }
  for (const h of holds) {
    const per = (key: keyof MemorySnapshot | typeof objects) => kib((value(h.held, key) - value(h.baseline, key)) / h.streams);
    rows.push([
      `${h.path}: per open stream (${h.streams} open), KiB`,
      per("rss"),
      per("rssAfterGc"),
      per("heapAfterGc"),
      per(objects),
    ]);
    rows.push([
      `${h.path}: baseline → held → clients gone, MiB`,
      fmtMiB(h, "rss"),
      fmtMiB(h, "rssAfterGc"),
      fmtMiB(h, "heapAfterGc"),
      fmtMiB(h, objects),
    ]);
    rows.push([`${h.path}: upstream calls still open 3 s after the clients left`, h.upstreamStillOpen, "", "", ""]);
  }
  if (leak && leak.checkpoints.length >= 2) {
    for (const c of leak.checkpoints) {
      rows.push([
        `kiln after ${c.streams} short streams, MiB`,
        mib(c.memory.rss),
        mib(c.memory.rssAfterGc),
        mib(c.memory.heapAfterGc),
        mib(value(c.memory, objects)),
      ]);
    }
    const [first, last] = [leak.checkpoints[0], leak.checkpoints[leak.checkpoints.length - 1]];
    const growth = (key: keyof MemorySnapshot | typeof objects) => value(last.memory, key) - value(first.memory, key);
    const keys = ["rss", "rssAfterGc", "heapAfterGc", objects] as const;
    rows.push([`kiln growth ${first.streams} → ${last.streams}, MiB`, ...keys.map((k) => mib(growth(k)))]);
    rows.push([`kiln growth per stream, bytes`, ...keys.map((k) => growth(k) / (last.streams - first.streams))]);
  }
  const problems = [...holds.flatMap((h) => h.problems), ...(leak?.problems ?? [])];
  return {
    title: `3. Memory (server process; RSS = VmRSS; "after GC" = after a forced full GC via the inspector; "not code" = heap minus the JIT's compiled code)`,
    columns: ["measure", "RSS", "RSS after GC", "V8 heap after GC", "…of it not code"],
    rows,
    notes: [
      ...(leak ? [`leak check: short replies ("no-code", tps 0), ${leak.concurrency} at a time`] : []),
      ...(problems.length ? [`${problems.length} streams FAILED, e.g. ${problems[0]}`] : []),
    ],
  };
}

function fmtMiB(h: HoldMeasurement, key: keyof MemorySnapshot | typeof objects) {
  return [h.baseline, h.held, h.released].map((m) => mib(value(m, key)).toFixed(1)).join(" → ");
}
