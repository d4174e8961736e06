/**
 * A separate process taking rate-limit tokens, for the store suite's cross-process test:
 *
 *   node --import tsx server/db/take-tokens.fixture.ts <database-url> <key> <count> <capacity> <refillPerSecond> <now>
 *
 * Opens the store, prints `ready`, waits for a line on stdin (so every process starts taking at the
 * same moment), takes `count` tokens concurrently at the fixed time `now`, prints how many were
 * allowed as JSON, and exits.
 */
import { once } from "node:events";
import { openChatStore } from "./open-chat-store.server";

const [url, key, count, capacity, refillPerSecond, now] = process.argv.slice(2);
const store = await openChatStore(url);
try {
  process.stdout.write("ready\n");
  await once(process.stdin, "data");
  const limits = { capacity: Number(capacity), refillPerSecond: Number(refillPerSecond) };
  const results = await Promise.all(
    Array.from({ length: Number(count) }, () => store.takeRateLimitToken(key, limits, Number(now))),
  );
  process.stdout.write(`${JSON.stringify({ allowed: results.filter((r) => r.allowed).length })}\n`);
} finally {
  await store.close();
  process.stdin.destroy();
}
