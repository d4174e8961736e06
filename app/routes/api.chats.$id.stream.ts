import type { LoaderFunctionArgs } from "@remix-run/node";
import { identifyRequester } from "../../server/chat-owner.server";
import { attachToChatGeneration } from "../../server/generations/chat-generation.server";

/** `GET /api/chats/:id/stream[?generation=…]`: the chat's running answer, from after `Last-Event-ID`. */
export function loader({ request, params, context }: LoaderFunctionArgs) {
  const requester = identifyRequester(request, context.kiln.config, context.fromTrustedProxy);
  return attachToChatGeneration(request, context.kiln, params.id ?? "", {
    requester,
    clientIp: context.clientIp,
    gone: context.clientGone,
  });
}
