/**
 * The browser's checks on images a user attaches, before anything is uploaded: the type and size
 * the server takes (machines/images.ts), and how many one prompt may carry. The server checks again
 * (and the bytes, which the browser cannot); these only spare the user a round trip. Pure.
 */
import { formatImageSize, IMAGE_MEDIA_TYPES, isImageMediaType, MAX_IMAGES_PER_MESSAGE } from "../../machines/images";

export interface ImageFileLimits {
  /** The server's KILN_MAX_IMAGE_BYTES, when the page knows it; else the default. */
  maxBytes: number;
  maxCount?: number;
}

export interface CheckedImageFiles {
  /** The files that pass, in order, up to what the prompt still has room for. */
  accepted: File[];
  /** One sentence on the first file left out, if any. */
  problem?: string;
}

/** The image files of a drop or a paste (text and other files are left to the browser). */
export function imageFilesOf(items: { files?: FileList | File[] | null } | null): File[] {
  return [...(items?.files ?? [])];
}

export const ACCEPTED_IMAGE_TYPES = IMAGE_MEDIA_TYPES.join(",");

/** Which of `files` may join the `alreadyAttached` ones. */
export function checkImageFiles(files: File[], alreadyAttached: number, limits: ImageFileLimits): CheckedImageFiles {
  const maxCount = limits.maxCount ?? MAX_IMAGES_PER_MESSAGE;
  const accepted: File[] = [];
  let problem: string | undefined;
  for (const file of files) {
    const name = file.name ? `“${file.name}”` : "This file";
    let why: string | undefined;
    if (!isImageMediaType(file.type)) why = `${name} is not a PNG, JPEG or WebP image.`;
    else if (file.size > limits.maxBytes)
      why = `${name} is larger than ${formatImageSize(limits.maxBytes)}; attach a smaller image.`;
    else if (alreadyAttached + accepted.length >= maxCount) why = `A message can carry at most ${maxCount} images.`;
    if (why) problem ??= why;
    else accepted.push(file);
  }
  return { accepted, ...(problem ? { problem } : {}) };
}
