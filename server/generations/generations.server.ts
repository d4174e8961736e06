/**
 * The generations this server is running, and those that ended a moment ago: a browser that comes
 * back within the retention still finds the end of its answer here. One per chat at a time: a new
 * turn (a Retry, an edited prompt) stops the chat's running one first.
 */
import { Generation, type GenerationOptions, type StopReason } from "./generation.server";

export class Generations {
  private readonly byId = new Map<string, Generation>();
  private readonly latestByChat = new Map<string, Generation>();

  /** `retentionMs`: how long an ended generation stays attachable. */
  constructor(private readonly retentionMs: number) {}

  /** Starts `run` on a new generation; it runs on its own, whoever is attached. */
  start(options: GenerationOptions, run: (generation: Generation) => Promise<void>): Generation {
    const generation = new Generation(options);
    if (generation.chatId) {
      this.latestByChat.get(generation.chatId)?.stop("stopped_by_user");
      this.latestByChat.set(generation.chatId, generation);
    }
    this.byId.set(generation.id, generation);
    generation.settled = run(generation).finally(() => {
      const forget = () => {
        this.byId.delete(generation.id);
        if (generation.chatId && this.latestByChat.get(generation.chatId) === generation) {
          this.latestByChat.delete(generation.chatId);
        }
      };
      // Only a chat's generation can be come back to; one without a chat is forgotten at once.
      if (this.retentionMs === 0 || !generation.chatId) forget();
      else setTimeout(forget, this.retentionMs).unref?.();
    });
    return generation;
  }

  get(id: string): Generation | undefined {
    return this.byId.get(id);
  }

  /** The chat's newest generation on this server, running or recently ended. */
  latestFor(chatId: string): Generation | undefined {
    return this.latestByChat.get(chatId);
  }

  /** Generations whose provider call is still running. */
  get running(): number {
    let count = 0;
    for (const generation of this.byId.values()) if (!generation.finished) count++;
    return count;
  }

  /** Kept in memory now, running or retained: what the memory figure of a detached generation is measured on. */
  get size(): number {
    return this.byId.size;
  }

  stopAll(reason: StopReason): void {
    for (const generation of this.byId.values()) generation.stop(reason);
  }
}
