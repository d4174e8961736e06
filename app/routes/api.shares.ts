import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { versionsOf } from "../../machines/versions";
import { readJsonWrite, refusal } from "../../server/refusal.server";

const shareSchema = z.object({ chatId: z.string().min(1).max(100), version: z.number().int().min(1) });

/**
 * `POST /api/shares {chatId, version}` → 201 `{id, url}`: publishes one version of a chat, read-only,
 * at /share/:id. Versions are numbered by the same rule as in the browser (machines/versions.ts).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const input = await readJsonWrite(request, context.kiln, shareSchema);
  if (!input.ok) return input.response;
  const { store } = context.kiln;
  if (!(await store.getChat(input.body.chatId))) return refusal(404, "chat_not_found", "There is no chat with this id.");
  const messages = await store.listMessages(input.body.chatId);
  const version = versionsOf(messages)[input.body.version - 1];
  if (!version) return refusal(404, "version_not_found", `This chat has no version ${input.body.version}.`);
  const share = await store.createShare(messages[version.messageIndex].id);
  return Response.json({ id: share.id, url: `/share/${share.id}` }, { status: 201 });
}
