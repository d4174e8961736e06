/** `npm run db:generate` (Postgres half): turns schema changes into a new migration under drizzle/pg. */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./server/db/schema.pg.ts",
  out: "./drizzle/pg",
});
