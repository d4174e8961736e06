/**
 * What the browser and the server agree on about images attached to a prompt (docs/wire-protocol.md,
 * "Images"; docs/decisions/011-images.md). Pure.
 */

/** The formats Kiln takes: what every vision model reads, and what sharp re-encodes without a codec of its own. */
export const IMAGE_MEDIA_TYPES = ["image/png", "image/jpeg", "image/webp"] as const;

export type ImageMediaType = (typeof IMAGE_MEDIA_TYPES)[number];

export function isImageMediaType(value: string): value is ImageMediaType {
  return (IMAGE_MEDIA_TYPES as readonly string[]).includes(value);
}

/**
 * A screenshot or two is what the feature is for; OpenAI, Together and vLLM take more, but every image
 * costs the model's context and the database a few MB, so the request stays small.
 */
export const MAX_IMAGES_PER_MESSAGE = 4;

/** `KILN_MAX_IMAGE_BYTES` unset: 5 MiB holds a full-page Retina PNG screenshot. */
export const DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/** A size limit as both sides say it: whole mebibytes as MB (5242880 → "5 MB"), anything else in kB. */
export function formatImageSize(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MB` : `${Math.round(bytes / 1000)} kB`;
}

/** `POST /api/chats/:id/images`'s answer: the stored image, after it was cleaned and perhaps downscaled. */
export interface UploadedImage {
  id: string;
  mediaType: ImageMediaType;
  width: number;
  height: number;
  /** The stored size, after re-encoding. */
  bytes: number;
}

/** Where the browser reads an image of a chat (`GET /api/chats/:id/images/:imageId`). */
export function imageUrl(chatId: string, imageId: string): string {
  return `/api/chats/${encodeURIComponent(chatId)}/images/${encodeURIComponent(imageId)}`;
}
