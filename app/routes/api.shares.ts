import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { versionsOf } from "../../machines/versions";
import { crossSiteRefusal, refusal } from "../../server/refusal.server";

const shareSchema = z.object({ chatId: z.string().min(1).max(100), version: z.number().int().min(1) });

/**
 * `POST /api/shares {chatId, version}` → 201 `{id, url}`: publishes one version of a chat, read-only,
 * at /share/:id. Versions are numbered by the same rule as in the browser (machines/versions.ts).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return refusal(405, "method_not_allowed", "Use POST to share a version.", { Allow: "POST" });
  const crossSite = crossSiteRefusal(request, context.kiln);
  if (crossSite) return crossSite;
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return refusal(400, "bad_json", "The request body is not valid JSON.");
  }
  const parsed = shareSchema.safeParse(body);
  if (!parsed.success) return refusal(400, "bad_request", "Invalid request: send chatId and a version number.");
  const { store } = context.kiln;
  if (!(await store.getChat(parsed.data.chatId))) return refusal(404, "chat_not_found", "There is no chat with this id.");
  const messages = await store.listMessages(parsed.data.chatId);
  const version = versionsOf(messages)[parsed.data.version - 1];
  if (!version) return refusal(404, "version_not_found", `This chat has no version ${parsed.data.version}.`);
  const share = await store.createShare(messages[version.messageIndex].id);
  return Response.json({ id: share.id, url: `/share/${share.id}` }, { status: 201 });
}
