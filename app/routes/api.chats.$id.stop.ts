import type { ActionFunctionArgs } from "@remix-run/node";
import { identifyRequester } from "../../server/chat-owner.server";
import { stopChatGeneration } from "../../server/generations/chat-generation.server";
import { refusal } from "../../server/refusal.server";

/** `POST /api/chats/:id/stop {generation?}`: Stop, for the answer however many pages are attached to it. */
export function action({ request, params, context }: ActionFunctionArgs) {
  const requester = identifyRequester(request, context.kiln.config, context.fromTrustedProxy);
  return stopChatGeneration(request, context.kiln, params.id ?? "", { requester, clientIp: context.clientIp });
}

export function loader() {
  return refusal(405, "method_not_allowed", "Use POST to stop an answer.", { Allow: "POST" });
}
