/**
 * The chat streams this server is relaying right now, so a shutdown can let them finish and then end
 * the rest cleanly (with a retryable error the browser reconnects on, to another replica).
 */
export interface OpenStream {
  /** Ends the stream now: the relay sends `error` (`server_shutting_down`, retryable) and closes. */
  end(): void;
}

export class OpenStreams {
  private readonly streams = new Set<OpenStream>();
  private readonly waiters = new Set<() => void>();

  get size(): number {
    return this.streams.size;
  }

  /** Registers a stream; call the returned function when it has ended. */
  add(stream: OpenStream): () => void {
    this.streams.add(stream);
    return () => {
      this.streams.delete(stream);
      if (this.streams.size === 0) for (const wake of this.waiters) wake();
    };
  }

  /** Resolves true when every stream has ended, false when `timeoutMs` passed first. */
  waitUntilEmpty(timeoutMs: number): Promise<boolean> {
    if (this.streams.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (empty: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(empty);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(wake);
    });
  }

  endAll(): void {
    for (const stream of [...this.streams]) stream.end();
  }
}
