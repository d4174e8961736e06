import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { crossSiteRefusal, refusal } from "../../server/refusal.server";

const newChatSchema = z.object({
  model: z.string().min(1).max(200),
  title: z.string().trim().min(1).max(200),
});

/** `POST /api/chats {model, title}` → 201 `{id}`: a new, empty chat; its URL is the only key to it. */
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return refusal(405, "method_not_allowed", "Use POST to create a chat.", { Allow: "POST" });
  const crossSite = crossSiteRefusal(request, context.kiln);
  if (crossSite) return crossSite;
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return refusal(400, "bad_json", "The request body is not valid JSON.");
  }
  const parsed = newChatSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refusal(400, "bad_request", `Invalid request: ${issue.path.join(".")} ${issue.message.toLowerCase()}.`);
  }
  const resolved = context.kiln.providers.resolve(parsed.data.model);
  if (!resolved.ok && resolved.code === "unknown_model") return refusal(404, resolved.code, resolved.message);
  const chat = await context.kiln.store.createChat({ title: parsed.data.title.slice(0, 120), model: parsed.data.model });
  return Response.json({ id: chat.id }, { status: 201 });
}
