/**
 * `POST /api/chat`: validates the request, saves the user's turn, starts the turn's generation
 * (generations/answer-turn.server.ts) and attaches this request to it as Kiln's SSE wire protocol
 * (machines/wire-events.ts). Exactly one `done` or `error` ends every stream. A chat's generation
 * outlives this request for the grace period (generations/generation.server.ts); a request without a
 * chat stops its provider call the moment the browser goes away.
 */
import { randomUUID } from "node:crypto";
import { SERVER_SHUTTING_DOWN as SHUTTING_DOWN } from "../machines/wire-events";
import { CHAT_CHANGED_MESSAGE, ChatChangedError, saveUserTurn, type SavedTurn } from "./chat-persistence.server";
import { mayWriteChat, NOT_CHAT_OWNER_MESSAGE, type Requester } from "./chat-owner.server";
import { STORAGE_RETRY_AFTER_SECONDS, STORAGE_UNAVAILABLE, StorageUnavailable } from "./db/guarded-chat-store.server";
import { PositionTakenError } from "./db/rows.server";
import { parseChatRequest, type ChatMessage, type ChatRequest } from "./chat-request";
import { buildContext, DEFAULT_MODEL_LIMITS, type ContextResult } from "./context-builder";
import { answerTurn } from "./generations/answer-turn.server";
import { generationResponse } from "./generations/generation-response.server";
import type { ResolvedModel } from "./providers/factory.server";
import { crossSiteRefusal, readJsonBody, refusal } from "./refusal.server";
import { rateLimitRefusal } from "./rate-limit.server";
import type { KilnServices } from "./services.server";
import { SSE_HEADERS } from "./sse";
import { FOLLOW_UP_SYSTEM_PROMPT, SYSTEM_PROMPT } from "./system-prompt";
import { baseCodeFor, versionsOf } from "../machines/versions";

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
  const { config, logger } = services;
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
  // The generation belongs to the chat's turn: a browser that leaves may come back within the grace
  // period. A request without a chat has nowhere to come back to: it stops when its client leaves.
  const generation = services.generations.start(
    { id: requestId, chatId: chat.chatId, graceMs: chat.chatId ? config.detachedGraceMs : 0 },
    (started) =>
      answerTurn(started, services, {
        requestId,
        chatId: chat.chatId,
        messageCount: chat.messages.length,
        target,
        context,
        base,
        turn,
      }),
  );
  return generationResponse(generation, { afterSeq: 0, headers, gone: [request.signal, client.gone] });
}
