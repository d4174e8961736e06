/**
 * Opens the store that DATABASE_URL names and brings its schema up to date:
 * `file:<path>` → SQLite (path relative to the working directory, e.g. `file:./data/kiln.db`, or
 * absolute, `file:/var/lib/kiln/kiln.db` or `file:///var/lib/kiln/kiln.db`);
 * `postgres://…` or `postgresql://…` → Postgres.
 * Any failure becomes one line starting with `DATABASE_URL`, with credentials redacted.
 */
import { fileURLToPath } from "node:url";
import type { ChatStore } from "./chat-store";
import { openPgChatStore } from "./pg-chat-store.server";
import { openSqliteChatStore } from "./sqlite-chat-store.server";

export async function openChatStore(databaseUrl: string): Promise<ChatStore> {
  try {
    if (databaseUrl.startsWith("file:")) return await openSqliteChatStore(sqlitePath(databaseUrl));
    if (/^postgres(ql)?:\/\//.test(databaseUrl)) return await openPgChatStore(databaseUrl);
  } catch (error) {
    throw new Error(`DATABASE_URL ${redactDatabaseUrl(databaseUrl)}: cannot open the database: ${describe(error, databaseUrl)}`);
  }
  throw new Error(`DATABASE_URL ${redactDatabaseUrl(databaseUrl)}: must be file:<path> (SQLite) or postgres://…`);
}

/** `file:./data/kiln.db` → `./data/kiln.db`; `file:///abs/kiln.db` → `/abs/kiln.db`; query ignored. */
export function sqlitePath(databaseUrl: string): string {
  const withoutQuery = databaseUrl.replace(/\?.*$/, "");
  if (withoutQuery.startsWith("file://")) return fileURLToPath(withoutQuery);
  const path = withoutQuery.slice("file:".length);
  if (!path) throw new Error("no path after file:");
  return path;
}

/** Hides `user:password@` and any `password=` parameter, so the URL can be logged or shown. */
export function redactDatabaseUrl(databaseUrl: string): string {
  return databaseUrl.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1***@").replace(/([?&]password=)[^&#]*/gi, "$1***");
}

function describe(error: unknown, databaseUrl: string): string {
  let text: string;
  if (error instanceof AggregateError && !error.message && error.errors.length) {
    // node-postgres reports "localhost" refusing on both ::1 and 127.0.0.1 as an AggregateError with no message.
    text = error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join("; ");
  } else if (error instanceof Error) {
    text = error.message || (error as NodeJS.ErrnoException).code || error.name;
  } else {
    text = String(error);
  }
  const password = passwordOf(databaseUrl);
  if (password) text = text.split(password).join("***");
  return text.replace(/\s+/g, " ").trim();
}

function passwordOf(databaseUrl: string): string | undefined {
  try {
    const url = new URL(databaseUrl);
    const password = decodeURIComponent(url.password) || url.searchParams.get("password") || "";
    return password || undefined;
  } catch {
    return undefined;
  }
}
