import { describe, expect, it } from "vitest";
import { readBoundedBody, readBoundedBytes } from "./read-bounded-body";

/** A stream of `chunks` chunks of 1 000 bytes that records whether it was cancelled. */
function source(chunks: number) {
  const state = { cancelled: false, pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled === chunks) return controller.close();
      state.pulled++;
      controller.enqueue(new TextEncoder().encode("x".repeat(1000)));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe("readBoundedBody", () => {
  it("reads a body up to the limit as text", async () => {
    expect(await readBoundedBody(source(3).stream, 3000)).toBe("x".repeat(3000));
    expect(await readBoundedBody(null, 10)).toBe("");
  });

  it("stops past the limit and cancels the stream (a provider's answer is abandoned)", async () => {
    const { stream, state } = source(1000);
    expect(await readBoundedBody(stream, 2500)).toBeUndefined();
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThanOrEqual(4);
  });

  it("with cancel: false stops past the limit but leaves the stream alone (a request whose 413 must still be sent)", async () => {
    const { stream, state } = source(1000);
    expect(await readBoundedBody(stream, 2500, { cancel: false })).toBeUndefined();
    expect(state.cancelled).toBe(false);
    expect(stream.locked).toBe(false);
    expect(state.pulled).toBeLessThanOrEqual(4);
  });
});

describe("readBoundedBytes", () => {
  it("reads a binary body up to the limit byte for byte, bytes that are not UTF-8 included", async () => {
    const bytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 256);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 1001));
        controller.enqueue(bytes.subarray(1001));
        controller.close();
      },
    });
    const read = await readBoundedBytes(stream, 3000);
    expect(read && Buffer.compare(read, Buffer.from(bytes))).toBe(0);
    expect(await readBoundedBytes(null, 10)).toEqual(Buffer.alloc(0));
  });

  it("stops past the limit without reading on, leaving a request's stream uncancelled when asked", async () => {
    const { stream, state } = source(1000);
    expect(await readBoundedBytes(stream, 2500, { cancel: false })).toBeUndefined();
    expect(state.cancelled).toBe(false);
    expect(state.pulled).toBeLessThanOrEqual(4);
  });
});
