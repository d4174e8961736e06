import type { ActionFunctionArgs } from "@remix-run/node";
import { relayChat } from "../../server/chat-relay.server";
import { refusal } from "../../server/refusal.server";

export function action({ request, context }: ActionFunctionArgs) {
  return relayChat(request, context.kiln, { ip: context.clientIp, gone: context.clientGone });
}

export function loader() {
  return refusal(405, "method_not_allowed", "Use POST to send a chat request.", { Allow: "POST" });
}
