/**
 * KILN_TRUST_PROXY through the production server: which X-Forwarded-For entry names the client (and
 * so its rate-limit bucket) at each setting, and that a client writing its own entries never gets a
 * fresh bucket. The test connects from 127.0.0.1, so that is the TCP peer, "the proxy", throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";

const MODEL = "deepseek-ai/DeepSeek-V3";
const BURST = 3;
let fake: FakeProvider;
const servers: KilnServer[] = [];

beforeAll(async () => {
  fake = await startFakeProvider();
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await fake?.close();
});

/** A Kiln with a small, slowly refilling bucket per client and the given KILN_TRUST_PROXY. */
async function kilnTrusting(trustProxy: string): Promise<KilnServer> {
  const server = await startKilnServer({
    TOGETHER_API_KEY: "k",
    TOGETHER_BASE_URL: fake.url,
    KILN_TRUST_PROXY: trustProxy,
    KILN_RATE_LIMIT_BURST: String(BURST),
    KILN_RATE_LIMIT_PER_MINUTE: "1",
  });
  servers.push(server);
  return server;
}

/** Creates a chat with this X-Forwarded-For; the status says whether the client's bucket had a token. */
async function createChat(kiln: KilnServer, forwardedFor?: string): Promise<number> {
  const response = await fetch(`${kiln.url}/api/chats`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(forwardedFor === undefined ? {} : { "X-Forwarded-For": forwardedFor }) },
    body: JSON.stringify({ model: MODEL, title: "A timer" }),
  });
  await response.body?.cancel();
  return response.status;
}

/** Sends one request per header: the statuses in order. */
async function statuses(kiln: KilnServer, headers: string[]): Promise<number[]> {
  const seen: number[] = [];
  for (const header of headers) seen.push(await createChat(kiln, header));
  return seen;
}

/** `count` X-Forwarded-For values that differ in the entries the client writes (left of `rest`). */
const spoofed = (count: number, rest: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => `203.0.113.${i + 1}, 192.0.2.${i + 7}, ${rest(i)}`);

describe("KILN_TRUST_PROXY=1 (one proxy in front of Kiln)", () => {
  it("keys the limit on the right-most X-Forwarded-For entry: entries the client writes to its left change nothing", async () => {
    const kiln = await kilnTrusting("1");
    const seen = await statuses(
      kiln,
      spoofed(BURST + 2, () => "198.51.100.1"),
    );
    expect(seen).toEqual([201, 201, 201, 429, 429]);
    // The proxy saw another client: that one has its own bucket.
    expect(await createChat(kiln, "203.0.113.1, 198.51.100.2")).toBe(201);
    // A client that sends no X-Forwarded-For of its own: the proxy's entry alone names it.
    expect(await createChat(kiln, "198.51.100.3")).toBe(201);
  });
});

describe("KILN_TRUST_PROXY=2 (a load balancer, then a proxy beside Kiln)", () => {
  it("keys the limit on the second entry from the right, whatever the client writes and whichever balancer node forwarded", async () => {
    const kiln = await kilnTrusting("2");
    // The inner proxy appends the balancer node's address (right-most), the balancer the client's.
    const seen = await statuses(
      kiln,
      spoofed(BURST + 2, (i) => `198.51.100.1, 10.0.0.${i + 1}`),
    );
    expect(seen).toEqual([201, 201, 201, 429, 429]);
    expect(await createChat(kiln, "198.51.100.1, 198.51.100.2, 10.0.0.1")).toBe(201);
  });
});

describe("KILN_TRUST_PROXY as a list of proxy addresses", () => {
  it("from a peer in the list, skips the listed proxies' entries and keys on the first address outside them", async () => {
    const kiln = await kilnTrusting("127.0.0.0/8,10.0.0.0/8,fd00::/8");
    const seen = await statuses(
      kiln,
      spoofed(BURST + 2, (i) => (i % 2 ? "198.51.100.1, 10.1.2.3" : "198.51.100.1")),
    );
    expect(seen).toEqual([201, 201, 201, 429, 429]);
    expect(await createChat(kiln, "203.0.113.1, 198.51.100.2, 10.1.2.3")).toBe(201);
  });

  it("from a peer not in the list, ignores X-Forwarded-For: the peer is the client, whatever it forwards", async () => {
    const kiln = await kilnTrusting("10.0.0.0/8,::1");
    const seen = await statuses(
      kiln,
      Array.from({ length: BURST + 2 }, (_, i) => `198.51.100.${i + 1}`),
    );
    expect(seen).toEqual([201, 201, 201, 429, 429]);
    expect(await createChat(kiln)).toBe(429);
  });
});

describe("KILN_TRUST_PROXY unset", () => {
  it("ignores X-Forwarded-For altogether", async () => {
    const kiln = await kilnTrusting("");
    const seen = await statuses(
      kiln,
      Array.from({ length: BURST + 1 }, (_, i) => `198.51.100.${i + 1}`),
    );
    expect(seen).toEqual([201, 201, 201, 429]);
  });
});

describe("KILN_TRUST_PROXY=true", () => {
  it("stops the server at start-up with one sentence saying why and what to set instead", async () => {
    const started = startKilnServer({ TOGETHER_API_KEY: "k", TOGETHER_BASE_URL: fake.url, KILN_TRUST_PROXY: "true" });
    const failure = await started.then(
      (server) => {
        servers.push(server);
        throw new Error("Kiln started with KILN_TRUST_PROXY=true");
      },
      (error: Error) => error.message,
    );
    expect(failure).toContain("Kiln exited with 1");
    expect(failure).toContain(
      "kiln: configuration error: KILN_TRUST_PROXY=true is refused because it makes Kiln believe the left-most X-Forwarded-For entry, which the client writes itself; set the number of proxies in front of Kiln (e.g. 1) or their addresses (e.g. 10.0.0.0/8,127.0.0.1) instead",
    );
  });
});
