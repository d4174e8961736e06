import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { readJsonWrite, refusal } from "../../server/refusal.server";

const newChatSchema = z.object({
  model: z.string().min(1).max(200),
  title: z.string().trim().min(1).max(200),
});

/** `POST /api/chats {model, title}` → 201 `{id}`: a new, empty chat; its URL is the only key to it. */
export async function action({ request, context }: ActionFunctionArgs) {
  const input = await readJsonWrite(request, context.kiln, newChatSchema);
  if (!input.ok) return input.response;
  const resolved = context.kiln.providers.resolve(input.body.model);
  if (!resolved.ok && resolved.code === "unknown_model") return refusal(404, resolved.code, resolved.message);
  const chat = await context.kiln.store.createChat({ title: input.body.title.slice(0, 120), model: input.body.model });
  return Response.json({ id: chat.id }, { status: 201 });
}
