import type { LoaderFunctionArgs } from "@remix-run/node";
import { imageResponse } from "../../server/images/image-routes.server";

/** `GET /api/chats/:id/images/:imageId`: one of the chat's images, for anyone with the chat's link. */
export function loader({ params, context }: LoaderFunctionArgs) {
  return imageResponse(context.kiln, params.id ?? "", params.imageId ?? "");
}
