import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { extractReply } from "../../machines/code-fence";
import { versionsOf } from "../../machines/versions";
import { identifyRequester, mayWriteChat, NOT_CHAT_OWNER_MESSAGE } from "../../server/chat-owner.server";
import { readJsonWrite, refusal } from "../../server/refusal.server";

const shareSchema = z.object({ chatId: z.string().min(1).max(100), version: z.number().int().min(1) });

/**
 * `POST /api/shares {chatId, version}` → 201 `{id, url}`: publishes a frozen, read-only snapshot of
 * one version of a chat at /share/:id; only the chat's owner may. Versions are numbered by the same
 * rule as in the browser (machines/versions.ts). Nothing done to the chat later changes the link.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const input = await readJsonWrite(request, context.kiln, shareSchema, { kind: "shares", clientIp: context.clientIp });
  if (!input.ok) return input.response;
  const { store, config } = context.kiln;
  const chat = await store.getChat(input.body.chatId);
  if (!chat) return refusal(404, "chat_not_found", "There is no chat with this id.");
  const requester = identifyRequester(request, config, context.fromTrustedProxy);
  if (!(await mayWriteChat(store, chat, requester))) return refusal(403, "not_chat_owner", NOT_CHAT_OWNER_MESSAGE);
  const messages = await store.listMessages(chat.id);
  const version = versionsOf(messages)[input.body.version - 1];
  if (!version) return refusal(404, "version_not_found", `This chat has no version ${input.body.version}.`);
  const message = messages[version.messageIndex];
  const share = await store.createShare(message.id, {
    code: version.code,
    title: chat.title,
    // The model's explanation, as plain text for the page's description.
    summary: extractReply(message.content).before.replace(/\s+/g, " ").trim().slice(0, 200),
    model: message.model,
    version: input.body.version,
  });
  const headers: Record<string, string> = requester.setCookie ? { "Set-Cookie": requester.setCookie } : {};
  return Response.json({ id: share.id, url: `/share/${share.id}` }, { status: 201, headers });
}
