/**
 * Who owns a chat (docs/security.md, "Chat ownership"): the browser that created it, known by an
 * owner secret in an HttpOnly cookie, or, behind a trusted auth proxy (`KILN_AUTH_HEADER`), the
 * identity the proxy names, so a user's chats follow them across browsers. Anyone with a chat's link
 * may read it; only its owner may add turns, regenerate or share (403 `not_chat_owner`).
 *
 * Only hashes are stored (chats.owner_hash): a database dump does not hand out the cookies.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ChatStore, StoredChat } from "./db/chat-store";

export const OWNER_COOKIE = "kiln_owner";

/** 256 random bits, base64url: what the cookie holds. */
const SECRET_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** Chrome caps cookie lifetimes at 400 days; the secret is the only key to a browser's chats. */
const COOKIE_MAX_AGE_S = 400 * 24 * 60 * 60;

export interface Requester {
  /** The hashes that make this requester a chat's owner: their identity's and their cookie's. */
  hashes: string[];
  /** The hash a chat created now gets: the identity when the auth proxy names one, else the cookie's. */
  ownerHash: string;
  /** Set when the browser had no owner secret yet: send it with the response that creates the chat. */
  setCookie?: string;
}

export interface OwnerSettings {
  /** `KILN_AUTH_HEADER`: the header a trusted auth proxy names the user in (e.g. X-Forwarded-Email). */
  authHeader?: string;
}

/**
 * Who sent `request`. `fromTrustedProxy`: the TCP peer is one of `KILN_TRUST_PROXY`'s proxies; the
 * auth header counts only then, since anybody else can write it.
 */
export function identifyRequester(request: Request, settings: OwnerSettings, fromTrustedProxy: boolean): Requester {
  const hashes: string[] = [];
  const identity = settings.authHeader && fromTrustedProxy ? request.headers.get(settings.authHeader)?.trim() : undefined;
  const identityHash = identity ? hash(`identity:${identity.toLowerCase()}`) : undefined;
  if (identityHash) hashes.push(identityHash);

  const cookieSecret = readCookie(request.headers.get("cookie"), OWNER_COOKIE);
  const secret = cookieSecret && SECRET_FORMAT.test(cookieSecret) ? cookieSecret : undefined;
  if (secret) hashes.push(hash(`secret:${secret}`));
  if (identityHash) return { hashes, ownerHash: identityHash };
  if (secret) return { hashes, ownerHash: hash(`secret:${secret}`) };

  const fresh = randomBytes(32).toString("base64url");
  const secure = new URL(request.url).protocol === "https:" ? "; Secure" : "";
  return {
    hashes,
    ownerHash: hash(`secret:${fresh}`),
    setCookie: `${OWNER_COOKIE}=${fresh}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${COOKIE_MAX_AGE_S}${secure}`,
  };
}

/** Whether `requester` owns a chat whose stored owner is `ownerHash`. */
export function ownsChat(ownerHash: string | null, requester: Requester): boolean {
  return ownerHash !== null && requester.hashes.includes(ownerHash);
}

/**
 * Whether `requester` may write to the chat (add turns, regenerate, share): its owner may; a chat
 * made before ownership existed becomes the first writer's (atomically: two browsers cannot both
 * claim it). The caller sends `requester.setCookie` when this made a new secret the owner.
 */
export async function mayWriteChat(
  store: Pick<ChatStore, "claimChat">,
  chat: Pick<StoredChat, "id" | "ownerHash">,
  requester: Requester,
): Promise<boolean> {
  if (ownsChat(chat.ownerHash, requester)) return true;
  return chat.ownerHash === null && (await store.claimChat(chat.id, requester.ownerHash));
}

export const NOT_CHAT_OWNER_MESSAGE = "This chat belongs to another browser; copy it to continue.";

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function readCookie(header: string | null, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}
