/**
 * A chat's generation, from the outside: its owner reattaches to it (`GET /api/chats/:id/stream`,
 * with `Last-Event-ID` for the events after one already received) or stops it
 * (`POST /api/chats/:id/stop`). Only the chat's owner may do either: the stream is the answer being
 * written for them (docs/wire-protocol.md, "Reattaching to a generation").
 */
import { z } from "zod";
import { SERVER_SHUTTING_DOWN } from "../../machines/wire-events";
import { ownsChat, NOT_CHAT_OWNER_MESSAGE, type Requester } from "../chat-owner.server";
import { readJsonWrite, refusal } from "../refusal.server";
import type { KilnServices } from "../services.server";
import { generationResponse } from "./generation-response.server";
import type { Generation } from "./generation.server";
import { SharedGenerations } from "./shared-generations.server";
import { takeOver } from "./take-over.server";

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

/** The generation a request names (`?generation=`), else the chat's newest, on this replica; only ever one of that chat. */
function findLocal(services: KilnServices, chatId: string, wanted: string | null | undefined): Generation | undefined {
  const generation = wanted ? services.generations.get(wanted) : services.generations.latestFor(chatId);
  return generation?.chatId === chatId ? generation : undefined;
}

/**
 * This replica's generation, else (with replicas sharing Postgres) another's: followed from the
 * database while its replica runs it, taken over when that replica drained or died.
 */
async function findGeneration(services: KilnServices, chatId: string, wanted: string | null | undefined) {
  const local = findLocal(services, chatId, wanted);
  if (local || !services.shared) return local;
  const row = await services.shared.find(chatId, wanted);
  if (!row) return undefined;
  if (SharedGenerations.orphaned(row)) {
    const taken = await takeOver(services, row);
    if (taken) return taken;
    // Another replica claimed it first (or it cannot be answered again): follow whoever runs it.
    const again = await services.shared.find(chatId, row.id);
    if (!again || SharedGenerations.orphaned(again)) return undefined;
  }
  return services.shared.follow(row.id, chatId);
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
  // A draining server hands its generations over: the browser must reattach through another one.
  if (services.lifecycle.draining) {
    return refusal(503, SERVER_SHUTTING_DOWN, "This Kiln server is shutting down; reconnecting to another.", {
      Connection: "close",
      "Retry-After": "1",
    });
  }
  const owned = await ownedChat(services, chatId, caller);
  if (!owned.ok) return owned.response;
  const afterSeq = lastEventId(request);
  if (afterSeq === undefined) {
    return refusal(400, "bad_request", "Last-Event-ID must be the number of the last event received.");
  }
  const generation = await findGeneration(services, chatId, new URL(request.url).searchParams.get("generation"));
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
  const local = findLocal(services, chatId, input.body.generation);
  if (local) {
    const running = !local.finished;
    if (running) local.stop("stopped_by_user");
    return Response.json({ stopped: running });
  }
  // Running on another replica: it stops it when told (LISTEN).
  const row = await services.shared?.find(chatId, input.body.generation);
  if (row && row.status === "running") await services.shared!.requestStop(row.id);
  return Response.json({ stopped: row?.status === "running" });
}

/** For the chat page: the generation a reloaded page attaches to, if one is running here or on another replica. */
export async function runningGenerationOf(services: KilnServices, chatId: string): Promise<{ id: string } | undefined> {
  const local = services.generations.latestFor(chatId);
  if (local) return local.finished ? undefined : { id: local.id };
  const row = await services.shared?.find(chatId);
  return row ? { id: row.id } : undefined;
}
