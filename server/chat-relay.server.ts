/**
 * `POST /api/chat`: validates the request, then relays the provider's answer as Kiln's SSE wire
 * protocol (machines/wire-events.ts). Exactly one `done` or `error` ends every stream, and the
 * upstream request is aborted the moment the browser goes away.
 */
import { randomUUID } from "node:crypto";
import { SERVER_SHUTTING_DOWN as SHUTTING_DOWN, type WireEvent } from "../machines/wire-events";
import { CHAT_CHANGED_MESSAGE, ChatChangedError, saveAnswer, saveUserTurn, type SavedTurn } from "./chat-persistence.server";
import { mayWriteChat, NOT_CHAT_OWNER_MESSAGE, type Requester } from "./chat-owner.server";
import { STORAGE_RETRY_AFTER_SECONDS, STORAGE_UNAVAILABLE, StorageUnavailable } from "./db/guarded-chat-store.server";
import { PositionTakenError } from "./db/rows.server";
import { parseChatRequest, type ChatMessage, type ChatRequest } from "./chat-request";
import { buildContext, DEFAULT_MODEL_LIMITS, type ContextResult } from "./context-builder";
import type { StoredMessageState } from "./db/chat-store";
import type { ResolvedModel } from "./providers/factory.server";
import { crossSiteRefusal, readJsonBody, refusal } from "./refusal.server";
import { rateLimitRefusal } from "./rate-limit.server";
import { resilientCompletion, type AttemptStats } from "./providers/resilient-completion.server";
import type { KilnServices } from "./services.server";
import { formatSseEvent, SSE_HEADERS, SSE_PING } from "./sse";
import { FOLLOW_UP_SYSTEM_PROMPT, SYSTEM_PROMPT, WHOLE_FILE_SYSTEM_PROMPT } from "./system-prompt";
import { withWholeFileFallback } from "./whole-file-fallback";
import { resolveEditAnswer } from "../machines/edit-blocks";
import { baseCodeFor, versionsOf } from "../machines/versions";
import { usageFigures, type ReceiptFigures } from "../machines/receipt";

/** Comment lines keep idle connections (proxies, load balancers) from timing out while a model thinks. */
const PING_INTERVAL_MS = 15_000;

/**
 * Everything checked before a stream starts, in order; a refusal is JSON with a stable code
 * (docs/errors.md). Cheap checks first, so abuse costs little.
 */
async function admitChatRequest(
  request: Request,
  services: KilnServices,
  client: { ip: string },
): Promise<
  | { ok: false; response: Response }
  | {
      ok: true;
      chat: ChatRequest;
      target: ResolvedModel;
      context: Extract<ContextResult, { ok: true }>;
      /** The code a follow-up's edit blocks apply to. */
      base: string | undefined;
    }
> {
  const refuse = (response: Response) => ({ ok: false as const, response });
  if (request.method !== "POST") {
    return refuse(refusal(405, "method_not_allowed", "Use POST to send a chat request.", { Allow: "POST" }));
  }
  const crossSite = crossSiteRefusal(request, services);
  if (crossSite) return refuse(crossSite);
  const limited = await rateLimitRefusal(services, "chat", client.ip);
  if (limited) return refuse(limited);
  if (services.lifecycle.draining) {
    return refuse(
      refusal(503, SHUTTING_DOWN, "This Kiln server is shutting down; try again.", { Connection: "close", "Retry-After": "1" }),
    );
  }
  const body = await readJsonBody(request, services.config.maxBodyBytes);
  if (!body.ok) return body;
  const parsed = parseChatRequest(body.json);
  if (!parsed.ok) return refuse(refusal(400, "bad_request", parsed.message));
  const resolved = services.providers.resolve(parsed.value.model);
  if (!resolved.ok) return refuse(refusal(resolved.code === "unknown_model" ? 404 : 503, resolved.code, resolved.message));
  // A follow-up on a version may be answered with edit blocks against it (docs/wire-protocol.md).
  const base = editBase(parsed.value.messages);
  const context = buildContext({
    systemPrompt: base === undefined ? SYSTEM_PROMPT : FOLLOW_UP_SYSTEM_PROMPT,
    messages: parsed.value.messages,
    limits: resolved.value.limits ?? DEFAULT_MODEL_LIMITS,
  });
  // 413, not 400: the request is well formed, its content is too large for the model (docs/errors.md).
  if (!context.ok) return refuse(refusal(413, context.code, context.message));
  return { ok: true, chat: parsed.value, target: resolved.value, context, base };
}

/** The code the turn's answer may edit: the version the last user message builds on, if there is one. */
function editBase(messages: ChatMessage[]): string | undefined {
  const complete = messages.map((message) => ({ ...message, state: "complete" as const }));
  return baseCodeFor(versionsOf(complete.slice(0, -1)), messages.at(-1)?.content);
}

/** Who is asking: their address (rate limits), who they are (chat ownership) and a signal that fires when they disconnect. */
export interface ChatClient {
  ip: string;
  requester: Requester;
  gone?: AbortSignal;
}

export async function relayChat(request: Request, services: KilnServices, client: ChatClient): Promise<Response> {
  const { config, providers, logger } = services;
  const admitted = await admitChatRequest(request, services, client);
  if (!admitted.ok) return admitted.response;
  const { chat, target, context, base } = admitted;
  const requestId = randomUUID();
  let turn: SavedTurn | undefined;
  const headers: Record<string, string> = { ...SSE_HEADERS };
  if (chat.chatId) {
    try {
      const stored = await services.store.getChat(chat.chatId);
      if (!stored) return refusal(404, "chat_not_found", "There is no chat with this id.");
      if (!(await mayWriteChat(services.store, stored, client.requester))) {
        return refusal(403, "not_chat_owner", NOT_CHAT_OWNER_MESSAGE);
      }
      if (client.requester.setCookie) headers["Set-Cookie"] = client.requester.setCookie;
      turn = await saveUserTurn(services.store, chat.chatId, chat.messages, { regenerate: chat.regenerate });
    } catch (error) {
      if (error instanceof ChatChangedError || error instanceof PositionTakenError) {
        logger.info({ requestId, chatId: chat.chatId, reason: error.message }, "stale turn refused");
        return refusal(409, "chat_changed", CHAT_CHANGED_MESSAGE);
      }
      // The store's guard already logged the driver's error; nothing is sent to the provider unsaved.
      if (error instanceof StorageUnavailable) {
        return refusal(503, STORAGE_UNAVAILABLE, "Kiln could not save your message right now; try again in a moment.", {
          "Retry-After": String(STORAGE_RETRY_AFTER_SECONDS),
        });
      }
      // A bug, not the storage: Remix answers 500 and logs it.
      throw error;
    }
  }
  const upstream = new AbortController();
  // Browser gone (request.signal) or response stream cancelled: either way stop the provider call.
  let clientGone = false;
  const leave = (reason: unknown) => {
    clientGone = true;
    upstream.abort(reason);
  };
  for (const signal of [request.signal, client.gone]) {
    if (signal?.aborted) leave(signal.reason);
    else signal?.addEventListener("abort", () => leave(signal.reason), { once: true });
  }
  // A shutdown past its drain deadline: stop the provider call, but tell the client why.
  let shutDown = false;
  const encoder = new TextEncoder();
  const startedAt = performance.now();
  const stats: AttemptStats = { attempts: 0, retries: 0, fallbacks: 0, provider: target.provider.id, model: target.model };
  const log = {
    requestId,
    chatId: chat.chatId,
    messages: chat.messages.length,
    promptTokens: context.promptTokens,
    maxTokens: context.maxTokens,
    droppedMessages: context.droppedMessages,
    firstDeltaMs: undefined as number | undefined,
    bytes: 0,
    reasoningBytes: 0,
    malformedFrames: 0,
    /** Answers whose edit blocks did not apply (1: recovered with the whole file, 2: failed). */
    editFailures: 0,
  };

  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      let open = true;
      const observed = services.metrics.startChat();
      const unregister = services.openStreams.add({
        end: () => {
          shutDown = true;
          upstream.abort(new Error(SHUTTING_DOWN));
        },
      });
      const write = (text: string) => {
        if (!open || clientGone) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          // The response was cancelled between the check and the write; cancel() aborts upstream.
        }
      };
      const send = (event: WireEvent) => write(formatSseEvent(event));
      const ping = setInterval(() => write(SSE_PING), PING_INTERVAL_MS);
      send({ event: "meta", data: { requestId, provider: target.provider.id, model: target.model } });
      let outcome = "unfinished";
      let answer = "";
      /** The answer's receipt as it stands now (machines/receipt.ts): the figures the browser builds from the same events. */
      const receipt = (): ReceiptFigures => ({
        ...(log.firstDeltaMs !== undefined && { firstTokenMs: log.firstDeltaMs }),
        totalMs: Math.round(performance.now() - startedAt),
        retries: stats.retries,
        fallbacks: stats.fallbacks,
        ...(stats.fallbacks > 0 && { fellBackFrom: target.provider.id }),
        ...usageFigures(stats.usage),
      });
      // Saved before the final event goes out, so a client that reloads on `done` finds the answer.
      const save = async (state: StoredMessageState) => {
        if (!turn) return;
        // Edit blocks are saved as the complete file they make: the chat, its shares and later turns read whole files.
        const resolved = state === "complete" ? resolveEditAnswer(answer, base) : undefined;
        const content = resolved?.kind === "edits" && resolved.ok ? resolved.content : answer;
        try {
          await saveAnswer(services.store, turn, {
            content,
            state,
            provider: stats.provider,
            model: stats.model,
            receipt: receipt(),
          });
        } catch (error) {
          logger.error({ requestId, err: error }, "could not save the answer");
        }
      };
      try {
        const completion = (systemPrompt: string) =>
          resilientCompletion({
            target,
            providers,
            messages: context.conversation,
            systemPrompt,
            maxTokens: context.maxTokens,
            contextWindow: (target.limits ?? DEFAULT_MODEL_LIMITS).contextWindow,
            signal: upstream.signal,
            settings: config,
            stats,
            onMalformedFrame: (reason) => {
              log.malformedFrames++;
              logger.warn({ requestId, provider: stats.provider, reason }, "skipped a malformed frame from the provider");
            },
          });
        for await (const event of withWholeFileFallback({
          base,
          answer: completion(base === undefined ? SYSTEM_PROMPT : FOLLOW_UP_SYSTEM_PROMPT),
          askForWholeFile: () => completion(WHOLE_FILE_SYSTEM_PROMPT),
          onEditFailed: (failure, attempt) => {
            log.editFailures = attempt;
            logger.warn(
              { requestId, provider: stats.provider, code: failure.code, reason: failure.message, attempt },
              "edit blocks did not apply",
            );
          },
        })) {
          if (event.event === "delta") {
            if (log.firstDeltaMs === undefined) {
              log.firstDeltaMs = Math.round(performance.now() - startedAt);
              observed.firstDelta(stats.provider, stats.model);
            }
            log.bytes += Buffer.byteLength(event.data.text);
            answer += event.data.text;
          } else if (event.event === "reasoning") {
            // Shown to the user as it comes, never saved: the answer is what the model gave as content.
            log.reasoningBytes += Buffer.byteLength(event.data.text);
          } else if (event.event === "reset") {
            answer = "";
          } else if (event.event === "retry" || event.event === "fallback") {
            if (event.event === "retry") observed.retry(stats.provider, event.data.reason);
            else observed.fallback(event.data.from, event.data.to);
            logger.info({ requestId, provider: stats.provider, ...event.data }, `chat ${event.event}`);
          } else if (event.event === "done") {
            outcome = "done";
            await save("complete");
          } else if (event.event === "error") {
            outcome = event.data.code;
            await save("failed");
          }
          send(event);
        }
      } catch (error) {
        if (shutDown && !clientGone) {
          outcome = SHUTTING_DOWN;
          await save("failed");
          send({
            event: "error",
            data: {
              code: SHUTTING_DOWN,
              message: "This Kiln server is shutting down; reconnecting to continue.",
              retryable: true,
            },
          });
        } else if (upstream.signal.aborted) {
          outcome = "client_closed";
          await save("stopped");
        } else {
          outcome = "internal_error";
          await save("failed");
          logger.error({ requestId, err: error }, "relay failed");
          send({
            event: "error",
            data: { code: "internal_error", message: "Kiln failed unexpectedly; try again.", retryable: true },
          });
        }
      } finally {
        clearInterval(ping);
        open = false;
        unregister();
        observed.end({ provider: stats.provider, model: stats.model, outcome });
        try {
          controller.close();
        } catch {
          // Already cancelled by the client.
        }
        logger.info({ ...log, ...stats, outcome, durationMs: Math.round(performance.now() - startedAt) }, "chat request");
      }
    },
    cancel(reason) {
      leave(reason);
    },
  });

  return new Response(stream, { status: 200, headers });
}
