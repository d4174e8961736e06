import type { ActionFunctionArgs } from "@remix-run/node";
import { identifyRequester } from "../../server/chat-owner.server";
import { relayChat } from "../../server/chat-relay.server";
import { refusal } from "../../server/refusal.server";

export function action({ request, context }: ActionFunctionArgs) {
  const requester = identifyRequester(request, context.kiln.config, context.fromTrustedProxy);
  return relayChat(request, context.kiln, { ip: context.clientIp, requester, gone: context.clientGone });
}

export function loader() {
  return refusal(405, "method_not_allowed", "Use POST to send a chat request.", { Allow: "POST" });
}
