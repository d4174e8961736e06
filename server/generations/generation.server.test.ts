import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { WireEvent } from "../../machines/wire-events";
import { Generation, type GenerationFrame } from "./generation.server";
import { Generations } from "./generations.server";

const delta = (text: string): WireEvent => ({ event: "delta", data: { text } });
const done: WireEvent = { event: "done", data: { finishReason: "stop" } };
const texts = (frames: GenerationFrame[]) => frames.map((f) => (f.event.event === "delta" ? f.event.data.text : f.event.event));

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("a generation's log", () => {
  it("numbers events 1, 2, 3… and hands a late attacher exactly those after its Last-Event-ID, then the rest live", () => {
    const generation = new Generation({ id: "g", chatId: "c", graceMs: 1000 });
    generation.publish(delta("a"));
    generation.publish(delta("b"));
    generation.publish(delta("c"));
    const received: GenerationFrame[] = [];
    generation.attach(1, (frame) => received.push(frame));
    expect(received.map((f) => f.seq)).toEqual([2, 3]);
    generation.publish(delta("d"));
    generation.publish(done);
    expect(texts(received)).toEqual(["b", "c", "d", "done"]);
    expect(received.map((f) => f.seq)).toEqual([2, 3, 4, 5]);
  });

  it("a finished log replays to its end and takes no more events", () => {
    const generation = new Generation({ id: "g", graceMs: 1000 });
    generation.publish(delta("a"));
    generation.publish(done);
    generation.publish(delta("late"));
    const received: GenerationFrame[] = [];
    generation.attach(0, (frame) => received.push(frame));
    expect(texts(received)).toEqual(["a", "done"]);
    expect(generation.finished).toBe(true);
  });
});

describe("who keeps a generation going", () => {
  it("runs on while nobody is attached for less than the grace period, and stops after it", () => {
    const generation = new Generation({ id: "g", chatId: "c", graceMs: 60_000 });
    const detach = generation.attach(0, () => {});
    detach();
    vi.advanceTimersByTime(59_999);
    expect(generation.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(generation.signal.aborted).toBe(true);
    expect(generation.stopReason).toBe("nobody_attached");
  });

  it("a browser coming back within the grace period keeps it going", () => {
    const generation = new Generation({ id: "g", chatId: "c", graceMs: 60_000 });
    generation.attach(0, () => {})();
    vi.advanceTimersByTime(30_000);
    const detach = generation.attach(0, () => {});
    vi.advanceTimersByTime(60_000);
    expect(generation.signal.aborted).toBe(false);
    detach();
    vi.advanceTimersByTime(60_000);
    expect(generation.signal.aborted).toBe(true);
  });

  it("with no grace (a request without a chat) the last browser leaving stops it at once", () => {
    const generation = new Generation({ id: "g", graceMs: 0 });
    const first = generation.attach(0, () => {});
    const second = generation.attach(0, () => {});
    first();
    expect(generation.signal.aborted).toBe(false);
    second();
    expect(generation.signal.aborted).toBe(true);
  });

  it("Stop aborts at once, whoever is attached, and says it was the user", () => {
    const generation = new Generation({ id: "g", chatId: "c", graceMs: 60_000 });
    generation.attach(0, () => {});
    generation.stop("stopped_by_user");
    expect(generation.signal.aborted).toBe(true);
    expect(generation.stopReason).toBe("stopped_by_user");
  });
});

describe("the registry", () => {
  it("keeps an ended generation attachable for the retention, then forgets it", async () => {
    const generations = new Generations(10_000);
    const generation = generations.start({ id: "g", chatId: "c", graceMs: 10_000 }, async (g) => g.publish(done));
    await vi.advanceTimersByTimeAsync(0);
    expect(generations.latestFor("c")).toBe(generation);
    expect(generations.running).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(generations.get("g")).toBeUndefined();
    expect(generations.latestFor("c")).toBeUndefined();
  });

  it("a new turn of the same chat stops the one still running", () => {
    const generations = new Generations(10_000);
    const first = generations.start({ id: "g1", chatId: "c", graceMs: 10_000 }, () => new Promise(() => {}));
    const second = generations.start({ id: "g2", chatId: "c", graceMs: 10_000 }, () => new Promise(() => {}));
    expect(first.signal.aborted).toBe(true);
    expect(second.signal.aborted).toBe(false);
    expect(generations.latestFor("c")).toBe(second);
  });
});

describe("a copy of another replica's generation", () => {
  it("takes database frames only in order, and never sends a browser what it already has", () => {
    const copy = new Generation({ id: "g", chatId: "c", graceMs: 60_000 });
    expect(copy.publishCopied({ seq: 1, event: delta("a") })).toBe(true);
    // Seq 3 before 2 (a write not visible yet): refused, read again later.
    expect(copy.publishCopied({ seq: 3, event: delta("c") })).toBe(false);
    expect(copy.publishCopied({ seq: 2, event: delta("b") })).toBe(true);
    // The browser already has up to 3 (from the replica it left); the copy is behind at 2.
    const received: GenerationFrame[] = [];
    copy.attach(3, (frame) => received.push(frame));
    expect(copy.publishCopied({ seq: 3, event: delta("c") })).toBe(true);
    expect(copy.publishCopied({ seq: 4, event: delta("d") })).toBe(true);
    expect(received.map((f) => f.seq)).toEqual([4]);
  });
});

describe("handing a generation over (a draining replica)", () => {
  it("stops the provider call without a final event, starts no grace period, and disconnects browsers when told", () => {
    const generation = new Generation({ id: "g", chatId: "c", graceMs: 0 });
    let disconnected = 0;
    const detach = generation.attach(
      0,
      () => {},
      () => disconnected++,
    );
    generation.handOver();
    expect(generation.signal.aborted).toBe(true);
    expect(generation.stopReason).toBe("handed_over");
    expect(generation.finished).toBe(false);
    generation.disconnectAll();
    expect(disconnected).toBe(1);
    detach();
    expect(generation.stopReason).toBe("handed_over");
  });
});

describe("what the registry keeps after the end", () => {
  it("forgets a generation without a chat at once: nothing can attach to it", async () => {
    const generations = new Generations(10_000);
    generations.start({ id: "plain", graceMs: 0 }, async (g) => g.publish(done));
    await vi.advanceTimersByTimeAsync(0);
    expect(generations.get("plain")).toBeUndefined();
    expect(generations.size).toBe(0);
  });
});
