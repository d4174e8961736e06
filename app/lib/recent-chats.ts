/**
 * This browser's recent chats, kept in localStorage: the server has no page listing chats (a chat's
 * URL is its only key), so only the browser that made a chat can list it.
 */
export interface RecentChat {
  id: string;
  title: string;
  openedAt: number;
}

const KEY = "kiln.recentChats";
const LIMIT = 20;

export function readRecentChats(storage: Pick<Storage, "getItem">): RecentChat[] {
  try {
    const value = JSON.parse(storage.getItem(KEY) ?? "[]");
    return Array.isArray(value) ? value.filter((c) => typeof c?.id === "string" && typeof c?.title === "string") : [];
  } catch {
    return [];
  }
}

export function rememberChat(
  storage: Pick<Storage, "getItem" | "setItem">,
  chat: { id: string; title: string },
  now = Date.now(),
) {
  const others = readRecentChats(storage).filter((c) => c.id !== chat.id);
  try {
    storage.setItem(KEY, JSON.stringify([{ ...chat, openedAt: now }, ...others].slice(0, LIMIT)));
  } catch {
    // Storage full or blocked: the list is a convenience, the chat itself is saved on the server.
  }
}

/** The browser's localStorage, or an empty stand-in where it is blocked (reading it can throw). */
export function browserStorage(): Pick<Storage, "getItem" | "setItem"> {
  try {
    return window.localStorage;
  } catch {
    return { getItem: () => null, setItem: () => {} };
  }
}
