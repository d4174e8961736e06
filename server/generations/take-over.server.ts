/**
 * Taking over a chat's generation whose replica drained or died: this replica plans the same turn
 * again from the saved conversation and goes on with the same log, so a browser that reattaches
 * after event n gets n+1, n+2… — the rest of the same answer where the provider continues from a
 * prefix, else a `reset` and the answer again (resilient-completion.server.ts, `resumeFrom`).
 */
import type { ChatMessage } from "../chat-request";
import type { KilnServices } from "../services.server";
import { resolveMessageImages } from "../images/message-images.server";
import { planTurn } from "../turn-plan";
import { answerTurn } from "./answer-turn.server";
import type { Generation, GenerationFrame } from "./generation.server";
import type { SharedGenerationRow } from "./shared-generations.server";

/** The answer the browsers have so far: the delta texts after the last `reset`. */
export function answerSoFar(frames: GenerationFrame[]): string {
  let text = "";
  for (const { event } of frames) {
    if (event.event === "reset") text = "";
    else if (event.event === "delta") text += event.data.text;
  }
  return text;
}

/**
 * Claims the orphaned generation and runs it here; undefined when another replica claimed it first
 * or the turn can no longer be answered (its chat changed, its model is gone): the browser then
 * follows the winner, or starts the turn again.
 */
export async function takeOver(services: KilnServices, row: SharedGenerationRow): Promise<Generation | undefined> {
  const shared = services.shared;
  if (!shared) return undefined;
  const frames = await shared.claim(row);
  if (!frames) return undefined;
  const saved = await services.store.listMessages(row.chatId);
  const prompt = saved[row.turnPosition];
  const target = services.providers.resolve(row.model);
  if (prompt?.role !== "user" || !target.ok) return undefined;
  const messages: ChatMessage[] = saved
    .slice(0, row.turnPosition + 1)
    .map(({ role, content, images }) => ({ role, content, ...(images?.length ? { images } : {}) }));
  // A vision model sees the images again; a text-only one continues from the answer, which already used their description.
  const found = target.value.vision ? await resolveMessageImages(services.store, row.chatId, messages) : undefined;
  const planned = planTurn(messages, target.value, found?.ok ? found.images : undefined);
  if (!planned.ok) return undefined;
  const answer = saved[row.turnPosition + 1];
  services.logger.info(
    { generationId: row.id, chatId: row.chatId, from: row.replica, events: frames.length },
    "taking over a generation",
  );
  const generation = services.generations.start(
    { id: row.id, chatId: row.chatId, graceMs: services.config.detachedGraceMs, log: frames },
    (started) =>
      answerTurn(started, services, {
        requestId: row.id,
        chatId: row.chatId,
        messageCount: messages.length,
        target: target.value,
        ...planned.plan,
        turn: { chatId: row.chatId, replacesMessageId: answer?.role === "assistant" ? answer.id : undefined },
        resumeFrom: answerSoFar(frames),
      }),
  );
  await shared.share(generation, { chatId: row.chatId, model: row.model, turnPosition: row.turnPosition }, frames.length);
  // Nobody attached yet: the browser that asked attaches next; if it never does, the grace period applies.
  generation.startGraceIfUnattached();
  return generation;
}
