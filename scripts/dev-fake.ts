/**
 * `npm run dev:fake`: Kiln in development mode wired to the local fake provider, so the whole UI can
 * be tried without any API key. Type `[fake:status=429]`, `[fake:stall-after=5]`, `[fake:chunk=byte]`…
 * in a prompt to make the fake misbehave (tests/support/fake-provider.ts lists the directives).
 */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startFakeProvider } from "../tests/support/fake-provider";

// The preview runtime is built like in `npm run dev` (a few seconds), then the server starts.
if (spawnSync(process.execPath, ["--import", "tsx", "scripts/build-preview.ts"], { stdio: "inherit" }).status !== 0)
  process.exit(1);

const fake = await startFakeProvider({ port: 3999, tokensPerSecond: 60, firstTokenMs: 400 });
console.log(`fake provider listening on ${fake.url}`);

const kiln = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
  cwd: fileURLToPath(new URL("..", import.meta.url)),
  stdio: "inherit",
  env: {
    ...process.env,
    KILN_PROVIDERS: fileURLToPath(new URL("../tests/support/fake-providers.json", import.meta.url)),
    KILN_DEFAULT_MODEL: process.env.KILN_DEFAULT_MODEL ?? "fake-coder",
  },
});
kiln.on("exit", (code) => fake.close().then(() => process.exit(code ?? 0)));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => kiln.kill(signal));
