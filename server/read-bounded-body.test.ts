import { describe, expect, it } from "vitest";
import { readBoundedBody } from "./read-bounded-body";

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
