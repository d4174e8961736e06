/** `npm run db:generate` (SQLite half): turns schema changes into a new migration under drizzle/sqlite. */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./server/db/schema.sqlite.ts",
  out: "./drizzle/sqlite",
});
