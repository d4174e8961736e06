/**
 * Where drizzle-kit's migration files live (`drizzle/sqlite`, `drizzle/pg` at the repository root),
 * found from this file's location so it does not depend on the working directory.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export function migrationsFolder(dialect: "sqlite" | "pg"): string {
  const folder = fileURLToPath(new URL(`../../drizzle/${dialect}`, import.meta.url));
  if (!existsSync(join(folder, "meta", "_journal.json"))) {
    throw new Error(`migration files missing: ${join(folder, "meta", "_journal.json")} does not exist`);
  }
  return folder;
}
