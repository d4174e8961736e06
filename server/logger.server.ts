/**
 * Structured JSON logs (pino). Anything that could hold a secret is redacted: fields by path (keys,
 * headers, tokens, passwords), and the text of every line (its message, its top-level string fields,
 * an error's message and stack) by shape, with `redactSecrets`. No log line carries prompt text:
 * request logs hold ids, sizes, timings and outcome codes only.
 */
import { pino, type Logger } from "pino";
import { redactSecrets } from "./redact-secrets";

export type { Logger };

/** Field paths whose values are never logged, at the top level or one object down. */
const SECRET_FIELDS = ["apiKey", "authorization", "cookie", "password", "secret", "token", "headers"];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "kiln" },
      redact: {
        paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`)],
        censor: "[redacted]",
      },
      formatters: {
        log(object) {
          const clean: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(object))
            clean[key] = typeof value === "string" ? redactSecrets(value) : value;
          return clean;
        },
      },
      serializers: {
        err(error: unknown) {
          if (!(error instanceof Error)) return typeof error === "string" ? redactSecrets(error) : error;
          const serialized = pino.stdSerializers.err(error);
          return {
            ...serialized,
            message: typeof serialized.message === "string" ? redactSecrets(serialized.message) : serialized.message,
            stack: typeof serialized.stack === "string" ? redactSecrets(serialized.stack) : serialized.stack,
          };
        },
      },
      hooks: {
        // The message (and any printf-style arguments) of every line.
        logMethod(args, method) {
          return method.apply(
            this,
            args.map((arg) => (typeof arg === "string" ? redactSecrets(arg) : arg)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination,
  );
}
