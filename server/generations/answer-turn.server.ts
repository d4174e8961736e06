/**
 * The work of one generation: ask the provider (with retries, fallbacks, continuations and the
 * whole-file fallback for edits), publish every wire event to the generation, and save the answer
 * before the final event goes out, so a browser that reloads on `done` finds it. It runs whether or
 * not a browser is attached; the generation's signal is its only way to stop early.
 */
import { SERVER_SHUTTING_DOWN, type WireEvent } from "../../machines/wire-events";
import { resolveEditAnswer } from "../../machines/edit-blocks";
import { usageFigures, type ReceiptFigures } from "../../machines/receipt";
import { saveAnswer, type SavedTurn } from "../chat-persistence.server";
import { DEFAULT_MODEL_LIMITS, type ContextResult, type MessageImage } from "../context-builder";
import type { StoredMessageState } from "../db/chat-store";
import type { ResolvedModel } from "../providers/factory.server";
import { resilientCompletion, type AttemptStats } from "../providers/resilient-completion.server";
import type { KilnServices } from "../services.server";
import { FOLLOW_UP_SYSTEM_PROMPT, SYSTEM_PROMPT, WHOLE_FILE_SYSTEM_PROMPT } from "../system-prompt";
import { withWholeFileFallback } from "../whole-file-fallback";
import { Generation } from "./generation.server";
import type { ChatMessage } from "../chat-request";
import { describeImages, promptWithDescription } from "../images/describe-images.server";
import { planTurn } from "../turn-plan";

/** A prompt's images, for a model that cannot read them: a vision model describes them first. */
export interface ImagesToDescribe {
  visionModel: string;
  images: MessageImage[];
}

export interface TurnToAnswer {
  requestId: string;
  chatId?: string;
  messageCount: number;
  target: ResolvedModel;
  context: Extract<ContextResult, { ok: true }>;
  /** The code a follow-up's edit blocks apply to. */
  base: string | undefined;
  /** Where the answer is saved; undefined for a request without a chat. */
  turn: SavedTurn | undefined;
  /** Taken over from a replica that stopped mid-answer: the answer so far, which the browsers already have. */
  resumeFrom?: string;
  /** Described first, announced in `meta`; the conversation is planned again with the description in the prompt. */
  describe?: ImagesToDescribe & { messages: ChatMessage[] };
}

export async function answerTurn(generation: Generation, services: KilnServices, job: TurnToAnswer): Promise<void> {
  const { config, providers, logger } = services;
  const { requestId, target, base, turn } = job;
  let context = job.context;
  const startedAt = performance.now();
  const stats: AttemptStats = { attempts: 0, retries: 0, fallbacks: 0, provider: target.provider.id, model: target.model };
  const log = {
    requestId,
    chatId: job.chatId,
    messages: job.messageCount,
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
  const observed = services.metrics.startChat();
  // A shutdown past its drain deadline: with replicas sharing generations another one takes this over
  // where it stopped; alone, this server stops the provider call and tells the browser why.
  const unregister = services.openStreams.add({
    end: () => (services.shared && job.chatId ? generation.handOver() : generation.stop("shutting_down")),
  });
  const publish = (event: WireEvent) => generation.publish(event);
  if (job.resumeFrom === undefined) {
    publish({
      event: "meta",
      data: {
        requestId,
        provider: target.provider.id,
        model: target.model,
        ...(job.describe && { imagesDescribedBy: job.describe.visionModel }),
      },
    });
  }
  let outcome = "unfinished";
  let answer = job.resumeFrom ?? "";
  /** The answer's receipt as it stands now (machines/receipt.ts): the figures the browser builds from the same events. */
  const receipt = (): ReceiptFigures => ({
    ...(log.firstDeltaMs !== undefined && { firstTokenMs: log.firstDeltaMs }),
    totalMs: Math.round(performance.now() - startedAt),
    retries: stats.retries,
    fallbacks: stats.fallbacks,
    ...(stats.fallbacks > 0 && { fellBackFrom: target.provider.id }),
    ...usageFigures(stats.usage),
  });
  /** The images described by the vision model, and the turn planned again with the description in its prompt. */
  const describeWith = async (describe: NonNullable<TurnToAnswer["describe"]>) => {
    const prompt = describe.messages.at(-1)!;
    const described = await describeImages({
      providers,
      visionModel: describe.visionModel,
      images: describe.images,
      prompt: prompt.content,
      signal: generation.signal,
      settings: config,
    });
    if (!described.ok) {
      const { code, message, retryable } = described;
      return { ok: false as const, error: { code, message, retryable } };
    }
    const messages = [
      ...describe.messages.slice(0, -1),
      { ...prompt, content: promptWithDescription(prompt.content, described.description, describe.images.length) },
    ];
    const planned = planTurn(messages, target);
    if (!planned.ok) return { ok: false as const, error: { code: planned.code, message: planned.message, retryable: false } };
    return { ok: true as const, context: planned.plan.context };
  };
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
    if (job.describe) {
      const described = await describeWith(job.describe);
      if (!described.ok) {
        outcome = described.error.code;
        publish({ event: "error", data: described.error });
        return;
      }
      context = described.context;
    }
    const completion = (systemPrompt: string) =>
      resilientCompletion({
        target,
        providers,
        messages: context.conversation,
        systemPrompt,
        maxTokens: context.maxTokens,
        contextWindow: (target.limits ?? DEFAULT_MODEL_LIMITS).contextWindow,
        signal: generation.signal,
        resumeFrom: job.resumeFrom,
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
      publish(event);
    }
    // A stop can end the provider's stream quietly instead of throwing: the catch below says why.
    if (!generation.finished) throw new Error("the answer ended without a final event");
  } catch (error) {
    const reason = generation.stopReason;
    if (reason === "handed_over") {
      // Saved as it stands, in case nobody takes it over (the replica that does replaces it); then
      // marked for a take-over, and only then are the browsers sent to reattach elsewhere.
      outcome = "handed_over";
      await save("failed");
      await services.shared?.interrupt(generation.id);
      generation.disconnectAll();
    } else if (reason === "shutting_down") {
      outcome = SERVER_SHUTTING_DOWN;
      await save("failed");
      publish({
        event: "error",
        data: {
          code: SERVER_SHUTTING_DOWN,
          message: "This Kiln server is shutting down; reconnecting to continue.",
          retryable: true,
        },
      });
    } else if (reason) {
      outcome = reason === "nobody_attached" ? "client_closed" : "stopped";
      await save("stopped");
      publish(Generation.stoppedEvent(reason));
    } else {
      outcome = "internal_error";
      await save("failed");
      logger.error({ requestId, err: error }, "relay failed");
      publish({
        event: "error",
        data: { code: "internal_error", message: "Kiln failed unexpectedly; try again.", retryable: true },
      });
    }
  } finally {
    unregister();
    observed.end({ provider: stats.provider, model: stats.model, outcome });
    logger.info({ ...log, ...stats, outcome, durationMs: Math.round(performance.now() - startedAt) }, "chat request");
  }
}
