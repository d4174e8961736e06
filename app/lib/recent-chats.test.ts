import { describe, expect, it } from "vitest";
import { readRecentChats, rememberChat } from "./recent-chats";

const KEY = "kiln.recentChats";

/** localStorage as far as recent-chats uses it. */
function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, String(value)),
  };
}

describe("recent chats (this browser's list on the home page)", () => {
  it("is empty before any chat was opened", () => {
    expect(readRecentChats(memoryStorage())).toEqual([]);
  });

  it("lists opened chats newest first, with their title and when they were opened", () => {
    const storage = memoryStorage();
    rememberChat(storage, { id: "a", title: "A timer" }, 1_000);
    rememberChat(storage, { id: "b", title: "A todo list" }, 2_000);
    rememberChat(storage, { id: "c", title: "A calculator" }, 3_000);
    expect(readRecentChats(storage)).toEqual([
      { id: "c", title: "A calculator", openedAt: 3_000 },
      { id: "b", title: "A todo list", openedAt: 2_000 },
      { id: "a", title: "A timer", openedAt: 1_000 },
    ]);
  });

  it("re-opening a chat moves it to the top, once, with the new time and title", () => {
    const storage = memoryStorage();
    rememberChat(storage, { id: "a", title: "A timer" }, 1_000);
    rememberChat(storage, { id: "b", title: "A todo list" }, 2_000);
    rememberChat(storage, { id: "a", title: "A better timer" }, 3_000);
    expect(readRecentChats(storage)).toEqual([
      { id: "a", title: "A better timer", openedAt: 3_000 },
      { id: "b", title: "A todo list", openedAt: 2_000 },
    ]);
  });

  it("keeps only the 20 most recently opened chats", () => {
    const storage = memoryStorage();
    for (let i = 1; i <= 25; i++) rememberChat(storage, { id: `chat-${i}`, title: `Chat ${i}` }, i);
    const recent = readRecentChats(storage);
    expect(recent).toHaveLength(20);
    expect(recent[0].id).toBe("chat-25");
    expect(recent.at(-1)!.id).toBe("chat-6");
    // Re-opening one of them does not push out another.
    rememberChat(storage, { id: "chat-10", title: "Chat 10" }, 100);
    expect(readRecentChats(storage)).toHaveLength(20);
    expect(readRecentChats(storage).map((c) => c.id)).toContain("chat-6");
  });

  it.each([
    ["not JSON", "{oops"],
    ["JSON but not a list", '{"id":"a","title":"A timer"}'],
    ["null", "null"],
    ["a string", '"chat-1"'],
  ])("reads a corrupt list (%s) as empty instead of breaking the home page", (_, stored) => {
    expect(readRecentChats(memoryStorage({ [KEY]: stored }))).toEqual([]);
  });

  it("drops entries without a string id and title, keeping the good ones", () => {
    const stored = JSON.stringify([
      null,
      7,
      "chat-1",
      { id: 1, title: "numeric id" },
      { id: "no-title" },
      { title: "no id" },
      { id: "good", title: "A timer", openedAt: 5 },
    ]);
    expect(readRecentChats(memoryStorage({ [KEY]: stored }))).toEqual([{ id: "good", title: "A timer", openedAt: 5 }]);
  });

  it("opening a chat repairs a corrupt list instead of failing", () => {
    const storage = memoryStorage({ [KEY]: "{oops" });
    rememberChat(storage, { id: "a", title: "A timer" }, 1_000);
    expect(readRecentChats(storage)).toEqual([{ id: "a", title: "A timer", openedAt: 1_000 }]);
    expect(JSON.parse(storage.items.get(KEY)!)).toEqual([{ id: "a", title: "A timer", openedAt: 1_000 }]);
  });
});

describe("when storage refuses writes", () => {
  it("remembering a chat does not throw (the chat page must still send its prompt)", () => {
    const full = {
      getItem: () => null,
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
    };
    expect(() => rememberChat(full, { id: "a", title: "A" })).not.toThrow();
  });
});
