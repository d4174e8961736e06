import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "./logger.server";
import { pathOf, REDACTED, redactSecrets, requestLog } from "./request-log.server";

/** A logger writing JSON lines into an array. */
function capture() {
  const lines: string[] = [];
  const logger = createLogger("info", { write: (line: string) => void lines.push(line) });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

async function serve(app: express.Express): Promise<string> {
  const server = app.listen(0, "127.0.0.1");
  servers.push(server);
  await new Promise((resolve) => server.once("listening", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Log lines are written on `finish`, just after the client has the response: wait for them. */
async function until(condition: () => boolean) {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

function appWith(logger: ReturnType<typeof capture>["logger"]) {
  const app = express();
  app.use(requestLog(logger));
  app.get("/hello", (_req, res) => {
    res.send("hi");
  });
  app.get("/stream", (_req, res) => {
    res.setHeader("Content-Type", "text/plain");
    res.write("abc");
    res.write(Buffer.from("défg")); // 5 bytes
    res.end("!");
  });
  app.get("/boom", (_req, res) => {
    res.status(500).json({ error: { code: "internal_error" } });
  });
  app.get("/hang", (_req, res) => {
    res.setHeader("Content-Type", "text/event-stream");
    res.flushHeaders();
    res.write("data: 1\n\n");
  });
  app.use((_req, res) => {
    res.status(404).send("nothing here");
  });
  return app;
}

describe("requestLog", () => {
  it("writes exactly one JSON line per request, with method, path, status, duration, bytes and ip", async () => {
    const { logger, records } = capture();
    const url = await serve(appWith(logger));
    await fetch(`${url}/hello`).then((r) => r.text());
    await fetch(`${url}/nowhere`, { method: "POST", body: "x" }).then((r) => r.text());
    await fetch(`${url}/boom`).then((r) => r.text());
    await until(() => records().length === 3);
    await new Promise((resolve) => setTimeout(resolve, 50)); // and no second line for any of them
    const lines = records();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      msg: "http request",
      level: 30,
      method: "GET",
      path: "/hello",
      status: 200,
      bytes: 2,
      ip: "127.0.0.1",
    });
    expect(lines[0].durationMs).toEqual(expect.any(Number));
    expect(lines[0]).not.toHaveProperty("aborted");
    expect(lines[0]).not.toHaveProperty("requestId");
    expect(lines[1]).toMatchObject({ method: "POST", path: "/nowhere", status: 404, bytes: "nothing here".length });
    expect(lines[2]).toMatchObject({ path: "/boom", status: 500, level: 50 });
  });

  it("counts the bytes of every write of a streamed response", async () => {
    const { logger, records } = capture();
    const url = await serve(appWith(logger));
    expect(await fetch(`${url}/stream`).then((r) => r.text())).toBe("abcdéfg!");
    await until(() => records().length === 1);
    expect(records()[0]).toMatchObject({ path: "/stream", status: 200, bytes: 9 });
  });

  it("never logs the query string, and redacts secrets in the path and the request id", async () => {
    const { logger, lines, records } = capture();
    const url = await serve(appWith(logger));
    const hex = "3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0";
    await fetch(`${url}/hello?token=tok-ABCDEF123456&key=sk-live-1234567890abcdef#frag`).then((r) => r.text());
    await fetch(`${url}/files/${hex}/raw`, { headers: { "X-Request-Id": "Bearer sk-proj-AbCdEf1234567890xyz" } }).then((r) =>
      r.text(),
    );
    await fetch(`${url}/hello`, { headers: { "X-Request-Id": "0b0d3a8e-3b4c-4f6a-9f0e-1c2d3e4f5a6b" } }).then((r) => r.text());
    await until(() => records().length === 3);
    const [withQuery, withSecrets, withId] = records();
    expect(withQuery.path).toBe("/hello");
    expect(withSecrets.path).toBe(`/files/${REDACTED}/raw`);
    expect(withSecrets.requestId).toBe(`Bearer ${REDACTED}`);
    expect(withId.requestId).toBe("0b0d3a8e-3b4c-4f6a-9f0e-1c2d3e4f5a6b");
    const text = lines.join("");
    for (const secret of ["token=", "tok-ABCDEF", "sk-live", "1234567890abcdef", hex, "sk-proj", "?", "frag"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("logs a request the client abandoned once, marked aborted", async () => {
    const { logger, records } = capture();
    const url = await serve(appWith(logger));
    const controller = new AbortController();
    const response = await fetch(`${url}/hang`, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await until(() => records().length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(records()).toHaveLength(1);
    expect(records()[0]).toMatchObject({ path: "/hang", status: 200, aborted: true, bytes: "data: 1\n\n".length });
  });
});

describe("pathOf", () => {
  it("drops the query string and fragment", () => {
    expect(pathOf("/a/b?c=d")).toBe("/a/b");
    expect(pathOf("/a#x?y")).toBe("/a");
    expect(pathOf("?only=query")).toBe("/");
    expect(pathOf("/plain")).toBe("/plain");
  });
});

/** Secrets in the shapes Kiln might meet, each inside some text. */
const SECRETS = [
  "sk-abc123def456ghi789jkl",
  "sk-proj-AbCdEf1234567890_xyz-QRS",
  "sk-ant-api03-abcdefghijklmnop1234567890",
  "sk-helicone-abcdefgh-12345678",
  "3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0", // Together-style hex key
  "4f8e2c1a9b7d6e5f4a3b2c1d0e9f8a7b", // 32 hex
  "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo=", // base64
  "q8Xv2LmN4pRtY7wZ1bKcJ9hFgD3sA6eU0iOoPlQzVx", // base64url
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", // AWS secret access key
  "AKIAIOSFODNN7EXAMPLE",
  "ghp_1234567890abcdefghijABCDEFGHIJ123456",
  "xoxb-123456789012-abcdefghijkl",
  "AIzaSyA1234567890abcdefghijklmnopqrstuv",
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcDEF123_-x",
];

describe("redactSecrets", () => {
  it.each(SECRETS)("redacts %s wherever it appears", (secret) => {
    for (const text of [secret, `key is ${secret}.`, `"${secret}"`, `/path/${secret}/x`, `(${secret})`]) {
      const redacted = redactSecrets(text);
      expect(redacted, text).not.toContain(secret);
      expect(redacted).toContain(REDACTED);
    }
  });

  it("redacts Authorization values, whatever the scheme", () => {
    expect(redactSecrets("Authorization: Bearer abc.def-ghi")).toBe(`Authorization: ${REDACTED}`);
    expect(redactSecrets('{"authorization":"Token opaque"}')).toBe(`{"authorization":"${REDACTED}"}`);
    expect(redactSecrets("sent Bearer tokenvalue1 upstream")).toBe(`sent Bearer ${REDACTED} upstream`);
    expect(redactSecrets("Basic dXNlcjpwYXNzd29yZA==")).toBe(`Basic ${REDACTED}`);
  });

  it("redacts key=, token=, password=… values in query strings, JSON and headers, keeping the names", () => {
    expect(redactSecrets("/api/x?key=abc&token=xyz&model=qwen&api_key=k1&access_token=t2")).toBe(
      `/api/x?key=${REDACTED}&token=${REDACTED}&model=qwen&api_key=${REDACTED}&access_token=${REDACTED}`,
    );
    expect(redactSecrets('{"apiKey":"tg-123","password": "hunter2","model":"m"}')).toBe(
      `{"apiKey":"${REDACTED}","password": "${REDACTED}","model":"m"}`,
    );
    expect(redactSecrets("Helicone-Auth: hc-secret-1")).toBe(`Helicone-Auth: ${REDACTED}`);
    expect(redactSecrets("X-Api-Key=abc")).toBe(`X-Api-Key=${REDACTED}`);
  });

  it("redacts passwords in URLs", () => {
    expect(redactSecrets("postgres://kiln:hunter2@db:5432/kiln")).toBe(`postgres://kiln:${REDACTED}@db:5432/kiln`);
  });

  it("leaves ordinary text, Kiln's ids, UUIDs, paths and model names readable", () => {
    for (const text of [
      "/chats/AbCdEfGhIjKlMnOpQrStUv",
      "/share/q8Xv2LmN4pRtY7wZ1bKcJ9.data",
      "0b0d3a8e-3b4c-4f6a-9f0e-1c2d3e4f5a6b",
      "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8",
      "meta-llama/Llama-3.3-70B-Instruct-Turbo",
      "moonshotai/Kimi-K2-Instruct-0905",
      "/assets/entry.client-B1x2Yz9Q.js",
      "chat request done in 1234 ms; token bucket refilled; Basic information",
      "skipped a malformed frame from the provider",
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });

  it("leaves nothing that looks like a key in a text full of them", () => {
    const text = SECRETS.map((secret, i) => `line ${i}: ${secret}`).join("\n");
    const redacted = redactSecrets(text);
    for (const secret of SECRETS) expect(redacted).not.toContain(secret);
    // No long run of key characters is left at all.
    expect(redacted).not.toMatch(/[A-Za-z0-9+/_-]{20,}/);
  });
});

describe("createLogger", () => {
  it("redacts secrets in messages, string fields, error messages and stacks, and secret fields", () => {
    const { logger, lines, records } = capture();
    const key = "sk-proj-AbCdEf1234567890xyz";
    logger.info(
      { reason: `Incorrect API key provided: ${key}`, model: "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8" },
      `calling with Bearer ${key}`,
    );
    logger.error({ err: new Error(`401 from https://api.example/v1?key=${key}`) }, "provider failed");
    logger.info({ provider: { apiKey: key, headers: { authorization: `Bearer ${key}` } }, token: "plain-token" }, "config");
    logger.info("printf style %s", `token=${key}`);
    const text = lines.join("");
    expect(text).not.toContain("AbCdEf1234567890xyz");
    expect(text).not.toContain("plain-token");
    const [first, second, third] = records();
    expect(first.model).toBe("Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8");
    expect(first.msg).toBe(`calling with Bearer ${REDACTED}`);
    expect((second.err as { message: string }).message).toContain(`key=${REDACTED}`);
    expect((second.err as { type: string }).type).toBe("Error");
    expect(third).toMatchObject({ provider: { apiKey: REDACTED, headers: REDACTED }, token: REDACTED });
  });
});
