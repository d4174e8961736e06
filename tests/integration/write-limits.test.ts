/**
 * What bounds a write through the production server: the body limit of every write endpoint (the
 * answer comes before the client has finished sending), the per-client rate limit with a bucket per
 * kind of write, and the request timeout, which cuts a slow upload but never a long answer stream.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { pacedUpload } from "../support/paced-upload";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";

const MODEL = "deepseek-ai/DeepSeek-V3";
const FIVE_MB = 5_000_000;
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});

afterAll(async () => {
  await fake?.close();
});

function startKiln(env: Record<string, string> = {}) {
  return startKilnServer({ TOGETHER_API_KEY: "k", TOGETHER_BASE_URL: fake.url, ...env });
}

/** 5 MB of JSON-typed body in 16 kB writes (tests/support/paced-upload.ts), about 3 s for the whole. */
function uploadFiveMegabytes(url: string, { chunked }: { chunked: boolean }) {
  return pacedUpload(url, {
    total: FIVE_MB,
    headers: { "Content-Type": "application/json", ...(chunked ? {} : { "Content-Length": String(FIVE_MB) }) },
    piece: Buffer.alloc(16_000, 0x20),
  });
}

describe("body limits", () => {
  let kiln: KilnServer;
  beforeAll(async () => {
    kiln = await startKiln();
    // Warm up (routes loaded, database open), so answer times are the server's, not its start's.
    await fetch(`${kiln.url}/api/chats`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, title: "warm-up" }),
    });
  });
  afterAll(async () => {
    await kiln?.stop();
  });

  it.each(["/api/chat", "/api/chats", "/api/shares"])(
    "answers a 5 MB body to %s with 413 body_too_large from its Content-Length, before the upload is done",
    async (path) => {
      const upload = await uploadFiveMegabytes(`${kiln.url}${path}`, { chunked: false });
      expect(upload).toMatchObject({ status: 413, code: "body_too_large", connection: "close" });
      expect(upload.sent).toBeLessThan(FIVE_MB / 2);
    },
  );

  it.each(["/api/chats", "/api/shares"])(
    "answers a 5 MB body to %s sent without Content-Length with 413 once the limit has arrived, before the upload is done",
    async (path) => {
      const upload = await uploadFiveMegabytes(`${kiln.url}${path}`, { chunked: true });
      expect(upload).toMatchObject({ status: 413, code: "body_too_large", connection: "close" });
      expect(upload.sent).toBeLessThan(FIVE_MB / 2);
    },
  );

  it("refuses a write that is not sent as JSON with 415 unsupported_media_type", async () => {
    for (const path of ["/api/chats", "/api/shares"]) {
      const response = await fetch(`${kiln.url}${path}`, { method: "POST", body: JSON.stringify({ model: MODEL, title: "x" }) });
      expect(response.status, path).toBe(415);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
    }
  });

  it("still takes a small JSON write", async () => {
    const response = await fetch(`${kiln.url}/api/chats`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, title: "A timer" }),
    });
    expect(response.status).toBe(201);
  });
});

describe("rate limit on every write", () => {
  it("answers 40 rapid chat creations from one address with 429 and Retry-After past the burst, leaving its turns and shares their own buckets", async () => {
    const kiln = await startKiln({ KILN_RATE_LIMIT_BURST: "5", KILN_RATE_LIMIT_PER_MINUTE: "6" });
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${kiln.url}${path}`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
      const created = await Promise.all(Array.from({ length: 40 }, () => post("/api/chats", { model: MODEL, title: "A timer" })));
      const statuses = created.map((response) => response.status);
      expect(statuses.filter((status) => status === 201)).toHaveLength(5);
      expect(statuses.filter((status) => status === 429)).toHaveLength(35);
      for (const refused of created.filter((response) => response.status === 429)) {
        const seconds = Number(refused.headers.get("retry-after"));
        // One token every 10 s (6 a minute).
        expect(seconds).toBeGreaterThanOrEqual(1);
        expect(seconds).toBeLessThanOrEqual(10);
        const body = (await refused.json()) as { error: { code: string; message: string } };
        expect(body.error).toEqual({
          code: "rate_limited",
          message: `Too many requests from your address; try again in ${seconds} s.`,
        });
      }
      // Turns and shares take from buckets of their own.
      const turn = await post("/api/chat", { model: MODEL, messages: [{ role: "user", content: "a timer" }] });
      expect(turn.status).toBe(200);
      expect((await readSse(turn)).sequence.at(-1)).toBe("done");
      const share = await post("/api/shares", { chatId: "no-such-chat", version: 1 });
      expect(share.status).not.toBe(429);
    } finally {
      await kiln.stop();
    }
  });
});

interface TrickledRequest {
  /** What the server sent before it closed the connection. */
  received: string;
  elapsedMs: number;
}

/**
 * Writes `head` at once, then `trickle` one byte every 100 ms, never finishing the request, until
 * the server closes the connection.
 */
function trickle(url: string, head: string, trickle: string): Promise<TrickledRequest> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(Number(port), hostname);
    let received = "";
    let at = 0;
    const timer = setInterval(() => {
      if (at < trickle.length && !socket.destroyed) socket.write(trickle[at++]);
    }, 100);
    socket.on("connect", () => socket.write(head));
    socket.on("data", (chunk) => (received += chunk.toString("utf8")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ received, elapsedMs: performance.now() - started });
    });
  });
}

describe("request timeout (KILN_REQUEST_TIMEOUT_MS)", () => {
  const TIMEOUT_MS = 1500;
  let kiln: KilnServer;
  beforeAll(async () => {
    kiln = await startKiln({ KILN_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) });
  });
  afterAll(async () => {
    await kiln?.stop();
  });

  const post = (path: string, length: number) =>
    `POST ${path} HTTP/1.1\r\nHost: ${new URL(kiln.url).host}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

  it("cuts a slow upload with a 408 while a slow answer stream over the same server runs past it to done", async () => {
    const streamStarted = performance.now();
    // About 520 tokens at 80 a second: some 6.5 s, over four times the request timeout.
    const answer = fetch(`${kiln.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "a timer [fake:tps=80]" }] }),
    }).then(async (response) => ({ status: response.status, stream: await readSse(response), endedAt: performance.now() }));

    // A body that keeps arriving, a byte at a time: never idle, only slow.
    const body = JSON.stringify({ model: MODEL, title: "x".repeat(200) });
    const [chats, chat] = await Promise.all([
      trickle(kiln.url, post("/api/chats", body.length), body),
      trickle(kiln.url, post("/api/chat", 10_000), "x".repeat(10_000)),
    ]);
    for (const cut of [chats, chat]) {
      expect(cut.received).toMatch(/^HTTP\/1\.1 408 /);
      expect(cut.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
      expect(cut.elapsedMs).toBeLessThan(TIMEOUT_MS + 1500);
    }

    const { status, stream, endedAt } = await answer;
    expect(status).toBe(200);
    expect(stream.sequence.at(-1)).toBe("done");
    expect(stream.text).toContain("export default function");
    expect(endedAt - streamStarted).toBeGreaterThan(3 * TIMEOUT_MS);
  });

  it("cuts a client that trickles its headers with a 408", async () => {
    const head = post("/api/chats", 2);
    const cut = await trickle(kiln.url, "", `${head}{}`);
    expect(cut.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(cut.elapsedMs).toBeLessThan(TIMEOUT_MS + 1500);
  });
});
