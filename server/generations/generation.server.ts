/**
 * A generation: the making of one answer. For a chat it belongs to the turn, not to the HTTP request
 * that started it (docs/decisions/013-generations-outlive-requests.md): browsers attach to it and
 * detach from it, and it runs on until it ends, the owner presses Stop, or nobody has been attached for
 * the grace period. Every wire event gets the next sequence number (its SSE `id`) and is kept until
 * the generation is forgotten, so a browser that comes back with `Last-Event-ID: n` gets exactly the
 * events after n, then the rest live.
 *
 * Memory: the log holds the answer's events once (an answer is bounded by its output-token limit),
 * and a generation lives only while it runs plus the retention the registry gives it.
 */
import { GENERATION_STOPPED, type WireEvent } from "../../machines/wire-events";

export interface GenerationFrame {
  /** 1, 2, 3… in order: the SSE `id` of the event. */
  seq: number;
  event: WireEvent;
}

export type GenerationListener = (frame: GenerationFrame) => void;

/**
 * Why a generation was stopped before its provider call ended; the log's last event says so too,
 * except for `handed_over`: a draining replica leaves the generation to another one, which goes on
 * with the same log (shared-generations.server.ts), so its browsers are only disconnected.
 */
export type StopReason = "stopped_by_user" | "nobody_attached" | "shutting_down" | "handed_over";

export interface GenerationOptions {
  id: string;
  chatId?: string;
  /** Time with nobody attached before it is stopped; 0: the moment the last browser leaves. */
  graceMs: number;
  /** The events so far, when this server takes the generation over from another. */
  log?: GenerationFrame[];
}

interface Attachment {
  listener: GenerationListener;
  /** Ends the browser's connection without a final event (a hand-over): it reattaches elsewhere. */
  disconnect?: () => void;
}

export class Generation {
  readonly id: string;
  readonly chatId: string | undefined;
  private readonly log: GenerationFrame[];
  private readonly listeners = new Set<Attachment>();
  /** Like listeners, but they do not keep the generation going: the database mirror. */
  private readonly observers = new Set<GenerationListener>();
  private readonly upstream = new AbortController();
  private readonly graceMs: number;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private finishedAt: number | undefined;
  private stopReasonValue: StopReason | undefined;

  constructor(options: GenerationOptions) {
    this.id = options.id;
    this.chatId = options.chatId;
    this.graceMs = options.graceMs;
    this.log = [...(options.log ?? [])];
  }

  /** Set by the registry: settles when the generation's work (its provider calls and saving) is over. */
  settled: Promise<void> = Promise.resolve();

  /** Aborts the provider call: Stop, nobody attached for the grace period, or a shutdown. */
  get signal(): AbortSignal {
    return this.upstream.signal;
  }

  get stopReason(): StopReason | undefined {
    return this.stopReasonValue;
  }

  /** The log has its final event (`done` or `error`): nothing more will be published. */
  get finished(): boolean {
    return this.finishedAt !== undefined;
  }

  get endedAt(): number | undefined {
    return this.finishedAt;
  }

  get lastSeq(): number {
    return this.log.length;
  }

  /** Appends an event to the log and hands it to every attached browser. A finished log takes no more. */
  publish(event: WireEvent): void {
    this.append({ seq: this.log.length + 1, event });
  }

  /**
   * For a copy of another replica's generation: appends a frame read from the database, keeping its
   * number. Only the next one is taken; false for any other (already had, or one is missing before it).
   */
  publishCopied(frame: GenerationFrame): boolean {
    if (frame.seq !== this.log.length + 1) return false;
    this.append(frame);
    return true;
  }

  private append(frame: GenerationFrame): void {
    if (this.finished) return;
    const { event } = frame;
    this.log.push(frame);
    const final = event.event === "done" || event.event === "error";
    // Finished first, so a browser detaching on the final event starts no grace period.
    if (final) this.finishedAt = Date.now();
    // Set iteration tolerates a listener detaching itself (a browser closing on the final event):
    // no copy of the sets for every delta.
    for (const observer of this.observers) observer(frame);
    for (const attachment of this.listeners) attachment.listener(frame);
    if (final) this.finish();
  }

  /** The events after `afterSeq`, in order. */
  framesAfter(afterSeq: number): GenerationFrame[] {
    return this.log.slice(Math.max(0, afterSeq));
  }

  /** Hands `observer` the events after `afterSeq`, then each new one, without counting as an attached browser. */
  observe(afterSeq: number, observer: GenerationListener): void {
    for (const frame of this.framesAfter(afterSeq)) observer(frame);
    if (!this.finished) this.observers.add(observer);
  }

  /**
   * Hands `listener` every event after `afterSeq` at once, then each new one as it is published, until
   * the returned function detaches it. A finished generation replays and attaches nothing.
   */
  attach(afterSeq: number, listener: GenerationListener, disconnect?: () => void): () => void {
    for (const frame of this.framesAfter(afterSeq)) listener(frame);
    if (this.finished) return () => {};
    // A copy of another replica's generation may be behind the browser: what it already has is not sent twice.
    const attachment = { listener: (frame: GenerationFrame) => frame.seq > afterSeq && listener(frame), disconnect };
    this.listeners.add(attachment);
    this.clearGrace();
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      this.listeners.delete(attachment);
      if (this.listeners.size === 0 && this.stopReasonValue !== "handed_over") this.startGrace();
    };
  }

  /**
   * A draining server leaves this generation to another replica: the provider call stops here; once
   * the answer so far is saved and the generation marked for a take-over, `disconnectAll`.
   */
  handOver(): void {
    if (!this.finished) this.stop("handed_over");
  }

  /**
   * Ends every attached browser's connection without a final event, so each reattaches (through the
   * load balancer, to a server still running) after the last event it received.
   */
  disconnectAll(): void {
    for (const attachment of [...this.listeners]) attachment.disconnect?.();
  }

  /**
   * Stops the provider call now. The run ends with the `generation_stopped` error below, so a browser
   * still (or later) attached learns why; the answer so far is saved as `stopped`.
   */
  stop(reason: StopReason): void {
    if (this.finished || this.upstream.signal.aborted) return;
    this.stopReasonValue = reason;
    this.clearGrace();
    this.upstream.abort(new Error(reason));
  }

  /** The event a stopped generation ends with. */
  static stoppedEvent(reason: StopReason | undefined): WireEvent {
    const message =
      reason === "nobody_attached" ? "The answer was stopped because no page was open to receive it." : "The answer was stopped.";
    return { event: "error", data: { code: GENERATION_STOPPED, message, retryable: true } };
  }

  /** Starts the grace period for a generation nobody is attached to yet (e.g. its first request already left). */
  startGraceIfUnattached(): void {
    if (this.listeners.size === 0) this.startGrace();
  }

  private finish(): void {
    this.clearGrace();
    this.observers.clear();
  }

  private startGrace(): void {
    if (this.finished || this.graceTimer) return;
    if (this.graceMs === 0) return this.stop("nobody_attached");
    this.graceTimer = setTimeout(() => this.stop("nobody_attached"), this.graceMs);
    this.graceTimer.unref?.();
  }

  private clearGrace(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }
}
