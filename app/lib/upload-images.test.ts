import { describe, expect, it } from "vitest";
import { uploadImages } from "./upload-images";

const png = (name = "shot.png") => new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], name, { type: "image/png" });

/** A fetch that answers each call in turn and records what was sent. */
function server(...answers: Array<Response | Error>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetcher = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const answer = answers[calls.length - 1];
    if (answer instanceof Error) throw answer;
    return answer;
  }) as unknown as typeof fetch;
  return { fetcher, calls };
}

const uploaded = (id: string) => Response.json({ id, mediaType: "image/png", width: 10, height: 10, bytes: 4 }, { status: 201 });

describe("uploadImages", () => {
  it("posts each file as the raw body with its type, in order, and returns the ids", async () => {
    const files = [png("a.png"), new File(["jpeg"], "b.jpg", { type: "image/jpeg" })];
    const { fetcher, calls } = server(uploaded("id-a"), uploaded("id-b"));
    expect(await uploadImages("chat 1", files, fetcher)).toEqual({ ok: true, ids: ["id-a", "id-b"] });
    expect(calls.map((call) => call.url)).toEqual(["/api/chats/chat%201/images", "/api/chats/chat%201/images"]);
    expect(calls.map((call) => call.init)).toEqual([
      { method: "POST", headers: { "Content-Type": "image/png" }, body: files[0] },
      { method: "POST", headers: { "Content-Type": "image/jpeg" }, body: files[1] },
    ]);
  });

  it("stops at the first refusal and says it in the server's words, naming the file", async () => {
    const refused = Response.json(
      { error: { code: "image_unreadable", message: "This file could not be read as an image." } },
      { status: 422 },
    );
    const { fetcher, calls } = server(uploaded("id-a"), refused, uploaded("never"));
    expect(await uploadImages("c", [png("a.png"), png("broken.png"), png("c.png")], fetcher)).toEqual({
      ok: false,
      code: "image_unreadable",
      message: "“broken.png”: This file could not be read as an image.",
    });
    expect(calls).toHaveLength(2);
  });

  it("says what happened when a proxy answers with a page instead of Kiln's JSON, or the server is unreachable", async () => {
    const page = new Response("<html>Bad gateway</html>", { status: 502, headers: { "Content-Type": "text/html" } });
    expect(await uploadImages("c", [png()], server(page).fetcher)).toEqual({
      ok: false,
      message: "“shot.png” was not attached: Kiln's server answered 502.",
    });
    expect(await uploadImages("c", [png()], server(new TypeError("Failed to fetch")).fetcher)).toEqual({
      ok: false,
      message: "Kiln's server could not be reached; the image was not attached.",
    });
  });

  it("uploads nothing for no files", async () => {
    const { fetcher, calls } = server();
    expect(await uploadImages("c", [], fetcher)).toEqual({ ok: true, ids: [] });
    expect(calls).toHaveLength(0);
  });
});
