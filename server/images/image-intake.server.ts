/**
 * What an uploaded image goes through before it is stored (docs/decisions/011-images.md): the bytes
 * must be a PNG, JPEG or WebP (by their magic bytes, not only the declared type), decode whole, and
 * come out upright, downscaled and re-encoded with no metadata at all: a phone's screenshot or photo
 * carries EXIF with the device, the time and often GPS coordinates, which must not be kept in a chat
 * that anyone with its link may read. The HTTP route (app/routes/api.chats.$id.images.ts) only reads
 * the body and answers what this says.
 */
import sharp, { type FormatEnum } from "sharp";
import { isImageMediaType, type ImageMediaType } from "../../machines/images";

/**
 * The longest side kept. OpenAI fits every image into 2048×2048 before it looks at it (and then to
 * 768 px on the short side), Llama 4 and Qwen2.5-VL tile or patch what they get: pixels past 2048 only
 * make every request and the database heavier, while 2048 still keeps a screenshot's text legible.
 */
export const MAX_IMAGE_SIDE = 2048;

/**
 * Decompression bombs: a few kB of PNG can declare 100 000 × 100 000 pixels, tens of GB once decoded.
 * sharp refuses past this before decoding anything. 64 megapixels holds an 8000 × 8000 photo or a
 * 1440 × 40 000 full-page screenshot.
 */
export const MAX_INPUT_PIXELS = 64_000_000;

/** JPEG and WebP quality: no visible loss on screenshots (text, flat colours) at about a third of the size of 100. */
const LOSSY_QUALITY = 85;

export interface CleanImage {
  mediaType: ImageMediaType;
  data: Buffer;
  width: number;
  height: number;
}

export type IntakeFailure = {
  ok: false;
  status: 413 | 415 | 422;
  code: "unsupported_image_type" | "image_unreadable" | "image_too_large";
  message: string;
};

export type IntakeResult = { ok: true; image: CleanImage } | IntakeFailure;

export const UNSUPPORTED_IMAGE_MESSAGE = "Attach a PNG, JPEG or WebP image; other formats are not accepted.";
export const UNREADABLE_IMAGE_MESSAGE = "This file could not be read as an image; it may be damaged or not an image at all.";

const unsupported = (message = UNSUPPORTED_IMAGE_MESSAGE): IntakeFailure => ({
  ok: false,
  status: 415,
  code: "unsupported_image_type",
  message,
});
const unreadable = (): IntakeFailure => ({ ok: false, status: 422, code: "image_unreadable", message: UNREADABLE_IMAGE_MESSAGE });

/**
 * `Content-Type: image/png; charset=…` → `image/png`; undefined when it names no type Kiln takes.
 * Browsers derive a file's type from its name, so it is a claim the bytes are checked against.
 */
export function declaredImageType(contentType: string | null): ImageMediaType | undefined {
  const type = contentType?.split(";")[0].trim().toLowerCase() ?? "";
  return isImageMediaType(type) ? type : undefined;
}

/** Formats recognised by their first bytes; `other` is an image Kiln does not take, told apart from garbage. */
export function sniffImageType(bytes: Uint8Array): ImageMediaType | "other" | undefined {
  const starts = (...signature: number[]) => signature.every((byte, index) => bytes[index] === byte);
  const ascii = (offset: number, text: string) => [...text].every((char, index) => bytes[offset + index] === char.charCodeAt(0));
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return "image/webp";
  const other =
    ascii(0, "GIF87a") ||
    ascii(0, "GIF89a") ||
    ascii(0, "BM") ||
    starts(0x49, 0x49, 0x2a, 0x00) || // TIFF, little-endian
    starts(0x4d, 0x4d, 0x00, 0x2a) || // TIFF, big-endian
    starts(0x00, 0x00, 0x01, 0x00) || // ICO
    ascii(4, "ftyp") || // HEIC, AVIF
    /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/i.test(Buffer.from(bytes.subarray(0, 256)).toString("latin1"));
  return other ? "other" : undefined;
}

/**
 * Checks, decodes and cleans one uploaded image. The declared type must be one Kiln takes; the bytes
 * decide the format (a JPEG saved as `.png` is still a JPEG, and is stored and served as one).
 */
export async function intakeImage(bytes: Uint8Array, contentType: string | null): Promise<IntakeResult> {
  if (!declaredImageType(contentType)) return unsupported();
  const sniffed = sniffImageType(bytes);
  if (sniffed === "other") return unsupported();
  if (sniffed === undefined) return unreadable();
  try {
    // failOn "error": damaged pixel data (a truncated file) fails; warnings many cameras' files carry do not.
    const { data, info } = await sharp(bytes, { failOn: "error", limitInputPixels: MAX_INPUT_PIXELS })
      // EXIF's orientation applied to the pixels, since the EXIF that said it is about to go.
      .autoOrient()
      .resize({ width: MAX_IMAGE_SIDE, height: MAX_IMAGE_SIDE, fit: "inside", withoutEnlargement: true })
      // sharp writes no metadata unless asked (no keepMetadata/withMetadata here): no EXIF, GPS, XMP,
      // IPTC, ICC profile (the pixels are converted to sRGB) or PNG text chunks survive.
      .toFormat(FORMATS[sniffed], sniffed === "image/png" ? {} : { quality: LOSSY_QUALITY })
      .toBuffer({ resolveWithObject: true });
    return { ok: true, image: { mediaType: sniffed, data, width: info.width, height: info.height } };
  } catch (error) {
    if (/pixel limit/i.test((error as Error).message)) {
      return {
        ok: false,
        status: 413,
        code: "image_too_large",
        message: `This image has more than ${MAX_INPUT_PIXELS / 1_000_000} million pixels; attach a smaller one.`,
      };
    }
    return unreadable();
  }
}

const FORMATS = { "image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp" } as const satisfies Record<
  ImageMediaType,
  keyof FormatEnum
>;
