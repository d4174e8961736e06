/**
 * Starts Kiln's production server (`server/main.ts` on the built app) as a real child process, on an
 * ephemeral port, with the environment a test gives it. Its JSON log lines are collected so tests can
 * check what was (and was not) logged.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface KilnServer {
  url: string;
  /** Every line the server printed (stdout and stderr). */
  logs: string[];
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startKilnServer(env: Record<string, string>, { production = true } = {}): Promise<KilnServer> {
  if (production && !existsSync(`${root}/build/server/index.js`)) {
    throw new Error("No production build: run `npm run build` first (npm test does).");
  }
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NODE_ENV: production ? "production" : "development",
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      // Tests fire many requests from one address; the rate-limit tests turn it back on.
      KILN_RATE_LIMIT_PER_MINUTE: "0",
      // Each server its own database unless the test shares one on purpose.
      DATABASE_URL: `file:${join(mkdtempSync(join(tmpdir(), "kiln-server-")), "kiln.db")}`,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const collect = (chunk: Buffer) => logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Kiln did not start in time:\n${logs.join("\n")}`)), 30_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Kiln exited with ${code}:\n${logs.join("\n")}`));
    });
    child.stdout!.on("data", () => {
      for (const line of logs) {
        const match = /"url":"(http:\/\/[^"]+)"/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      }
    });
  });

  return {
    url,
    logs,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
