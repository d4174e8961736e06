/** What the fake provider saw, read over its control endpoint (it runs in another process). */
import type { RecordedRequest } from "../support/fake-provider";

const FAKE_CONTROL = "http://127.0.0.1:3999/__fake";

export async function fakeRequests(): Promise<RecordedRequest[]> {
  return (await fetch(`${FAKE_CONTROL}/requests`)).json() as Promise<RecordedRequest[]>;
}

export async function resetFake(): Promise<void> {
  await fetch(`${FAKE_CONTROL}/reset`, { method: "POST" });
}

/** The chat completion requests only (the fake also records model listings). */
export async function completionRequests(): Promise<RecordedRequest[]> {
  return (await fakeRequests()).filter((r) => r.path.endsWith("/chat/completions"));
}
