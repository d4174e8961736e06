/**
 * Runs the fake provider on its own, for dev mode and benchmarks:
 *   tsx tests/support/fake-provider-cli.ts [--port 3999] [--tokens-per-second 40] [--first-token-ms 300]
 *     [--host 127.0.0.1] [--api-key KEY]
 * The defaults pace the reply like a real hosted model so the UI can be watched streaming.
 */
import { parseArgs } from "node:util";
import { startFakeProvider } from "./fake-provider";

function count(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    console.error(`fake provider: --${name} must be a whole number, got "${value}"`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "3999" },
    "tokens-per-second": { type: "string", default: "40" },
    "first-token-ms": { type: "string", default: "300" },
    "api-key": { type: "string" },
  },
});

const provider = await startFakeProvider({
  host: values.host,
  port: count("port", values.port),
  tokensPerSecond: count("tokens-per-second", values["tokens-per-second"]),
  firstTokenMs: count("first-token-ms", values["first-token-ms"]),
  requiredApiKey: values["api-key"],
});
console.log(`fake provider listening on ${provider.url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    provider.close().then(() => process.exit(0));
  });
}
