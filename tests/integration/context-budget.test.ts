/**
 * The context budget through Kiln's production server: what a long conversation's provider request
 * carries (the latest code once, no older version's code, `max_tokens`), the refusal before any
 * provider call, and a provider's context-length 400 that is not fallen back. The provider is a small
 * node:http server in this file that records every request body.
 */
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";

interface Recorded {
  model: string;
  max_tokens?: number;
  messages: Array<{ role: string; content: string }>;
  bytes: number;
}

let provider: http.Server;
let providerUrl: string;
let kiln: KilnServer;
const requests: Recorded[] = [];

/** vLLM's answer to a prompt that does not fit, word for word. */
const VLLM_TOO_LONG = {
  object: "error",
  message:
    "This model's maximum context length is 16384 tokens. However, you requested 17210 tokens (9018 in the messages, 8192 in the completion). Please reduce the length of the messages or completion.",
  type: "BadRequestError",
  param: null,
  code: 400,
};

beforeAll(async () => {
  provider = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method === "GET") {
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ data: [] }));
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString("utf8")) as Omit<Recorded, "bytes">;
      requests.push({ ...body, bytes: raw.byteLength });
      if (body.model === "tight-model") {
        res.writeHead(400, { "Content-Type": "application/json" }).end(JSON.stringify(VLLM_TOO_LONG));
        return;
      }
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.end(`${chunk({ role: "assistant", content: "Done." }, null)}${chunk({}, "stop")}data: [DONE]\n\n`);
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
  providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/v1`;
  const providersFile = `${process.env.TMPDIR ?? "/tmp"}/kiln-context-budget-${process.pid}.json`;
  writeFileSync(
    providersFile,
    JSON.stringify({
      providers: [
        {
          id: "local",
          label: "Local vLLM",
          baseURL: providerUrl,
          models: [
            { id: "small-model", contextWindow: 16_384, maxOutputTokens: 8_192 },
            { id: "tight-model", contextWindow: 200_000, maxOutputTokens: 8_192 },
          ],
        },
        { id: "spare", label: "Spare", baseURL: providerUrl, models: ["spare-model"] },
      ],
    }),
  );
  kiln = await startKilnServer({ KILN_PROVIDERS: providersFile, KILN_FALLBACK: "spare", KILN_MAX_RETRIES: "1" });
});

afterAll(async () => {
  await kiln?.stop();
  await new Promise((resolve) => provider?.close(resolve));
});

beforeEach(() => {
  requests.length = 0;
});

/** A 300-line app (about 40 bytes a line) whose lines name the version. */
function app(version: number, lines = 300): string {
  const body = Array.from({ length: lines - 4 }, (_, line) => `      <li className="p-2">Item ${line}, v${version}</li>`);
  return ["export default function App() {", "  return (", ...body, "  );", "}"].join("\n");
}

/** `turns` requests, each but the last answered with a new version of the app. */
function conversation(turns: number) {
  const messages: Array<{ role: "user" | "assistant"; content: string }> = [];
  for (let turn = 1; turn <= turns; turn++) {
    messages.push({ role: "user", content: `Change ${turn}: add more items to the list and make them bolder.` });
    if (turn < turns) {
      messages.push({
        role: "assistant",
        content: `Here is version ${turn}.\n\n\`\`\`tsx\n${app(turn)}\n\`\`\`\n\nClick an item.`,
      });
    }
  }
  return messages;
}

function chat(model: string, messages: unknown) {
  return fetch(`${kiln.url}/api/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model, messages }),
  });
}

describe("the context budget", () => {
  it("sends a 20-turn chat to a 16k model with the latest code once, no older code, and max_tokens", async () => {
    const stream = await readSse(await chat("small-model", conversation(20)));
    expect(stream.sequence.at(-1)).toBe("done");
    expect(requests).toHaveLength(1);
    const [sent] = requests;
    const text = sent.messages.map((message) => message.content).join("\n");
    expect(text.split(app(19)).length - 1).toBe(1);
    for (let version = 1; version < 19; version++) expect(text).not.toContain(`v${version}</li>`);
    expect(text).toContain("[code of version 18 omitted: the latest version is below]");
    expect(sent.messages.at(-1)).toEqual({
      role: "user",
      content: "Change 20: add more items to the list and make them bolder.",
    });
    expect(sent.max_tokens).toBe(8_192);
    // Tokens estimated as UTF-8 bytes / 3 (server/context-builder.ts): the whole request fits with the answer.
    const promptBytes = sent.messages.reduce((sum, message) => sum + Buffer.byteLength(message.content), 0);
    expect(Math.ceil(promptBytes / 3) + sent.max_tokens!).toBeLessThanOrEqual(16_384);
  });

  it("keeps every turn's request within the 16k context as a chat grows to 20 turns (figures printed)", async () => {
    const rows: string[] = ["turn | browser sent (bytes) | provider got (bytes) | est. prompt tokens | max_tokens"];
    for (let turn = 1; turn <= 20; turn++) {
      requests.length = 0;
      const messages = conversation(turn);
      const stream = await readSse(await chat("small-model", messages));
      expect(stream.sequence.at(-1)).toBe("done");
      const [sent] = requests;
      const before = Buffer.byteLength(JSON.stringify(messages));
      const promptTokens = Math.ceil(sent.messages.reduce((sum, m) => sum + Buffer.byteLength(m.content), 0) / 3);
      expect(promptTokens + sent.max_tokens!).toBeLessThanOrEqual(16_384);
      rows.push(`${turn} | ${before} | ${sent.bytes} | ${promptTokens} | ${sent.max_tokens}`);
    }
    console.log(`Context budget, 16 384-token model, 300-line apps:\n${rows.join("\n")}`);
  });

  it("refuses a conversation that cannot fit with context_too_long before any provider call", async () => {
    const response = await chat("small-model", [{ role: "user", content: `Fix this:\n${app(1, 2_000)}` }]);
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("context_too_long");
    expect(body.error.message).toMatch(/too many for this model's 16384-token context/);
    expect(requests).toHaveLength(0);
  });

  it("reports a provider's context-length 400 as context_too_long, neither retried nor fallen back", async () => {
    const stream = await readSse(await chat("tight-model", conversation(2)));
    expect(stream.sequence).toEqual(["meta", "error"]);
    expect(stream.events.at(-1)).toMatchObject({ event: "error", data: { code: "context_too_long", retryable: false } });
    expect(requests.map((request) => request.model)).toEqual(["tight-model"]);
  });
});
