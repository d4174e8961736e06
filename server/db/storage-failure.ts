/**
 * Which errors mean "the storage is unavailable" (disk full, read-only file, I/O error, locked by
 * another process, database down or unreachable), as opposed to a bug (a bad argument, a broken
 * query, a violated constraint), which must stay a bug. Pure: it reads error objects only, by shape,
 * so it needs neither driver loaded. Used by `server/db/guarded-chat-store.server.ts`.
 */

/**
 * better-sqlite3's SqliteError codes (primary codes; extended ones such as `SQLITE_IOERR_WRITE` or
 * `SQLITE_READONLY_DBMOVED` count by their primary code) that come from the file, the disk or another
 * process, never from the query. Not here on purpose: SQLITE_CONSTRAINT, SQLITE_ERROR (a bad query or
 * a missing table), SQLITE_MISUSE, SQLITE_RANGE, SQLITE_MISMATCH, SQLITE_TOOBIG: those are bugs.
 */
const SQLITE_STORAGE_CODES = [
  "SQLITE_FULL",
  "SQLITE_READONLY",
  "SQLITE_IOERR",
  "SQLITE_CANTOPEN",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_CORRUPT",
  "SQLITE_NOTADB",
  "SQLITE_NOMEM",
  "SQLITE_NOLFS",
  "SQLITE_PROTOCOL",
  "SQLITE_PERM",
];

/**
 * Postgres SQLSTATEs (classes by their first two characters, or whole codes) that say the database
 * cannot serve Kiln right now: connection exceptions (08), insufficient resources such as a full disk
 * or too many connections (53), the server shutting down or starting (57P01–57P03), system and I/O
 * errors (58), a read-only transaction (25006: a standby, or default_transaction_read_only), refused
 * credentials (28) or a database that no longer exists (3D000), and corrupted data (XX001, XX002).
 */
const PG_STORAGE_CLASSES = ["08", "53", "58", "28"];
const PG_STORAGE_CODES = ["57P01", "57P02", "57P03", "25006", "3D000", "XX001", "XX002"];

/** Node's network and file-system errors on the way to the database. */
const SYSTEM_STORAGE_CODES = [
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ENOSPC",
  "EDQUOT",
  "EROFS",
  "EIO",
];

/** node-postgres and pg-pool report a lost or impossible connection as a plain Error with one of these messages. */
const PG_CONNECTION_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|timeout expired|Query read timeout|Client has encountered a connection error)/;

/**
 * True when `error` (or what it wraps: drizzle's DrizzleQueryError keeps the driver's error as
 * `cause`, node-postgres reports a refused `localhost` as an AggregateError) is a storage failure.
 */
export function isStorageFailure(error: unknown): boolean {
  return storageFailureCode(error) !== undefined;
}

/**
 * The code that made `error` a storage failure (`SQLITE_IOERR_WRITE`, `57P01`, `ECONNREFUSED`, or
 * `pg_connection` for node-postgres's message-only errors), or undefined when it is not one.
 */
export function storageFailureCode(error: unknown): string | undefined {
  return driverFailure(error)?.code;
}

/**
 * The innermost driver error that makes `error` a storage failure, and its code. Log this, not the
 * wrapper: drizzle's DrizzleQueryError message holds the query's parameters (a user's prompt).
 */
export function driverFailure(error: unknown, depth = 0): { code: string; error: Error } | undefined {
  if (!(error instanceof Error) || depth > 8) return undefined;
  const own = ownCode(error);
  if (own) return { code: own, error };
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = driverFailure(inner, depth + 1);
      if (found) return found;
    }
  }
  return driverFailure(error.cause, depth + 1);
}

function ownCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (error.name === "SqliteError") {
      return SQLITE_STORAGE_CODES.some((primary) => code === primary || code.startsWith(`${primary}_`)) ? code : undefined;
    }
    if (SYSTEM_STORAGE_CODES.includes(code)) return code;
    // node-postgres's DatabaseError: the server's SQLSTATE (five digits or capitals; no Node error
    // code starts with the classes listed, which all begin with a digit).
    if (/^[0-9A-Z]{5}$/.test(code)) {
      return PG_STORAGE_CLASSES.includes(code.slice(0, 2)) || PG_STORAGE_CODES.includes(code) ? code : undefined;
    }
    return undefined;
  }
  return PG_CONNECTION_MESSAGES.test(error.message) ? "pg_connection" : undefined;
}
