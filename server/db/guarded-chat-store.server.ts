/**
 * The one place a storage failure becomes a refusal (docs/decisions/009-storage-failures-answer-503.md).
 * `guardChatStore` wraps the store every request uses (server/services.server.ts): when the database
 * driver fails because the storage is unavailable (`isStorageFailure`: disk full, read-only or
 * unreadable file, locked by another process, database down), the call throws a `StorageUnavailable`
 * instead, a Response: `503 {error:{code:"storage_unavailable", message}}` with Retry-After. Remix
 * answers a Response thrown by a resource route's action or loader as it is, and renders a page
 * route's error boundary with its status and sentence, so no route needs code of its own. Any other
 * error (a bug, a bad argument, an unknown row) is rethrown untouched.
 *
 * Nothing is cached or retried here: every call goes to the database, so when the storage recovers
 * the next request works, with no restart.
 */
import type { Logger } from "../logger.server";
import type { ChatStore } from "./chat-store";
import { driverFailure } from "./storage-failure";

export const STORAGE_UNAVAILABLE = "storage_unavailable";
/** Seconds a client should wait before trying again (the browser's reconnects treat it as a floor). */
export const STORAGE_RETRY_AFTER_SECONDS = 5;

/** What every route answers; the relay words its own for a message it could not save. */
export const STORAGE_UNAVAILABLE_MESSAGE = "Kiln's storage is unavailable right now; try again in a moment.";

/**
 * The refusal, thrown: a Response (Remix sends it as it is) that is also recognisable
 * (`error instanceof StorageUnavailable`) by code that catches errors and must not turn it into
 * something else. `cause` is the driver's error, for logs.
 */
export class StorageUnavailable extends Response {
  readonly code = STORAGE_UNAVAILABLE;

  constructor(
    readonly sentence: string = STORAGE_UNAVAILABLE_MESSAGE,
    readonly cause?: unknown,
  ) {
    super(JSON.stringify({ error: { code: STORAGE_UNAVAILABLE, message: sentence } }), {
      status: 503,
      statusText: "Service Unavailable",
      headers: {
        "Content-Type": "application/json; charset=utf-8",
        "Retry-After": String(STORAGE_RETRY_AFTER_SECONDS),
        "Cache-Control": "no-store",
      },
    });
  }
}

/**
 * Every method of `store` is guarded, including ones added to ChatStore later; `close` is passed
 * through as it is, since it must close whatever state the database is in.
 */
export function guardChatStore(store: ChatStore, logger: Pick<Logger, "error" | "info">): ChatStore {
  // Methods whose last call failed, so their next success can be logged as the recovery (per method:
  // on a full disk reads go on working while writes fail).
  const failing = new Set<string>();
  const guarded = new Map<PropertyKey, unknown>();
  const guard = (method: string, call: (...args: unknown[]) => Promise<unknown>) =>
    async function guardedCall(...args: unknown[]) {
      let result: unknown;
      try {
        result = await call.apply(store, args);
      } catch (error) {
        const failure = driverFailure(error);
        if (!failure) throw error;
        failing.add(method);
        // The driver's own error, never drizzle's wrapper: its message holds the query's parameters.
        logger.error({ err: failure.error, code: failure.code, operation: method }, "storage unavailable");
        throw new StorageUnavailable(STORAGE_UNAVAILABLE_MESSAGE, failure.error);
      }
      if (failing.delete(method)) {
        logger.info({ operation: method }, "storage available again");
      }
      return result;
    };
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || property === "close" || typeof property === "symbol") return value;
      if (!guarded.has(property)) guarded.set(property, guard(property, value as (...args: unknown[]) => Promise<unknown>));
      return guarded.get(property);
    },
  });
}
