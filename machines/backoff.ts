/**
 * Exponential backoff with full jitter, honouring a server's Retry-After. Pure (the random source is a
 * parameter) and shared: the server's relay waits with it before retrying a provider, the browser's
 * chat machine before reconnecting to Kiln.
 */
export interface BackoffOptions {
  /** First wait's ceiling; each retry doubles it. */
  baseMs: number;
  /** No computed wait is longer than this. */
  maxMs: number;
  /** [0, 1): Math.random in production, fixed in tests. */
  random?: () => number;
}

/**
 * The wait before retry number `attempt` (1 for the first retry). Full jitter (a uniform wait between
 * 0 and the exponential ceiling) spreads clients that failed together, so they do not return together.
 * A Retry-After from the server is a floor: waiting less would only be refused again.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, retryAfterMs?: number): number {
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(random() * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
}
