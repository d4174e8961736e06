/**
 * A chat's generation, from the outside: its owner reattaches to it (`GET /api/chats/:id/stream`,
 * with `Last-Event-ID` for the events after one already received) or stops it
 * (`POST /api/chats/:id/stop`). Only the chat's owner may do either: the stream is the answer being
 * written for them (docs/wire-protocol.md, "Reattaching to a generation").
 */
import { z } from "zod";
import { ownsChat, NOT_CHAT_OWNER_MESSAGE, type Requester } from "../chat-owner.server";
import { readJsonWrite, refusal } from "../refusal.server";
import type { KilnServices } from "../services.server";
import { generationResponse } from "./generation-response.server";
import type { Generation } from "./generation.server";

export const GENERATION_NOT_FOUND_MESSAGE = "This answer is no longer being written; reload the chat to see what was saved.";

interface Caller {
  requester: Requester;
  clientIp: string;
  gone?: AbortSignal;
}

/** The chat, if `caller` owns it; else the refusal. */
async function ownedChat(services: KilnServices, chatId: string, caller: Caller) {
  const chat = await services.store.getChat(chatId);
  if (!chat) return { ok: false as const, response: refusal(404, "chat_not_found", "There is no chat with this id.") };
  if (!ownsChat(chat.ownerHash, caller.requester)) {
    return { ok: false as const, response: refusal(403, "not_chat_owner", NOT_CHAT_OWNER_MESSAGE) };
  }
  return { ok: true as const, chat };
}

/** The generation a request names (`?generation=`), else the chat's newest; only ever one of that chat. */
function findGeneration(services: KilnServices, chatId: string, wanted: string | null | undefined): Generation | undefined {
  const generation = wanted ? services.generations.get(wanted) : services.generations.latestFor(chatId);
  return generation?.chatId === chatId ? generation : undefined;
}

/** `Last-Event-ID`: the sequence number of the last event received; absent means from the start. */
function lastEventId(request: Request): number | undefined {
  const header = request.headers.get("last-event-id");
  if (header === null || header.trim() === "") return 0;
  return /^\d{1,9}$/.test(header.trim()) ? Number(header.trim()) : undefined;
}

export async function attachToChatGeneration(
  request: Request,
  services: KilnServices,
  chatId: string,
  caller: Caller,
): Promise<Response> {
  const owned = await ownedChat(services, chatId, caller);
  if (!owned.ok) return owned.response;
  const afterSeq = lastEventId(request);
  if (afterSeq === undefined) {
    return refusal(400, "bad_request", "Last-Event-ID must be the number of the last event received.");
  }
  const generation = findGeneration(services, chatId, new URL(request.url).searchParams.get("generation"));
  if (!generation) return refusal(404, "generation_not_found", GENERATION_NOT_FOUND_MESSAGE);
  return generationResponse(generation, { afterSeq, gone: [request.signal, caller.gone] });
}

const stopSchema = z.object({ generation: z.string().max(100).optional() }).strict();

export async function stopChatGeneration(
  request: Request,
  services: KilnServices,
  chatId: string,
  caller: Caller,
): Promise<Response> {
  const input = await readJsonWrite(request, services, stopSchema, { kind: "chats", clientIp: caller.clientIp });
  if (!input.ok) return input.response;
  const owned = await ownedChat(services, chatId, caller);
  if (!owned.ok) return owned.response;
  const generation = findGeneration(services, chatId, input.body.generation);
  const running = generation !== undefined && !generation.finished;
  if (running) generation.stop("stopped_by_user");
  return Response.json({ stopped: running });
}

/** For the chat page: the generation a reloaded page attaches to, if one is running. */
export function runningGenerationOf(services: KilnServices, chatId: string): { id: string } | undefined {
  const generation = services.generations.latestFor(chatId);
  return generation && !generation.finished ? { id: generation.id } : undefined;
}
