/**
 * A client that keeps the cookie Kiln sets, as a browser does: the chats it creates are its own
 * (server/chat-owner.server.ts), so it may add turns to them. Node's fetch keeps no cookies.
 */
export interface CookieJar {
  fetch: typeof fetch;
  readonly cookie: string | undefined;
}

// Taken once, so a test may install a jar's fetch as the global one (the chat machine's stream actor uses it).
const nativeFetch = globalThis.fetch;

export function cookieJar(): CookieJar {
  let cookie: string | undefined;
  return {
    async fetch(input, init = {}) {
      const headers = new Headers(init.headers);
      if (cookie && !headers.has("cookie")) headers.set("Cookie", cookie);
      const response = await nativeFetch(input, { ...init, headers });
      const set = response.headers.get("set-cookie");
      if (set) cookie = set.split(";")[0];
      return response;
    },
    get cookie() {
      return cookie;
    },
  };
}
