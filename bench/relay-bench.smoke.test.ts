/**
 * The relay benchmark (`npm run bench`) on a tiny configuration: checks that the benchmark measures
 * what it claims (every path delivers the provider's whole reply, the figures are real numbers, the
 * table has its rows). No timing is asserted: this machine's speed is not under test here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeReply } from "../tests/support/fake-reply";
import { PATHS, streamOnce, streamProblem } from "./clients";
import { startFake, startKiln, startThinRelay, type ChildServer } from "./processes";
import { measureRelay, measureThroughput, relayTable, throughputTable, type RelayServers } from "./relay";
import { median, percentile, renderTable } from "./stats";

let fake: ChildServer;
let kiln: ChildServer;
let thin: ChildServer;
let servers: RelayServers;

beforeAll(async () => {
  fake = await startFake({ tokensPerSecond: 400, firstTokenMs: 20 });
  [kiln, thin] = await Promise.all([startKiln(fake.url), startThinRelay(fake.url)]);
  servers = { fakeUrl: fake.url, fakePid: fake.pid, kiln, thin };
});

afterAll(async () => {
  await Promise.all([kiln?.stop(), thin?.stop(), fake?.stop()]);
});

describe("the relay benchmark", () => {
  it("receives the fake's whole reply through Kiln, the thin relay and the openai SDK, and tabulates it", async () => {
    const m = await measureRelay(servers, {
      concurrency: [1, 2],
      rounds: 1,
      minSamples: 2,
      rampMs: 0,
      reply: "no-code",
      firstTokenMs: 20,
      tokensPerSecond: 400,
    });
    const reply = fakeReply("no-code");
    expect(m.expected).toBe(reply);
    for (const path of PATHS) expect(m.lastTexts[path], path).toBe(reply);
    for (const c of [1, 2]) {
      for (const path of PATHS) {
        const s = m.samples[c][path];
        expect(s.problems, `${path} at ${c}`).toEqual([]);
        expect(s.ttfd).toHaveLength(2);
        expect(s.total).toHaveLength(2);
        for (const [i, ttfd] of s.ttfd.entries()) {
          expect(Number.isFinite(ttfd) && ttfd > 0).toBe(true);
          expect(s.total[i]).toBeGreaterThanOrEqual(ttfd);
        }
        if (path !== "direct") expect(s.serverCpuMs).toBeGreaterThanOrEqual(0);
      }
    }

    const table = relayTable(m);
    const metrics = ["TTFD median", "TTFD p99", "total median", "total p99"];
    expect(table.rows.map((row) => `${row[0]} ${row[1]}`)).toEqual([
      ...metrics.map((metric) => `1 ${metric}`),
      ...metrics.map((metric) => `2 ${metric}`),
      ...[1, 2].flatMap((c) => [
        `${c} relay CPU ms/stream`,
        `${c} fake CPU ms/stream`,
        `${c} client CPU ms/stream`,
        `${c} samples (failed)`,
      ]),
    ]);
    for (const row of table.rows.slice(0, 8)) {
      for (const cell of row.slice(2))
        expect(Number.isFinite(Number(cell)) && Number(cell) > 0, `${row[0]} ${row[1]}: ${cell}`).toBe(true);
    }
    const text = renderTable(table);
    expect(text).toContain("kiln/thin");
    expect(text).toContain("kiln/direct");
  });

  it("counts every token of every stream in the throughput figure", async () => {
    const t = await measureThroughput(servers, { concurrency: 2, tokensPerSecond: 400, reply: "no-code", rounds: 1 });
    expect(t.problems).toEqual([]);
    for (const path of PATHS) {
      expect(t.rates[path]).toHaveLength(1);
      expect(Number.isFinite(t.rates[path][0]) && t.rates[path][0] > 0).toBe(true);
    }
    expect(throughputTable(t).rows.map((row) => row[0])).toEqual(["kiln", "thin", "direct"]);
  });

  it("notices a stream that is cut short or altered", async () => {
    const result = await streamOnce({ path: "thin", url: thin.url }, "A pomodoro timer [fake:reply=no-code]");
    const reply = fakeReply("no-code");
    expect(streamProblem(result, reply)).toBeUndefined();
    expect(streamProblem({ ...result, text: result.text.slice(0, -1) }, reply)).toMatch(/text differs/);
    expect(streamProblem({ ...result, sequence: ["meta", "delta"] }, reply)).toMatch(/events/);
  });

  it("computes medians and nearest-rank percentiles", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile([5, 1, 9], 99)).toBe(9);
    expect(Number.isNaN(median([]))).toBe(true);
  });
});
