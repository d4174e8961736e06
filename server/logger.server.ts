/**
 * Structured JSON logs (pino). Anything that could hold a secret is redacted by path, and no log line
 * carries prompt text: request logs hold ids, sizes, timings and outcome codes only.
 */
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "kiln" },
      redact: {
        paths: ["apiKey", "*.apiKey", "headers.authorization", "*.headers.authorization", "headers", "*.headers"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
