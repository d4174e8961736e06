/**
 * Every id Kiln stores (chats, messages, shares): 128 random bits, base64url without padding, so
 * always 22 characters of [A-Za-z0-9_-]. Unguessable: knowing an id is what gives access to a chat.
 */
import { randomBytes } from "node:crypto";

export function newId(): string {
  return randomBytes(16).toString("base64url");
}
