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
import { parseChatRequest, type ChatRequest } from "./chat-request";
import { answerTurn } from "./generations/answer-turn.server";
import { generationResponse } from "./generations/generation-response.server";
import type { ResolvedModel } from "./providers/factory.server";
import { crossSiteRefusal, readJsonBody, refusal } from "./refusal.server";
import { rateLimitRefusal } from "./rate-limit.server";
import type { KilnServices } from "./services.server";
import { SSE_HEADERS } from "./sse";
import { planTurn, type TurnPlan } from "./turn-plan";
import { MODEL_CANNOT_SEE, MODEL_CANNOT_SEE_MESSAGE } from "./images/describe-images.server";
import { resolveMessageImages } from "./images/message-images.server";
import type { ImagesToDescribe } from "./generations/answer-turn.server";

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
  | ({
      ok: true;
      chat: ChatRequest;
      target: ResolvedModel;
      describe?: ImagesToDescribe;
    } & TurnPlan)
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
  // Images are ids of this chat's uploads: each must be one, before anything is saved or sent.
  const found = await resolveMessageImages(services.store, parsed.value.chatId, parsed.value.messages);
  if (!found.ok) return refuse(refusal(found.status, found.code, found.message));
  const prompt = parsed.value.messages.at(-1)!;
  const promptImages = (prompt.images ?? []).flatMap((id) => found.images.get(id) ?? []);
  let describe: ImagesToDescribe | undefined;
  if (!resolved.value.vision && promptImages.length > 0) {
    // A text-only model gets the images as a vision model's description (older turns' images: their answers say what they showed).
    if (!services.config.visionModel) return refuse(refusal(400, MODEL_CANNOT_SEE, MODEL_CANNOT_SEE_MESSAGE));
    describe = { visionModel: services.config.visionModel, images: promptImages };
  }
  const planned = planTurn(parsed.value.messages, resolved.value, resolved.value.vision ? found.images : undefined);
  // 413, not 400: the request is well formed, its content is too large for the model (docs/errors.md).
  if (!planned.ok) return refuse(refusal(413, planned.code, planned.message));
  return { ok: true, chat: parsed.value, target: resolved.value, describe, ...planned.plan };
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
  const { chat, target, context, base, describe } = admitted;
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
        describe: describe && { ...describe, messages: chat.messages },
      }),
  );
  // Other replicas can then find it, follow it for a browser that reattaches through them, and take it over.
  if (services.shared && chat.chatId) {
    await services.shared.share(generation, { chatId: chat.chatId, model: chat.model, turnPosition: chat.messages.length - 1 });
  }
  return generationResponse(generation, { afterSeq: 0, headers, gone: [request.signal, client.gone] });
}
