import type { ActionFunctionArgs } from "@remix-run/node";
import { identifyRequester } from "../../server/chat-owner.server";
import { receiveImageUpload } from "../../server/images/image-routes.server";
import { refusal } from "../../server/refusal.server";

/** `POST /api/chats/:id/images`, the raw image as the body → 201 `{ id, mediaType, width, height, bytes }`. */
export function action({ request, params, context }: ActionFunctionArgs) {
  const requester = identifyRequester(request, context.kiln.config, context.fromTrustedProxy);
  return receiveImageUpload(request, context.kiln, { chatId: params.id ?? "", requester, clientIp: context.clientIp });
}

export function loader() {
  return refusal(405, "method_not_allowed", "Use POST to upload an image.", { Allow: "POST" });
}
