import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { identifyRequester } from "../../server/chat-owner.server";
import { readJsonWrite, refusal } from "../../server/refusal.server";

const newChatSchema = z.object({
  model: z.string().min(1).max(200),
  title: z.string().trim().min(1).max(200),
  /** "Continue in my own chat": the chat whose conversation the new one starts with. */
  forkOf: z.string().min(1).max(100).optional(),
});

/**
 * `POST /api/chats {model, title, forkOf?}` → 201 `{id}`: a new chat owned by the browser (or
 * identity) that made it; its URL is the only key to read it. With `forkOf`, it starts as a copy of
 * that chat's conversation: anyone who can read a chat may continue it in a copy of their own.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const input = await readJsonWrite(request, context.kiln, newChatSchema, { kind: "chats", clientIp: context.clientIp });
  if (!input.ok) return input.response;
  const { store, providers, config } = context.kiln;
  const resolved = providers.resolve(input.body.model);
  if (!resolved.ok && resolved.code === "unknown_model") return refusal(404, resolved.code, resolved.message);
  const original = input.body.forkOf === undefined ? [] : await store.listMessages(input.body.forkOf);
  if (input.body.forkOf !== undefined && !(await store.getChat(input.body.forkOf))) {
    return refusal(404, "chat_not_found", "There is no chat with this id.");
  }
  const requester = identifyRequester(request, config, context.fromTrustedProxy);
  const chat = await store.createChat({
    title: input.body.title.slice(0, 120),
    model: input.body.model,
    ownerHash: requester.ownerHash,
  });
  // Copied in order; an unfinished last answer is copied as it is (failed or stopped), as the reader saw it.
  for (const message of original) {
    const { role, content, state, provider, model } = message;
    await store.appendMessage({ chatId: chat.id, role, content, state, provider, model });
  }
  const headers: Record<string, string> = requester.setCookie ? { "Set-Cookie": requester.setCookie } : {};
  return Response.json({ id: chat.id }, { status: 201, headers });
}
