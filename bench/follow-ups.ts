/**
 * Follow-ups (docs/decisions/008-edit-blocks-applied-on-both-sides.md, server/context-builder.ts): what a small change to a big
 * app costs when the model answers with SEARCH/REPLACE edit blocks instead of the whole file, and how
 * the provider's request grows as a chat of such changes gets long. Real HTTP SSE from Kiln's
 * production server (`POST /api/chat`, no chatId), the fake provider in its own process.
 *
 * (a) The fake's "large-app" (a ~330-line finance dashboard) is version 1; the follow-up asks for one
 *     button's colour and label. "large-app-edit" answers with two edit blocks, "large-app-rewrite"
 *     with the whole file. Output tokens are the fake's own count (its 2–6 character pieces, what it
 *     reports as `completion_tokens`); time to the new version is request start → `done`. The edit
 *     path must make exactly the rewrite's file: checked on the fake's replies with applyEditBlocks,
 *     on the streamed answer with resolveEditAnswer, and on what Kiln saved for a chat.
 * (b) A chat of N turns whose every follow-up was a small edit, each answer kept as the browser keeps
 *     it (resolveEditAnswer: the complete file), sent to Kiln; what the fake received is read back
 *     (`GET /__fake/requests`) and sized with Kiln's own estimateTokens.
 */
import { extractReply } from "../machines/code-fence";
import { applyEditBlocks, resolveEditAnswer } from "../machines/edit-blocks";
import type { WireEvent } from "../machines/wire-events";
import { estimateTokens, omittedCodeNote } from "../server/context-builder";
import { openChatStore } from "../server/db/open-chat-store.server";
import { FOLLOW_UP_SYSTEM_PROMPT } from "../server/system-prompt";
import { splitIntoTokens, type RecordedRequest } from "../tests/support/fake-provider";
import { fakeReply } from "../tests/support/fake-reply";
import { readSse } from "../tests/support/read-sse";
import { MODEL } from "./clients";
import { resetFake } from "./relay";
import { median, type Table } from "./stats";

export interface FollowUpConfig {
  kilnUrl: string;
  /** Provider base URL with `/v1`. */
  fakeUrl: string;
  /** Kiln's DATABASE_URL, to read back what it saved for a chat. */
  databaseUrl: string;
  /** Runs of each path (a); medians. */
  runs: number;
  /** The fake's pace for the answers of (a). */
  tokensPerSecond: number;
  /** The fake's delay before the first token (set on the fake for the whole bench). */
  firstTokenMs: number;
  /** Chat lengths of (b), in user messages: the request of turn N carries N − 1 answers. */
  turns: number[];
}

export type FollowUpPath = "edit" | "rewrite";
export const FOLLOW_UP_PATHS: readonly FollowUpPath[] = ["edit", "rewrite"];
const REPLY: Record<FollowUpPath, string> = { edit: "large-app-edit", rewrite: "large-app-rewrite" };

export interface FollowUpRun {
  path: FollowUpPath;
  /** Request start → first `delta`. */
  ttfdMs: number;
  /** Request start → `done`: the new version exists (saved, for a chat). */
  doneMs: number;
  /** The fake's own log: its response from first to last byte. */
  providerMs: number;
  /** Pieces the fake sent (its tokenizer; what it reports as completion_tokens). */
  outputTokens: number;
  outputChars: number;
}

export interface TurnMeasurement {
  turn: number;
  /** The `POST /api/chat` body the browser sends (every answer a complete file), UTF-8 bytes. */
  sentBytes: number;
  /** Σ UTF-8 bytes of the message texts the provider received, system prompt included. */
  receivedBytes: number;
  /** The provider request's JSON body, UTF-8 bytes. */
  receivedBodyBytes: number;
  /** Σ estimateTokens (server/context-builder.ts) over the received messages' texts. */
  estimatedTokens: number;
  /** The same estimate over what the browser sent, plus the system prompt. */
  sentEstimatedTokens: number;
  messages: number;
  /** Older versions whose code the provider got as a note. */
  notes: number;
}

export interface FollowUpMeasurement {
  config: Omit<FollowUpConfig, "kilnUrl" | "fakeUrl" | "databaseUrl">;
  app: { lines: number; chars: number; tokens: number };
  runs: FollowUpRun[];
  /** The edit path's file equals the whole-file answer's: replies, streamed answers, saved version. */
  checks: { repliesApply: boolean; streamedEqual: boolean; savedEqual: boolean };
  turns: TurnMeasurement[];
}

const utf8 = new TextEncoder();
const bytes = (text: string) => utf8.encode(text).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Message = { role: "user" | "assistant"; content: string };

const FIRST_PROMPT =
  "A household finance dashboard: balance, income and spending, a monthly chart, budgets per category and a searchable list of transactions, in euros";
const CHANGE_PROMPT = "Make the “Add transaction” button indigo and call it “New transaction”";

/** The follow-up of (a): version 1 is the fake's "large-app" answer, the last message carries the directives. */
function followUpMessages(path: FollowUpPath, directives: string): Message[] {
  return [
    { role: "user", content: FIRST_PROMPT },
    { role: "assistant", content: fakeReply("large-app") },
    { role: "user", content: `${CHANGE_PROMPT} [fake:reply=${REPLY[path]}]${directives}` },
  ];
}

/** Fails the phase loudly: a benchmark of a change that does not apply measures nothing. */
function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`follow-ups: ${what}`);
}

async function postChat(kilnUrl: string, body: object, onEvent?: (event: WireEvent) => void, cookie?: string) {
  const response = await fetch(`${kilnUrl}/api/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(cookie ? { Cookie: cookie } : {}) },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`follow-ups: Kiln answered ${response.status}: ${await response.text()}`);
  return readSse(response, onEvent);
}

async function fakeCompletions(fakeUrl: string): Promise<RecordedRequest[]> {
  const response = await fetch(`${new URL(fakeUrl).origin}/__fake/requests`);
  const all = (await response.json()) as RecordedRequest[];
  return all.filter((request) => request.path === "/v1/chat/completions");
}

/** Kiln's answer ended with `done` and the provider was asked exactly once (no whole-file retry). */
async function oneCleanAnswer(fakeUrl: string, sequence: string[], what: string): Promise<RecordedRequest> {
  check(sequence.join(",") === "meta,delta,done", `${what}: events ${sequence.join(",")}, expected meta,delta,done`);
  // The fake logs the end of a response when its socket closes, a moment after Kiln's `done`.
  for (let i = 0; i < 50; i++) {
    const requests = await fakeCompletions(fakeUrl);
    if (requests.length === 1 && requests[0].endedAt !== undefined) return requests[0];
    check(requests.length <= 1, `${what}: the provider was asked ${requests.length} times (edit blocks did not apply?)`);
    await sleep(20);
  }
  throw new Error(`follow-ups: ${what}: the fake logged no finished request`);
}

export async function measureFollowUps(
  config: FollowUpConfig,
  log: (line: string) => void = () => {},
): Promise<FollowUpMeasurement> {
  const { kilnUrl, fakeUrl } = config;
  const base = extractReply(fakeReply("large-app")).code;
  const expected = extractReply(fakeReply("large-app-rewrite")).code;
  const applied = applyEditBlocks(base, extractReply(fakeReply("large-app-edit")).code);
  check(applied.ok, `"large-app-edit" does not apply to "large-app": ${applied.ok ? "" : applied.message}`);
  check(applied.code === expected, `"large-app-edit" applied to "large-app" is not "large-app-rewrite"'s file`);
  check(expected !== base, `"large-app-rewrite" changes nothing`);
  const checks = { repliesApply: true, streamedEqual: true, savedEqual: false };
  const app = { lines: base.split("\n").length, chars: base.length, tokens: splitIntoTokens(fakeReply("large-app")).length };
  log(`  version 1: ${app.lines} lines, ${app.chars} characters; the edit blocks apply and make the rewrite's file`);

  // Warm-up: both paths once at full speed, so JIT and connection set-up are not measured.
  const fast = "[fake:tps=0][fake:first-token-ms=0]";
  for (const path of FOLLOW_UP_PATHS) {
    await resetFake(fakeUrl);
    const read = await postChat(kilnUrl, { model: MODEL, messages: followUpMessages(path, fast) });
    await oneCleanAnswer(fakeUrl, read.sequence, `warm-up (${path})`);
  }

  // (a) The small change, both ways, alternating which goes first.
  const runs: FollowUpRun[] = [];
  const paced = `[fake:tps=${config.tokensPerSecond}]`;
  for (let run = 0; run < config.runs; run++) {
    for (const path of run % 2 ? [...FOLLOW_UP_PATHS].reverse() : FOLLOW_UP_PATHS) {
      await resetFake(fakeUrl);
      await sleep(200);
      let ttfdMs = Number.NaN;
      let doneMs = Number.NaN;
      const start = performance.now();
      const read = await postChat(kilnUrl, { model: MODEL, messages: followUpMessages(path, paced) }, (event) => {
        if (event.event === "delta" && Number.isNaN(ttfdMs)) ttfdMs = performance.now() - start;
        if (event.event === "done") doneMs = performance.now() - start;
      });
      const what = `run ${run + 1} (${path})`;
      const request = await oneCleanAnswer(fakeUrl, read.sequence, what);
      check(
        request.body.messages[0]?.content === FOLLOW_UP_SYSTEM_PROMPT,
        `${what}: Kiln did not send the follow-up system prompt`,
      );
      check(read.text === fakeReply(REPLY[path]), `${what}: the streamed answer is not the fake's reply`);
      const resolved = resolveEditAnswer(read.text, base);
      const code = resolved.kind === "edits" && resolved.ok ? resolved.code : extractReply(read.text).code;
      check(resolved.kind === (path === "edit" ? "edits" : "plain"), `${what}: answer kind ${resolved.kind}`);
      check(code === expected, `${what}: the new version is not the expected file`);
      const sample: FollowUpRun = {
        path,
        ttfdMs,
        doneMs,
        providerMs: request.endedAt! - request.startedAt,
        outputTokens: splitIntoTokens(request.sentText).length,
        outputChars: request.sentText.length,
      };
      runs.push(sample);
      log(
        `  run ${run + 1}/${config.runs} ${path.padEnd(7)} ${sample.outputTokens} tokens, ` +
          `done after ${sample.doneMs.toFixed(0)} ms (first delta ${sample.ttfdMs.toFixed(0)} ms)`,
      );
    }
  }

  // What Kiln saves for a chat when the answer is edit blocks: the complete new file.
  {
    await resetFake(fakeUrl);
    const created = await fetch(`${kilnUrl}/api/chats`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, title: "Follow-up bench" }),
    });
    check(created.status === 201, `POST /api/chats answered ${created.status}`);
    const { id } = (await created.json()) as { id: string };
    // The chat's owner is whoever holds the cookie its creation set, if it set one.
    const cookie = created.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const read = await postChat(
      kilnUrl,
      { model: MODEL, chatId: id, messages: followUpMessages("edit", fast) },
      undefined,
      cookie,
    );
    await oneCleanAnswer(fakeUrl, read.sequence, "saved chat");
    const store = await openChatStore(config.databaseUrl);
    const saved = (await store.listMessages(id)).filter((m) => m.role === "assistant").at(-1);
    check(saved?.state === "complete", `the saved answer is ${saved ? saved.state : "missing"}`);
    const savedReply = extractReply(saved.content);
    check(savedReply.fence === "closed" && savedReply.code === expected, "the saved version is not the expected complete file");
    checks.savedEqual = true;
    log("  saved for a chat: the complete new file, equal to the expected one");
  }

  // (b) Requests as the chat grows.
  const turns: TurnMeasurement[] = [];
  for (const turn of config.turns) {
    check(turn >= 2, `turn ${turn}: a follow-up is turn 2 or later`);
    const { messages, code } = conversationOf(turn);
    const body = { model: MODEL, messages };
    await resetFake(fakeUrl);
    const read = await postChat(kilnUrl, body);
    const request = await oneCleanAnswer(fakeUrl, read.sequence, `turn ${turn}`);
    // The final change applies to the turn's latest version too.
    const resolved = resolveEditAnswer(read.text, code);
    check(resolved.kind === "edits" && resolved.ok, `turn ${turn}: the change did not apply to the latest version`);
    const received = (request.body.messages as { role: string; content: string }[]).map((m) => m.content);
    check(received[0] === FOLLOW_UP_SYSTEM_PROMPT, `turn ${turn}: Kiln did not send the follow-up system prompt`);
    check(
      received.filter((text) => text.includes(code)).length === 1,
      `turn ${turn}: the latest version's code is not in the provider request exactly once`,
    );
    // Every version before the latest reaches the provider as a note, not as code.
    const notes = received.filter((text) => /\[code of version \d+ omitted/.test(text)).length;
    check(
      notes === turn - 2 && received.some((text) => turn === 2 || text.includes(omittedCodeNote(turn - 2))),
      `turn ${turn}: ${notes} older versions as notes, expected ${turn - 2}`,
    );
    const sample: TurnMeasurement = {
      turn,
      sentBytes: bytes(JSON.stringify(body)),
      receivedBytes: received.reduce((sum, text) => sum + bytes(text), 0),
      receivedBodyBytes: bytes(JSON.stringify(request.body)),
      estimatedTokens: received.reduce((sum, text) => sum + estimateTokens(text), 0),
      sentEstimatedTokens: [FOLLOW_UP_SYSTEM_PROMPT, ...messages.map((m) => m.content)].reduce(
        (s, t) => s + estimateTokens(t),
        0,
      ),
      messages: received.length,
      notes,
    };
    turns.push(sample);
    log(
      `  turn ${String(turn).padStart(2)}: browser sent ${sample.sentBytes} bytes; the provider got ${sample.receivedBodyBytes} bytes, ` +
        `~${sample.estimatedTokens} tokens, ${notes} older versions as notes`,
    );
  }

  return {
    config: {
      runs: config.runs,
      tokensPerSecond: config.tokensPerSecond,
      firstTokenMs: config.firstTokenMs,
      turns: config.turns,
    },
    app,
    runs,
    checks,
    turns,
  };
}

/** The budget lines of `financeDashboard` (tests/support/fake-reply.ts) the turns of (b) change, in turn. */
const BUDGETS = ["Groceries", "Transport", "Dining", "Utilities", "Leisure"];

/**
 * A chat at turn `turn`: the first answer is "large-app", every later one a small edit (a budget
 * raised), as a model would send it, kept as the browser keeps it (resolveEditAnswer: the complete
 * file). The last message asks for the button change (the fake answers "large-app-edit" at once).
 */
export function conversationOf(turn: number): { messages: Message[]; code: string } {
  const messages: Message[] = [
    { role: "user", content: FIRST_PROMPT },
    { role: "assistant", content: fakeReply("large-app") },
  ];
  let code = extractReply(fakeReply("large-app")).code;
  for (let k = 2; k < turn; k++) {
    const category = BUDGETS[(k - 2) % BUDGETS.length];
    const line = new RegExp(`^ *\\{ category: "${category}", limit: (\\d+) \\},$`, "m").exec(code);
    check(line !== null, `no budget line for ${category}`);
    const limit = Number(line[1]) + 25;
    const answer = [
      `Done — the ${category} budget is now €${limit} a month:`,
      "```tsx\n<<<<<<< SEARCH\n" +
        line[0] +
        "\n=======\n" +
        line[0].replace(/limit: \d+/, `limit: ${limit}`) +
        "\n>>>>>>> REPLACE\n```",
      "The bar turns amber at 80 % of it and red above it.",
    ].join("\n\n");
    const resolved = resolveEditAnswer(answer, code);
    check(resolved.kind === "edits" && resolved.ok, `turn ${k}: the budget edit does not apply`);
    messages.push({ role: "user", content: `Raise the ${category} budget to €${limit}` });
    messages.push({ role: "assistant", content: resolved.content });
    code = resolved.code;
  }
  messages.push({ role: "user", content: `${CHANGE_PROMPT} [fake:reply=large-app-edit][fake:tps=0][fake:first-token-ms=0]` });
  return { messages, code };
}

// ---------------------------------------------------------------------------------------------
// Summaries and tables

export interface FollowUpSummary {
  tokens: Record<FollowUpPath, number>;
  doneMs: Record<FollowUpPath, number>;
  /** Whole file / edit blocks. */
  tokenRatio: number;
  timeRatio: number;
  /** The first and last turn of (b), and the last's estimated tokens over the first's. */
  firstTurn?: TurnMeasurement;
  lastTurn?: TurnMeasurement;
  growth: number;
}

export function summarizeFollowUps(m: FollowUpMeasurement): FollowUpSummary {
  const of = (path: FollowUpPath, key: "outputTokens" | "doneMs") =>
    median(m.runs.filter((r) => r.path === path).map((r) => r[key]));
  const tokens = { edit: of("edit", "outputTokens"), rewrite: of("rewrite", "outputTokens") };
  const doneMs = { edit: of("edit", "doneMs"), rewrite: of("rewrite", "doneMs") };
  const sorted = [...m.turns].sort((a, b) => a.turn - b.turn);
  const [firstTurn, lastTurn] = [sorted[0], sorted.at(-1)];
  return {
    tokens,
    doneMs,
    tokenRatio: tokens.rewrite / tokens.edit,
    timeRatio: doneMs.rewrite / doneMs.edit,
    firstTurn,
    lastTurn,
    growth: firstTurn && lastTurn ? lastTurn.estimatedTokens / firstTurn.estimatedTokens : Number.NaN,
  };
}

export function followUpTable(m: FollowUpMeasurement): Table {
  const s = summarizeFollowUps(m);
  const runs = (path: FollowUpPath) => m.runs.filter((r) => r.path === path);
  const med = (path: FollowUpPath, key: keyof Omit<FollowUpRun, "path">) => median(runs(path).map((r) => r[key]));
  const range = (path: FollowUpPath) => {
    const values = runs(path).map((r) => r.doneMs);
    return `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;
  };
  const row = (label: string, key: keyof Omit<FollowUpRun, "path">) => {
    const [edit, rewrite] = [med("edit", key), med("rewrite", key)];
    return [label, edit, rewrite, (rewrite / edit).toFixed(1)];
  };
  return {
    title:
      `8. Follow-ups: one button's colour and label in a ${m.app.lines}-line app, edit blocks vs the whole file ` +
      `(${m.config.tokensPerSecond} tokens/s, first token after ${m.config.firstTokenMs} ms, median of ${m.config.runs} runs)`,
    columns: ["measure", "edit blocks", "whole file", "whole / edit"],
    rows: [
      row("output tokens (the fake's count)", "outputTokens"),
      row("output characters", "outputChars"),
      row("request → done (new version), ms", "doneMs"),
      ["…runs, ms", range("edit"), range("rewrite"), ""],
      row("request → first delta, ms", "ttfdMs"),
      row("provider's response (fake's log), ms", "providerMs"),
    ],
    notes: [
      `the edit path's version equals the whole file's: fake replies ${m.checks.repliesApply ? "yes" : "NO"}, ` +
        `streamed answers ${m.checks.streamedEqual ? "yes" : "NO"}, saved for a chat ${m.checks.savedEqual ? "yes" : "NO"}`,
      `whole / edit: tokens ${s.tokenRatio.toFixed(1)}×, time ${s.timeRatio.toFixed(1)}×`,
    ],
  };
}

export function followUpTurnsTable(m: FollowUpMeasurement): Table {
  const first = summarizeFollowUps(m).firstTurn;
  return {
    title:
      "9. Follow-ups: the provider's request as a chat of small edits grows (every answer kept as the complete file; " +
      "tokens = estimateTokens, UTF-8 bytes / 3)",
    columns: [
      "turn",
      "browser sent, bytes",
      "browser sent, est. tokens",
      "provider got, bytes (texts)",
      "provider got, bytes (body)",
      "provider got, est. tokens",
      `× turn ${first?.turn ?? "–"}`,
      "older versions as notes",
    ],
    rows: m.turns.map((t) => [
      t.turn,
      t.sentBytes,
      t.sentEstimatedTokens,
      t.receivedBytes,
      t.receivedBodyBytes,
      t.estimatedTokens,
      first ? (t.estimatedTokens / first.estimatedTokens).toFixed(2) : "–",
      t.notes,
    ]),
  };
}
