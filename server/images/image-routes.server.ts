/**
 * The HTTP side of a chat's images (docs/wire-protocol.md, "Images"): `POST /api/chats/:id/images`
 * takes one image as the raw body and stores it cleaned (server/images/image-intake.server.ts);
 * `GET /api/chats/:id/images/:imageId` serves it back. The routes in app/routes/ only pass the
 * request on.
 */
import { formatImageSize, type UploadedImage } from "../../machines/images";
import { mayWriteChat, NOT_CHAT_OWNER_MESSAGE, type Requester } from "../chat-owner.server";
import { rateLimitRefusal } from "../rate-limit.server";
import { readBoundedBytes } from "../read-bounded-body";
import { crossSiteRefusal, refusal } from "../refusal.server";
import type { KilnServices } from "../services.server";
import { declaredImageType, intakeImage, UNSUPPORTED_IMAGE_MESSAGE } from "./image-intake.server";

export interface ImageRequestContext {
  chatId: string;
  requester: Requester;
  /** The load context's `clientIp`, for the rate limit. */
  clientIp: string;
}

/**
 * `POST /api/chats/:id/images`, body the image's bytes, `Content-Type: image/png|image/jpeg|image/webp`
 * → 201 UploadedImage. Only the chat's owner may. Cheap checks first (method, site, rate limit, type,
 * declared size), then the chat; the body is read last, never past KILN_MAX_IMAGE_BYTES. Nothing is
 * saved unless the image passes.
 */
export async function receiveImageUpload(
  request: Request,
  services: KilnServices,
  { chatId, requester, clientIp }: ImageRequestContext,
): Promise<Response> {
  if (request.method !== "POST") {
    return refusal(405, "method_not_allowed", "Use POST to upload an image.", { Allow: "POST" });
  }
  const crossSite = crossSiteRefusal(request, services);
  if (crossSite) return crossSite;
  const limited = await rateLimitRefusal(services, "images", clientIp);
  if (limited) return limited;
  // The unread body is still on the socket after these refusals: close it rather than reuse it.
  const unread = { Connection: "close" };
  if (!declaredImageType(request.headers.get("content-type"))) {
    return refusal(415, "unsupported_image_type", UNSUPPORTED_IMAGE_MESSAGE, unread);
  }
  const maxBytes = services.config.maxImageBytes;
  const tooLarge = () =>
    refusal(413, "image_too_large", `The image is larger than the ${formatImageSize(maxBytes)} this server accepts.`, unread);
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge();

  const chat = await services.store.getChat(chatId);
  if (!chat) return refusal(404, "chat_not_found", "There is no chat with this id.", unread);
  if (!(await mayWriteChat(services.store, chat, requester)))
    return refusal(403, "not_chat_owner", NOT_CHAT_OWNER_MESSAGE, unread);

  let bytes: Buffer | undefined;
  try {
    // Not cancelled past the limit: Remix would destroy the socket and the 413 would never arrive.
    bytes = await readBoundedBytes(request.body, maxBytes, { cancel: false });
  } catch {
    // The client went away (or the request timeout cut it) mid-body: nobody reads this answer.
    return refusal(400, "bad_request", "The upload broke off before the whole image arrived.", unread);
  }
  if (bytes === undefined) return tooLarge();
  const intake = await intakeImage(bytes, request.headers.get("content-type"));
  if (!intake.ok) return refusal(intake.status, intake.code, intake.message);

  const saved = await services.store.saveImage({ chatId, ...intake.image });
  const body: UploadedImage = {
    id: saved.id,
    mediaType: saved.mediaType,
    width: saved.width,
    height: saved.height,
    bytes: saved.bytes,
  };
  const headers: Record<string, string> = requester.setCookie ? { "Set-Cookie": requester.setCookie } : {};
  return Response.json(body, { status: 201, headers });
}

/**
 * `GET /api/chats/:id/images/:imageId`: anyone with the chat's link may see its images, as they may
 * read the chat. Served so that the bytes can only ever be an image: the stored type (checked at
 * upload, and the bytes re-encoded in it) with nosniff, and a sandbox policy in case one is opened as
 * a page. An image never changes under its id, so browsers keep it for good.
 */
export async function imageResponse(services: KilnServices, chatId: string, imageId: string): Promise<Response> {
  const image = await services.store.getImage(imageId);
  if (!image || image.chatId !== chatId) return refusal(404, "image_not_found", "This chat has no such image.");
  return new Response(new Uint8Array(image.data), {
    headers: {
      "Content-Type": image.mediaType,
      "Content-Length": String(image.bytes),
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "sandbox",
      // Only Kiln's own pages may embed it: another site cannot show a chat's images, even with the ids.
      "Cross-Origin-Resource-Policy": "same-origin",
      // private: the image is as private as the chat's link; no shared cache keeps it.
      "Cache-Control": "private, max-age=31536000, immutable",
    },
  });
}
