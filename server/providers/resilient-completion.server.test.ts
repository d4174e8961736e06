/**
 * resilientCompletion's retry / fallback / recovery policy, driven by a scripted provider call, an
 * instant recording sleep and a fixed random source: no network, no real waiting.
 */
import { describe, expect, it } from "vitest";
import { wireEventSchemas, type WireEvent, type WireEventName } from "../../machines/wire-events";
import type { ChatMessage } from "../chat-request";
import type { Usage } from "./completion-chunk";
import type { ProviderConfig } from "../config.server";
import { ProviderError, type ProviderErrorCode } from "./errors.server";
import { createProviderFactory, type ProviderFactory, type ResolvedModel } from "./factory.server";
import type { StreamCompletionOptions, UpstreamEvent } from "./stream-reader.server";
import {
  resilientCompletion,
  type AttemptStats,
  type ResilienceSettings,
  type ResilientCompletionOptions,
} from "./resilient-completion.server";
import { CONTINUE_PROMPT } from "./answer-continuation";
import { SYSTEM_PROMPT } from "../system-prompt";

// ---------------------------------------------------------------------------------------------
// Providers and settings

function provider(id: string, overrides: Partial<ProviderConfig> = {}): ProviderConfig {
  return {
    id,
    label: `${id} label`,
    baseURL: "http://127.0.0.1:9/v1",
    headers: {},
    models: [
      { id: `${id}-model`, label: `${id} model` },
      { id: `${id}-model-2`, label: `${id} model 2` },
    ],
    available: true,
    continuation: false,
    includeUsage: true,
    ...overrides,
  };
}

const PROVIDERS: ProviderConfig[] = [
  provider("primary"),
  provider("backup"),
  provider("resumer", { continuation: true }),
  provider("offline", { available: false, reason: "Set OFFLINE_KEY." }),
];

const factory: ProviderFactory = createProviderFactory({ providers: PROVIDERS });

function target(modelId: string): ResolvedModel {
  const result = factory.resolve(modelId);
  if (!result.ok) throw new Error(`cannot resolve ${modelId}: ${result.message}`);
  return result.value;
}

const SETTINGS: ResilienceSettings = {
  maxRetries: 3,
  firstByteTimeoutMs: 1111,
  idleTimeoutMs: 2222,
  fallback: [],
  backoffBaseMs: 500,
  backoffMaxMs: 8000,
  maxRetryAfterMs: 30_000,
  maxContinuations: 2,
};

const MESSAGES: ChatMessage[] = [
  { role: "user", content: "Build a counter" },
  { role: "assistant", content: "Here is a counter." },
  { role: "user", content: "Make it blue" },
];

// ---------------------------------------------------------------------------------------------
// Scripted provider calls

/**
 * One provider call: its reasoning, the deltas it sends, then a finish, a thrown failure, or
 * (neither) an empty end.
 */
interface Step {
  reasoning?: string[];
  deltas?: string[];
  finish?: { finishReason: string; usage?: Usage };
  fail?: unknown;
  /** Full control, for abort tests. */
  run?: (options: StreamCompletionOptions) => AsyncIterable<UpstreamEvent>;
}

const done = (finishReason = "stop"): Pick<Step, "finish"> => ({ finish: { finishReason } });
const err = (code: ProviderErrorCode, retryable = true, retryAfterMs?: number) =>
  new ProviderError(code, `failure: ${code}`, retryable, retryAfterMs);

function script(steps: Step[]) {
  const calls: StreamCompletionOptions[] = [];
  async function* streamCompletion(options: StreamCompletionOptions): AsyncGenerator<UpstreamEvent> {
    calls.push(options);
    const step = steps[calls.length - 1];
    if (!step) throw new Error(`unexpected provider call #${calls.length}`);
    if (step.run) {
      yield* step.run(options);
      return;
    }
    for (const text of step.reasoning ?? []) yield { type: "reasoning", text };
    for (const text of step.deltas ?? []) yield { type: "delta", text };
    if (step.fail !== undefined) throw step.fail;
    if (step.finish) yield { type: "finish", ...step.finish };
  }
  return { streamCompletion, calls };
}

/** Resolves at once, recording the requested waits; rejects like the real one when the signal aborts. */
function instantSleep() {
  const delays: number[] = [];
  const sleep = async (ms: number, signal: AbortSignal) => {
    delays.push(ms);
    if (signal.aborted) throw signal.reason;
  };
  return { sleep, delays };
}

function freshStats(): AttemptStats {
  return { attempts: 0, retries: 0, fallbacks: 0, provider: "", model: "" };
}

interface RunOptions {
  steps: Step[];
  model?: string;
  settings?: Partial<ResilienceSettings>;
  signal?: AbortSignal;
  sleep?: ResilientCompletionOptions["sleep"];
  maxTokens?: number;
  contextWindow?: number;
}

/** Runs a whole request and checks the invariants every sequence must keep. */
async function run(options: RunOptions) {
  const { streamCompletion, calls } = script(options.steps);
  const recorder = instantSleep();
  const stats = freshStats();
  const events: WireEvent[] = [];
  for await (const event of resilientCompletion({
    target: target(options.model ?? "primary-model"),
    providers: factory,
    messages: MESSAGES,
    signal: options.signal ?? new AbortController().signal,
    settings: { ...SETTINGS, ...options.settings },
    stats,
    streamCompletion,
    sleep: options.sleep ?? recorder.sleep,
    random: () => 0.5,
    maxTokens: options.maxTokens,
    contextWindow: options.contextWindow,
  })) {
    events.push(event);
  }
  expectWellFormed(events);
  return { events, calls, delays: recorder.delays, stats };
}

/** Exactly one `done` or `error`, and it is last; every event matches its wire schema. */
function expectWellFormed(events: WireEvent[]) {
  const terminals = events.filter((e) => e.event === "done" || e.event === "error");
  expect(terminals, `one terminal event in ${names(events).join(",")}`).toHaveLength(1);
  expect(events.at(-1)).toBe(terminals[0]);
  for (const event of events) {
    expect(wireEventSchemas[event.event].safeParse(event.data).success, `${event.event} matches its schema`).toBe(true);
  }
}

const names = (events: WireEvent[]) => events.map((e) => e.event);

type DataOf<K extends WireEventName> = Extract<WireEvent, { event: K }>["data"];

/** The payloads of the events called `name`, in order. */
function dataOf<K extends WireEventName>(events: WireEvent[], name: K): DataOf<K>[] {
  return events.filter((e) => e.event === name).map((e) => e.data as DataOf<K>);
}

/** What the client shows: the deltas after the last `reset`. */
function answer(events: WireEvent[]): string {
  const lastReset = events.map((e) => e.event).lastIndexOf("reset");
  return dataOf(events.slice(lastReset + 1), "delta")
    .map((d) => d.text)
    .join("");
}

const lastMessage = (call: StreamCompletionOptions) => call.messages.at(-1);

// ---------------------------------------------------------------------------------------------

describe("resilientCompletion: success", () => {
  it("passes deltas and done through unchanged, with the usage when the provider gave it", async () => {
    const usage = { promptTokens: 10, completionTokens: 3, totalTokens: 13 };
    const { events, calls, delays } = await run({
      steps: [{ deltas: ["Hel", "lo", "!"], finish: { finishReason: "length", usage } }],
    });
    expect(events).toEqual([
      { event: "delta", data: { text: "Hel" } },
      { event: "delta", data: { text: "lo" } },
      { event: "delta", data: { text: "!" } },
      { event: "done", data: { finishReason: "length", usage } },
    ]);
    expect(calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it("a done without usage carries no usage field", async () => {
    const { events } = await run({ steps: [{ deltas: ["x"], ...done() }] });
    expect(events.at(-1)).toEqual({ event: "done", data: { finishReason: "stop" } });
    expect("usage" in (events.at(-1)!.data as object)).toBe(false);
  });

  it("sums the usage of every call that made the answer (continuations), in done and in the stats", async () => {
    const open = "Here:\n\n```tsx\nexport default function App() {\n";
    const { events, stats } = await run({
      model: "resumer-model",
      steps: [
        {
          deltas: [open],
          finish: { finishReason: "length", usage: { promptTokens: 800, completionTokens: 8000, totalTokens: 8800 } },
        },
        { fail: err("stream_stalled") },
        {
          deltas: ["  return null;\n}\n```"],
          finish: { finishReason: "stop", usage: { promptTokens: 8800, completionTokens: 12, totalTokens: 8812 } },
        },
      ],
    });
    expect(names(events)).toEqual(["delta", "continue", "retry", "delta", "done"]);
    const usage = { promptTokens: 9600, completionTokens: 8012, totalTokens: 17_612 };
    expect(events.at(-1)).toEqual({ event: "done", data: { finishReason: "stop", usage } });
    expect(stats.usage).toEqual(usage);
  });

  it("gives the provider call the target, the signal, the timeouts and the malformed-frame hook", async () => {
    const { streamCompletion, calls } = script([{ deltas: ["x"], ...done() }]);
    const controller = new AbortController();
    const onMalformedFrame = () => {};
    const chosen = target("primary-model-2");
    for await (const _ of resilientCompletion({
      target: chosen,
      providers: factory,
      messages: MESSAGES,
      signal: controller.signal,
      settings: SETTINGS,
      stats: freshStats(),
      streamCompletion,
      sleep: instantSleep().sleep,
      random: () => 0.5,
      onMalformedFrame,
    })) {
      // drain
    }
    expect(calls[0].target).toBe(chosen);
    expect(calls[0].signal).toBe(controller.signal);
    expect(calls[0].firstByteTimeoutMs).toBe(1111);
    expect(calls[0].idleTimeoutMs).toBe(2222);
    expect(calls[0].onMalformedFrame).toBe(onMalformedFrame);
    expect(calls[0].extraBody).toBeUndefined();
  });

  it("puts Kiln's system prompt first, then the conversation in order", async () => {
    const { calls } = await run({ steps: [{ deltas: ["x"], ...done() }] });
    expect(calls[0].messages).toEqual([
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: "Build a counter" },
      { role: "assistant", content: "Here is a counter." },
      { role: "user", content: "Make it blue" },
    ]);
  });
});

describe("resilientCompletion: retries", () => {
  it("a retryable failure before any text is retried after a backoff, with no reset", async () => {
    const { events, calls, delays } = await run({
      steps: [{ fail: err("provider_unavailable") }, { deltas: ["Hi"], ...done() }],
    });
    // random 0.5 × ceiling 500 (attempt 1) = 250
    expect(events).toEqual([
      { event: "retry", data: { attempt: 1, delayMs: 250, reason: "provider_unavailable" } },
      { event: "delta", data: { text: "Hi" } },
      { event: "done", data: { finishReason: "stop" } },
    ]);
    expect(delays).toEqual([250]);
    expect(calls).toHaveLength(2);
    expect(calls[1].target.provider.id).toBe("primary");
    expect(calls[1].target.model).toBe("primary-model");
  });

  it("waits between retries grow with each attempt (exponential backoff)", async () => {
    const { events, delays } = await run({
      steps: [
        { fail: err("first_byte_timeout") },
        { fail: err("provider_unavailable") },
        { fail: err("rate_limited") },
        { deltas: ["ok"], ...done() },
      ],
    });
    expect(dataOf(events, "retry")).toEqual([
      { attempt: 1, delayMs: 250, reason: "first_byte_timeout" },
      { attempt: 2, delayMs: 500, reason: "provider_unavailable" },
      { attempt: 3, delayMs: 1000, reason: "rate_limited" },
    ]);
    expect(delays).toEqual([250, 500, 1000]);
    expect(names(events).at(-1)).toBe("done");
  });

  it("the computed wait is capped at backoffMaxMs", async () => {
    const { delays } = await run({
      settings: { backoffBaseMs: 1000, backoffMaxMs: 1500 },
      steps: [{ fail: err("provider_unavailable") }, { fail: err("provider_unavailable") }, { deltas: ["ok"], ...done() }],
    });
    // ceilings 1000, min(1500, 2000) → halves
    expect(delays).toEqual([500, 750]);
  });

  it("a 429 is retried after its Retry-After, not sooner", async () => {
    const { events, delays } = await run({
      steps: [{ fail: err("rate_limited", true, 3000) }, { deltas: ["ok"], ...done() }],
    });
    expect(dataOf(events, "retry")).toEqual([{ attempt: 1, delayMs: 3000, reason: "rate_limited" }]);
    expect(delays).toEqual([3000]);
  });

  it("a Retry-After shorter than the backoff does not shorten the wait", async () => {
    const { delays } = await run({
      steps: [{ fail: err("rate_limited", true, 10) }, { deltas: ["ok"], ...done() }],
    });
    expect(delays).toEqual([250]);
  });

  it("a Retry-After of exactly maxRetryAfterMs is still waited out", async () => {
    const { events, delays } = await run({
      settings: { maxRetryAfterMs: 5000 },
      steps: [{ fail: err("rate_limited", true, 5000) }, { deltas: ["ok"], ...done() }],
    });
    expect(names(events)).toEqual(["retry", "delta", "done"]);
    expect(delays).toEqual([5000]);
  });

  it("stops after maxRetries retries and reports the last failure's code", async () => {
    const { events, calls, delays, stats } = await run({
      settings: { maxRetries: 2 },
      steps: [{ fail: err("provider_unavailable") }, { fail: err("rate_limited") }, { fail: err("first_byte_timeout") }],
    });
    expect(names(events)).toEqual(["retry", "retry", "error"]);
    expect(events.at(-1)).toEqual({
      event: "error",
      data: { code: "first_byte_timeout", message: "failure: first_byte_timeout", retryable: true },
    });
    expect(calls).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(stats).toMatchObject({ attempts: 3, retries: 2, fallbacks: 0 });
  });

  it("with maxRetries 0 a retryable failure is reported at once", async () => {
    const { events, calls, delays } = await run({
      settings: { maxRetries: 0 },
      steps: [{ fail: err("provider_unavailable") }],
    });
    expect(names(events)).toEqual(["error"]);
    expect(calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it("a non-retryable failure is not retried and, with no fallback, is reported as not retryable", async () => {
    const { events, calls, delays } = await run({ steps: [{ fail: err("provider_auth", false) }] });
    expect(events).toEqual([
      { event: "error", data: { code: "provider_auth", message: "failure: provider_auth", retryable: false } },
    ]);
    expect(calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it("an unexpected exception (not a ProviderError) is treated as a retryable provider_unavailable", async () => {
    const { events, calls } = await run({
      steps: [{ fail: new TypeError("boom") }, { deltas: ["ok"], ...done() }],
    });
    expect(dataOf(events, "retry")).toEqual([{ attempt: 1, delayMs: 250, reason: "provider_unavailable" }]);
    expect(calls).toHaveLength(2);
  });

  it("an unexpected exception with no budget left becomes an error event that names the provider, never a throw", async () => {
    const { events } = await run({ settings: { maxRetries: 0 }, steps: [{ fail: new TypeError("boom") }] });
    expect(events).toEqual([
      { event: "error", data: { code: "provider_unavailable", message: "primary label failed unexpectedly.", retryable: true } },
    ]);
  });

  it("a stream that ends with neither finish nor failure counts as truncated and is retried", async () => {
    const { events } = await run({
      steps: [{ deltas: [] }, { deltas: ["ok"], ...done() }],
    });
    expect(dataOf(events, "retry")).toEqual([{ attempt: 1, delayMs: 250, reason: "stream_truncated" }]);
    expect(names(events)).toEqual(["retry", "delta", "done"]);
  });
});

describe("resilientCompletion: fallback", () => {
  it("a non-retryable failure falls back at once to the next provider's first model", async () => {
    const { events, calls, delays } = await run({
      settings: { fallback: ["backup"] },
      steps: [{ fail: err("provider_auth", false) }, { deltas: ["from backup"], ...done() }],
    });
    expect(events).toEqual([
      { event: "fallback", data: { from: "primary", to: "backup", reason: "provider_auth", model: "backup-model" } },
      { event: "delta", data: { text: "from backup" } },
      { event: "done", data: { finishReason: "stop" } },
    ]);
    expect(delays).toEqual([]);
    expect(calls).toHaveLength(2);
    expect(calls[1].target.provider.id).toBe("backup");
    expect(calls[1].target.model).toBe("backup-model");
    expect(calls[1].target.provider.baseURL).toBe("http://127.0.0.1:9/v1");
  });

  it("falls back to the named provider even when another provider serves a model of the same name", async () => {
    // A self-hosted vLLM serving Together's first model id must not make the fallback go back to itself.
    const shared = { id: "shared-model", label: "shared" };
    const providers = createProviderFactory({
      providers: [provider("together", { models: [shared] }), provider("vllm", { models: [shared] })],
    });
    const chosen = providers.resolve("shared-model");
    if (!chosen.ok) throw new Error("unresolved");
    expect(chosen.value.provider.id).toBe("vllm");
    const { streamCompletion, calls } = script([{ fail: err("provider_auth", false) }, { deltas: ["ok"], ...done() }]);
    const events: WireEvent[] = [];
    for await (const event of resilientCompletion({
      target: chosen.value,
      providers,
      messages: MESSAGES,
      signal: new AbortController().signal,
      settings: { ...SETTINGS, fallback: ["together"] },
      stats: freshStats(),
      streamCompletion,
      sleep: instantSleep().sleep,
    })) {
      events.push(event);
    }
    expect(calls.map((c) => c.target.provider.id)).toEqual(["vllm", "together"]);
    expect(dataOf(events, "fallback")).toEqual([
      { from: "vllm", to: "together", reason: "provider_auth", model: "shared-model" },
    ]);
  });

  it("with images in the conversation, falls back only to providers whose model reads images, and sends them the parts", async () => {
    const providers = createProviderFactory({
      providers: [
        provider("seeing", { models: [{ id: "seeing-model", label: "s", vision: true }] }),
        provider("blind"),
        provider("seeing-backup", { models: [{ id: "seeing-backup-model", label: "sb", vision: true }] }),
      ],
    });
    const chosen = providers.resolve("seeing-model");
    if (!chosen.ok) throw new Error("unresolved");
    const parts = [
      { type: "text" as const, text: "Build this screenshot" },
      { type: "image_url" as const, image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
    ];
    const { streamCompletion, calls } = script([{ fail: err("provider_auth", false) }, { deltas: ["ok"], ...done() }]);
    for await (const _ of resilientCompletion({
      target: chosen.value,
      providers,
      messages: [{ role: "user", content: parts }],
      signal: new AbortController().signal,
      settings: { ...SETTINGS, fallback: ["blind", "seeing-backup"] },
      stats: freshStats(),
      streamCompletion,
      sleep: instantSleep().sleep,
    })) {
      // drain
    }
    expect(calls.map((c) => c.target.provider.id)).toEqual(["seeing", "seeing-backup"]);
    expect(calls[1].messages).toEqual([
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: parts },
    ]);
  });

  it("tries a provider named twice in KILN_FALLBACK only once", async () => {
    const { calls } = await run({
      settings: { fallback: ["backup", "backup"] },
      steps: [{ fail: err("provider_auth", false) }, { fail: err("provider_auth", false) }],
    });
    expect(calls.map((c) => c.target.provider.id)).toEqual(["primary", "backup"]);
  });

  it("the chain skips the chosen provider, unavailable providers and unknown ids, then errors when exhausted", async () => {
    const { events, calls } = await run({
      settings: { fallback: ["primary", "offline", "no-such-provider", "backup", "resumer"] },
      steps: [
        { fail: err("provider_auth", false) },
        { fail: err("model_not_found", false) },
        { fail: err("provider_payment", false) },
      ],
    });
    expect(calls.map((c) => c.target.provider.id)).toEqual(["primary", "backup", "resumer"]);
    expect(dataOf(events, "fallback")).toEqual([
      { from: "primary", to: "backup", reason: "provider_auth", model: "backup-model" },
      { from: "backup", to: "resumer", reason: "model_not_found", model: "resumer-model" },
    ]);
    expect(events.at(-1)).toEqual({
      event: "error",
      data: { code: "provider_payment", message: "failure: provider_payment", retryable: false },
    });
  });

  it("retryable failures use the retry budget first, then fall back", async () => {
    const { events, calls } = await run({
      settings: { maxRetries: 1, fallback: ["backup"] },
      steps: [{ fail: err("provider_unavailable") }, { fail: err("stream_stalled") }, { deltas: ["ok"], ...done() }],
    });
    expect(names(events)).toEqual(["retry", "fallback", "delta", "done"]);
    expect(dataOf(events, "fallback")[0]).toMatchObject({ from: "primary", to: "backup", reason: "stream_stalled" });
    expect(calls.map((c) => c.target.provider.id)).toEqual(["primary", "primary", "backup"]);
  });

  it("the retry budget is shared across providers: at most 1 + maxRetries + chain length calls", async () => {
    const { events, calls } = await run({
      settings: { maxRetries: 1, fallback: ["backup", "resumer"] },
      steps: [
        { fail: err("provider_unavailable") },
        { fail: err("provider_unavailable") },
        { fail: err("provider_unavailable") },
        { fail: err("provider_unavailable") },
      ],
    });
    expect(names(events)).toEqual(["retry", "fallback", "fallback", "error"]);
    expect(calls.map((c) => c.target.provider.id)).toEqual(["primary", "primary", "backup", "resumer"]);
  });

  it("a Retry-After longer than maxRetryAfterMs is not waited out: Kiln falls back without a retry", async () => {
    const { events, delays } = await run({
      settings: { maxRetryAfterMs: 5000, fallback: ["backup"] },
      steps: [{ fail: err("rate_limited", true, 5001) }, { deltas: ["ok"], ...done() }],
    });
    expect(names(events)).toEqual(["fallback", "delta", "done"]);
    expect(dataOf(events, "fallback")[0]).toEqual({
      from: "primary",
      to: "backup",
      reason: "rate_limited",
      model: "backup-model",
    });
    expect(delays).toEqual([]);
  });

  it("a Retry-After longer than maxRetryAfterMs with no fallback is reported as rate_limited at once", async () => {
    const { events, calls, delays } = await run({
      settings: { maxRetryAfterMs: 5000 },
      steps: [{ fail: err("rate_limited", true, 60_000) }],
    });
    expect(events).toEqual([
      { event: "error", data: { code: "rate_limited", message: "failure: rate_limited", retryable: true } },
    ]);
    expect(calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });
});

describe("resilientCompletion: mid-stream recovery", () => {
  it("a restart on a provider without continuation is announced by reset, and the answer is the last attempt's text", async () => {
    const { events, calls } = await run({
      steps: [
        { deltas: ["Hel", "lo"], fail: err("stream_stalled") },
        { deltas: ["Hello", " world"], ...done() },
      ],
    });
    expect(events).toEqual([
      { event: "delta", data: { text: "Hel" } },
      { event: "delta", data: { text: "lo" } },
      { event: "retry", data: { attempt: 1, delayMs: 250, reason: "stream_stalled" } },
      { event: "reset", data: { reason: "stream_stalled" } },
      { event: "delta", data: { text: "Hello" } },
      { event: "delta", data: { text: " world" } },
      { event: "done", data: { finishReason: "stop" } },
    ]);
    expect(answer(events)).toBe("Hello world");
    // A restart asks the same question again, without the partial answer.
    expect(calls[1].messages).toEqual(calls[0].messages);
    expect(calls[1].extraBody).toBeUndefined();
  });

  it("resets once per restart: a restart that fails before any text needs no second reset", async () => {
    const { events } = await run({
      steps: [
        { deltas: ["par"], fail: err("stream_stalled") },
        { fail: err("first_byte_timeout") },
        { deltas: ["full"], ...done() },
      ],
    });
    expect(names(events)).toEqual(["delta", "retry", "reset", "retry", "delta", "done"]);
    expect(answer(events)).toBe("full");
  });

  it("a provider with continuation resumes from the text already sent, without reset, gap or repetition", async () => {
    const { events, calls } = await run({
      model: "resumer-model",
      steps: [
        { deltas: ["Hel", "lo"], fail: err("stream_stalled") },
        { deltas: [" wor", "ld"], ...done() },
      ],
    });
    expect(names(events)).toEqual(["delta", "delta", "retry", "delta", "delta", "done"]);
    expect(answer(events)).toBe("Hello world");
    expect(calls[0].extraBody).toBeUndefined();
    expect(lastMessage(calls[0])).toEqual({ role: "user", content: "Make it blue" });
    expect(calls[1].messages).toEqual([...calls[0].messages, { role: "assistant", content: "Hello" }]);
    expect(calls[1].extraBody).toEqual({ continue_final_message: true, add_generation_prompt: false });
    expect(calls[1].messages[0]).toEqual({ role: "system", content: SYSTEM_PROMPT });
  });

  it("continuation accumulates across several cuts: each attempt continues from everything sent so far", async () => {
    const { events, calls } = await run({
      model: "resumer-model",
      steps: [
        { deltas: ["A"], fail: err("stream_stalled") },
        { deltas: ["B"], fail: err("stream_truncated") },
        { fail: err("first_byte_timeout") },
        { deltas: ["C"], ...done() },
      ],
    });
    expect(answer(events)).toBe("ABC");
    expect(names(events)).not.toContain("reset");
    expect(calls.map((c) => lastMessage(c))).toEqual([
      { role: "user", content: "Make it blue" },
      { role: "assistant", content: "A" },
      { role: "assistant", content: "AB" },
      { role: "assistant", content: "AB" },
    ]);
  });

  it("a continuation provider does not continue when nothing was sent yet", async () => {
    const { calls } = await run({
      model: "resumer-model",
      steps: [{ fail: err("first_byte_timeout") }, { deltas: ["x"], ...done() }],
    });
    expect(calls[1].extraBody).toBeUndefined();
    expect(lastMessage(calls[1])).toEqual({ role: "user", content: "Make it blue" });
  });

  it("a fallback after partial text to a provider without continuation is followed by reset", async () => {
    const { events, calls } = await run({
      settings: { fallback: ["backup"] },
      steps: [
        { deltas: ["partial"], fail: err("provider_bad_request", false) },
        { deltas: ["complete"], ...done() },
      ],
    });
    expect(events).toEqual([
      { event: "delta", data: { text: "partial" } },
      { event: "fallback", data: { from: "primary", to: "backup", reason: "provider_bad_request", model: "backup-model" } },
      { event: "reset", data: { reason: "provider_bad_request" } },
      { event: "delta", data: { text: "complete" } },
      { event: "done", data: { finishReason: "stop" } },
    ]);
    expect(answer(events)).toBe("complete");
    expect(calls[1].extraBody).toBeUndefined();
  });

  it("a fallback after partial text to a provider with continuation resumes without reset", async () => {
    const { events, calls } = await run({
      settings: { fallback: ["resumer"] },
      steps: [
        { deltas: ["Hel"], fail: err("provider_payment", false) },
        { deltas: ["lo"], ...done() },
      ],
    });
    expect(names(events)).toEqual(["delta", "fallback", "delta", "done"]);
    expect(answer(events)).toBe("Hello");
    expect(calls[1].target.provider.id).toBe("resumer");
    expect(lastMessage(calls[1])).toEqual({ role: "assistant", content: "Hel" });
  });

  it("an error after partial text ends the sequence without reset", async () => {
    const { events } = await run({
      settings: { maxRetries: 0 },
      steps: [{ deltas: ["partial"], fail: err("stream_stalled") }],
    });
    expect(names(events)).toEqual(["delta", "error"]);
  });
});

describe("resilientCompletion: reasoning", () => {
  /** What the client shows as reasoning: the reasoning after the last `reset`. */
  const reasoning = (events: WireEvent[]) =>
    dataOf(events.slice(names(events).lastIndexOf("reset") + 1), "reasoning")
      .map((d) => d.text)
      .join("");

  it("passes reasoning through as reasoning events, in order, and never into the answer", async () => {
    const { events } = await run({ steps: [{ reasoning: ["Hmm, ", "a counter"], deltas: ["Here"], ...done() }] });
    expect(events).toEqual([
      { event: "reasoning", data: { text: "Hmm, " } },
      { event: "reasoning", data: { text: "a counter" } },
      { event: "delta", data: { text: "Here" } },
      { event: "done", data: { finishReason: "stop" } },
    ]);
    expect(answer(events)).toBe("Here");
  });

  it("a restart after reasoning only is announced by reset, so the reasoning shown is dropped", async () => {
    const { events } = await run({
      steps: [
        { reasoning: ["first thoughts"], fail: err("stream_stalled") },
        { reasoning: ["second thoughts"], deltas: ["ok"], ...done() },
      ],
    });
    expect(names(events)).toEqual(["reasoning", "retry", "reset", "reasoning", "delta", "done"]);
    expect(reasoning(events)).toBe("second thoughts");
    expect(answer(events)).toBe("ok");
  });

  it("a retry before anything arrived still needs no reset", async () => {
    const { events } = await run({
      steps: [{ fail: err("first_byte_timeout") }, { reasoning: ["r"], deltas: ["ok"], ...done() }],
    });
    expect(names(events)).toEqual(["retry", "reasoning", "delta", "done"]);
  });

  it("a restart after reasoning and text resets once, and a fallback after reasoning resets too", async () => {
    const { events } = await run({
      settings: { fallback: ["backup"], maxRetries: 1 },
      steps: [
        { reasoning: ["a"], deltas: ["par"], fail: err("stream_stalled") },
        { reasoning: ["b"], fail: err("provider_bad_request", false) },
        { reasoning: ["c"], deltas: ["full"], ...done() },
      ],
    });
    expect(names(events)).toEqual([
      "reasoning",
      "delta",
      "retry",
      "reset",
      "reasoning",
      "fallback",
      "reset",
      "reasoning",
      "delta",
      "done",
    ]);
    expect(reasoning(events)).toBe("c");
    expect(answer(events)).toBe("full");
  });

  it("a continuation sends back only the answer as the assistant prefix, never the reasoning, and keeps the reasoning shown", async () => {
    const { events, calls } = await run({
      model: "resumer-model",
      steps: [
        { reasoning: ["thinking…"], deltas: ["Hel"], fail: err("stream_stalled") },
        { deltas: ["lo"], ...done() },
      ],
    });
    expect(names(events)).not.toContain("reset");
    expect(lastMessage(calls[1])).toEqual({ role: "assistant", content: "Hel" });
    expect(reasoning(events)).toBe("thinking…");
    expect(answer(events)).toBe("Hello");
  });

  it("a continuation provider cut off while still reasoning restarts, with reset: there is no answer to continue", async () => {
    const { events, calls } = await run({
      model: "resumer-model",
      steps: [
        { reasoning: ["half a thought"], fail: err("stream_stalled") },
        { reasoning: ["whole"], deltas: ["x"], ...done() },
      ],
    });
    expect(names(events)).toEqual(["reasoning", "retry", "reset", "reasoning", "delta", "done"]);
    expect(calls[1].extraBody).toBeUndefined();
    expect(lastMessage(calls[1])).toEqual({ role: "user", content: "Make it blue" });
  });
});

describe("resilientCompletion: abort", () => {
  it("an abort during the backoff wait ends the generator with the abort reason and nothing more", async () => {
    const controller = new AbortController();
    const reason = new Error("client went away");
    let sleeping!: () => void;
    const sleepStarted = new Promise<void>((resolve) => (sleeping = resolve));
    const sleep = (_ms: number, signal: AbortSignal) =>
      new Promise<void>((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        sleeping();
      });
    const { streamCompletion, calls } = script([{ fail: err("provider_unavailable") }, { deltas: ["never"], ...done() }]);
    const generator = resilientCompletion({
      target: target("primary-model"),
      providers: factory,
      messages: MESSAGES,
      signal: controller.signal,
      settings: SETTINGS,
      stats: freshStats(),
      streamCompletion,
      sleep,
      random: () => 0.5,
    });

    const first = await generator.next();
    expect(first.value).toMatchObject({ event: "retry" });
    const pending = generator.next();
    await sleepStarted;
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(await generator.next()).toEqual({ done: true, value: undefined });
    expect(calls).toHaveLength(1);
  });

  it("an abort while streaming is rethrown, not turned into an error event or a retry", async () => {
    const controller = new AbortController();
    const reason = new DOMException("The user aborted a request.", "AbortError");
    const { streamCompletion, calls } = script([
      {
        run: async function* (options) {
          yield { type: "delta", text: "Hel" };
          await new Promise<void>((_resolve, reject) =>
            options.signal.addEventListener("abort", () => reject(options.signal.reason), { once: true }),
          );
        },
      },
      { deltas: ["never"], ...done() },
    ]);
    const recorder = instantSleep();
    const events: WireEvent[] = [];
    const consume = async () => {
      for await (const event of resilientCompletion({
        target: target("primary-model"),
        providers: factory,
        messages: MESSAGES,
        signal: controller.signal,
        settings: SETTINGS,
        stats: freshStats(),
        streamCompletion,
        sleep: recorder.sleep,
        random: () => 0.5,
      })) {
        events.push(event);
        if (event.event === "delta") setTimeout(() => controller.abort(reason), 0);
      }
    };
    await expect(consume()).rejects.toBe(reason);
    expect(events).toEqual([{ event: "delta", data: { text: "Hel" } }]);
    expect(calls).toHaveLength(1);
    expect(recorder.delays).toEqual([]);
  });

  it("a provider failure that arrives after the abort is rethrown as is, not retried or reported", async () => {
    const controller = new AbortController();
    const failure = err("stream_truncated");
    const { streamCompletion, calls } = script([
      {
        run: async function* () {
          yield { type: "delta", text: "Hel" };
          controller.abort();
          throw failure;
        },
      },
    ]);
    const events: WireEvent[] = [];
    const consume = async () => {
      for await (const event of resilientCompletion({
        target: target("primary-model"),
        providers: factory,
        messages: MESSAGES,
        signal: controller.signal,
        settings: { ...SETTINGS, fallback: ["backup"] },
        stats: freshStats(),
        streamCompletion,
        sleep: instantSleep().sleep,
        random: () => 0.5,
      })) {
        events.push(event);
      }
    };
    await expect(consume()).rejects.toBe(failure);
    expect(names(events)).toEqual(["delta"]);
    expect(calls).toHaveLength(1);
  });
});

describe("resilientCompletion: stats", () => {
  it("counts attempts, retries and fallbacks, and names the provider and model that answered last", async () => {
    const { stats } = await run({
      settings: { maxRetries: 1, fallback: ["backup"] },
      steps: [{ fail: err("provider_unavailable") }, { fail: err("provider_unavailable") }, { deltas: ["ok"], ...done() }],
    });
    expect(stats).toEqual({ attempts: 3, retries: 1, fallbacks: 1, provider: "backup", model: "backup-model" });
  });

  it("names the chosen provider and model when the first attempt succeeds", async () => {
    const { stats } = await run({ model: "primary-model-2", steps: [{ deltas: ["ok"], ...done() }] });
    expect(stats).toEqual({ attempts: 1, retries: 0, fallbacks: 0, provider: "primary", model: "primary-model-2" });
  });
});

describe("resilientCompletion: answers cut off at the output limit", () => {
  const OPEN = "Here it is:\n\n```tsx\nexport default function App() {\n";
  const REST = "  return <p>hi</p>;\n}\n```\n\nDone.";

  it("an open code block at `length` is continued from the prefix on a provider with continuation: one seamless answer", async () => {
    const { events, calls } = await run({
      model: "resumer-model",
      steps: [
        { deltas: [OPEN], ...done("length") },
        { deltas: [REST], ...done() },
      ],
    });
    expect(names(events)).toEqual(["delta", "continue", "delta", "done"]);
    expect(dataOf(events, "continue")).toEqual([{ attempt: 1, reason: "length" }]);
    expect(answer(events)).toBe(OPEN + REST);
    expect(lastMessage(calls[1])).toEqual({ role: "assistant", content: OPEN });
    expect(calls[1].extraBody).toEqual({ continue_final_message: true, add_generation_prompt: false });
  });

  it("without continuation Kiln asks for the rest after the partial answer and cuts the repeated overlap", async () => {
    const { events, calls } = await run({
      steps: [
        { deltas: [OPEN], ...done("length") },
        { deltas: ["function App", "() {\n", REST], ...done() },
      ],
    });
    expect(names(events)).toEqual(["delta", "continue", "delta", "done"]);
    expect(answer(events)).toBe(OPEN + REST);
    expect(calls[1].messages.slice(-2)).toEqual([
      { role: "assistant", content: OPEN },
      { role: "user", content: CONTINUE_PROMPT },
    ]);
    expect(calls[1].extraBody).toBeUndefined();
  });

  it("an answer cut off every time ends with answer_truncated after 1 + maxContinuations calls, never done", async () => {
    const { events, calls } = await run({
      model: "resumer-model",
      steps: [
        { deltas: [OPEN], ...done("length") },
        { deltas: ["  const a = 1;\n"], ...done("length") },
        { deltas: ["  const b = 2;\n"], ...done("length") },
      ],
    });
    expect(calls).toHaveLength(3);
    expect(names(events)).toEqual(["delta", "continue", "delta", "continue", "delta", "error"]);
    expect(dataOf(events, "continue").map((c) => c.attempt)).toEqual([1, 2]);
    expect(dataOf(events, "error")[0]).toMatchObject({ code: "answer_truncated", retryable: true });
    expect(dataOf(events, "error")[0].message).toMatch(/output limit.*partial code is kept/);
    expect(answer(events)).toBe(`${OPEN}  const a = 1;\n  const b = 2;\n`);
  });

  it("a continuation asks for no more than the context window has left once it holds the answer so far", async () => {
    const long = `${OPEN}${"  const line = 'filler';\n".repeat(200)}`;
    const { calls } = await run({
      model: "resumer-model",
      maxTokens: 4_000,
      contextWindow: 5_000,
      steps: [
        { deltas: [long], ...done("length") },
        { deltas: [REST], ...done() },
      ],
    });
    expect(calls[0].extraBody).toEqual({ max_tokens: 4_000 });
    const asked = (calls[1].extraBody as { max_tokens: number }).max_tokens;
    expect(asked).toBeLessThan(4_000);
    expect(asked).toBeGreaterThanOrEqual(1_024);
  });

  it("when the answer so far fills the context window, it is answer_truncated without asking again", async () => {
    const long = `${OPEN}${"  const line = 'filler';\n".repeat(400)}`;
    const { events, calls } = await run({
      model: "resumer-model",
      maxTokens: 4_000,
      contextWindow: 4_000,
      steps: [{ deltas: [long], ...done("length") }],
    });
    expect(calls).toHaveLength(1);
    expect(dataOf(events, "error")[0]).toMatchObject({ code: "answer_truncated" });
  });

  it("with maxContinuations 0 an open code block at `length` is answer_truncated at once", async () => {
    const { events, calls } = await run({ settings: { maxContinuations: 0 }, steps: [{ deltas: [OPEN], ...done("length") }] });
    expect(calls).toHaveLength(1);
    expect(names(events)).toEqual(["delta", "error"]);
  });

  it.each([
    ["a closed code block", `${OPEN}${REST}`],
    ["no code at all", "A pomodoro is a 25-minute block of focus."],
  ])("`length` with %s is a normal done with finishReason length", async (_name, text) => {
    const { events, calls } = await run({ steps: [{ deltas: [text], ...done("length") }] });
    expect(calls).toHaveLength(1);
    expect(events.at(-1)).toEqual({ event: "done", data: { finishReason: "length" } });
  });

  it("a continuation that breaks off mid-stream on a provider without continuation restarts the whole answer", async () => {
    const { events } = await run({
      steps: [
        { deltas: [OPEN], ...done("length") },
        { deltas: ["  return"], fail: err("stream_truncated") },
        { deltas: [OPEN + REST], ...done() },
      ],
    });
    expect(names(events)).toEqual(["delta", "continue", "delta", "retry", "reset", "delta", "done"]);
    expect(answer(events)).toBe(OPEN + REST);
  });
});
