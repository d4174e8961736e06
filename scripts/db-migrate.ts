/**
 * `npm run db:migrate`: applies the migration files under drizzle/ to the database DATABASE_URL names
 * (default `file:./data/kiln.db`), then exits. The server does the same at start-up; this is for
 * migrating before a deploy or checking that a database is reachable.
 */
import { openChatStore, redactDatabaseUrl } from "../server/db/open-chat-store.server";

const databaseUrl = process.env.DATABASE_URL || "file:./data/kiln.db";
try {
  const store = await openChatStore(databaseUrl);
  await store.close();
  console.log(`kiln: database migrated: ${redactDatabaseUrl(databaseUrl)}`);
} catch (error) {
  console.error(`kiln: database error: ${(error as Error).message}`);
  process.exit(1);
}
