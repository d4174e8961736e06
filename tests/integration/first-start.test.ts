/**
 * A newcomer's first start: no key, no providers file. The server must come up and the home page must
 * say exactly what to set.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startKilnServer, type KilnServer } from "../support/kiln-server";

let kiln: KilnServer;

beforeAll(async () => {
  kiln = await startKilnServer({});
});

afterAll(async () => {
  await kiln?.stop();
});

it("starts without any API key and the home page explains how to configure a provider", async () => {
  const html = await (await fetch(kiln.url)).text();
  expect(html).toContain("Connect a model to start");
  for (const variable of ["TOGETHER_API_KEY", "BACKEND_AI_ENDPOINT", "MODEL_NAME", "BACKEND_AI_API_KEY", "KILN_PROVIDERS"]) {
    expect(html).toContain(variable);
  }
  const models = (await (await fetch(`${kiln.url}/api/models`)).json()) as Array<{ available: boolean; reason?: string }>;
  expect(models.length).toBeGreaterThan(0);
  expect(models.every((m) => !m.available && m.reason?.includes("TOGETHER_API_KEY"))).toBe(true);
});

it("refuses to start on a bad setting, with one line naming the variable", async () => {
  await expect(startKilnServer({ KILN_IDLE_TIMEOUT_MS: "soon" })).rejects.toThrow(
    /kiln: configuration error: KILN_IDLE_TIMEOUT_MS must be a number/,
  );
});
