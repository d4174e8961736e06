import { crc32 } from "node:zlib";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { declaredImageType, intakeImage, MAX_IMAGE_SIDE, sniffImageType } from "./image-intake.server";

/** A plain red picture, as the format asks, with whatever metadata a phone would add. */
function picture(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } } });
}

const PHONE_EXIF = {
  IFD0: { Make: "Pixelphone", Model: "Pixelphone 9", Copyright: "Someone" },
  IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 24/1", GPSLongitudeRef: "E", GPSLongitude: "2/1 21/1 3/1" },
};

async function withPhoneMetadata(format: "png" | "jpeg" | "webp") {
  return picture(400, 300).withExif(PHONE_EXIF).withIccProfile("p3").toFormat(format).toBuffer();
}

const accepted = async (bytes: Uint8Array, type: string) => {
  const result = await intakeImage(bytes, type);
  if (!result.ok) throw new Error(`expected the image to be accepted, got ${result.code}`);
  return result.image;
};

describe("intakeImage", () => {
  it.each(["png", "jpeg", "webp"] as const)(
    "strips the EXIF (GPS included) and the ICC profile of a %s and keeps its format",
    async (format) => {
      const input = await withPhoneMetadata(format);
      const before = await sharp(input).metadata();
      expect(before.exif).toBeDefined();
      expect(before.icc).toBeDefined();

      const image = await accepted(input, `image/${format}`);
      expect(image.mediaType).toBe(`image/${format}`);
      const after = await sharp(image.data).metadata();
      expect(after.format).toBe(format);
      expect(after.exif).toBeUndefined();
      expect(after.icc).toBeUndefined();
      expect(after.xmp).toBeUndefined();
      expect(after.iptc).toBeUndefined();
      expect([after.width, after.height]).toEqual([400, 300]);
      expect(image.data.includes(Buffer.from("Pixelphone"))).toBe(false);
    },
  );

  it("turns a photo upright from its EXIF orientation before the orientation is dropped", async () => {
    // Orientation 6: the camera was held sideways; viewers rotate it 90° clockwise.
    const input = await picture(400, 300).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const image = await accepted(input, "image/jpeg");
    expect([image.width, image.height]).toEqual([300, 400]);
    const after = await sharp(image.data).metadata();
    expect(after.orientation).toBeUndefined();
    expect([after.width, after.height]).toEqual([300, 400]);
  });

  it("downscales a 4000×3000 screenshot to 2048×1536, keeping its proportions", async () => {
    const input = await picture(4000, 3000).png().toBuffer();
    const image = await accepted(input, "image/png");
    expect(MAX_IMAGE_SIDE).toBe(2048);
    expect([image.width, image.height]).toEqual([2048, 1536]);
    const after = await sharp(image.data).metadata();
    expect([after.width, after.height]).toEqual([2048, 1536]);
  });

  it("never enlarges a small image", async () => {
    const image = await accepted(await picture(64, 48).webp().toBuffer(), "image/webp");
    expect([image.width, image.height]).toEqual([64, 48]);
  });

  it("refuses a text file renamed .png as unreadable (422)", async () => {
    const result = await intakeImage(Buffer.from("just some notes, saved as notes.png\n"), "image/png");
    expect(result).toMatchObject({ ok: false, status: 422, code: "image_unreadable" });
  });

  it("refuses a JPEG cut off halfway as unreadable (422)", async () => {
    const whole = await picture(400, 300).jpeg().toBuffer();
    const result = await intakeImage(whole.subarray(0, Math.floor(whole.length / 2)), "image/jpeg");
    expect(result).toMatchObject({ ok: false, status: 422, code: "image_unreadable" });
  });

  it("refuses a GIF as unsupported (415), whether it says so or claims to be a PNG", async () => {
    const gif = await picture(40, 30).gif().toBuffer();
    expect(await intakeImage(gif, "image/gif")).toMatchObject({ ok: false, status: 415, code: "unsupported_image_type" });
    expect(await intakeImage(gif, "image/png")).toMatchObject({ ok: false, status: 415, code: "unsupported_image_type" });
  });

  it("refuses a type it does not take before looking at the bytes (415)", async () => {
    const png = await picture(40, 30).png().toBuffer();
    expect(await intakeImage(png, "application/octet-stream")).toMatchObject({ status: 415, code: "unsupported_image_type" });
    expect(await intakeImage(png, null)).toMatchObject({ status: 415, code: "unsupported_image_type" });
  });

  it("goes by the bytes when a JPEG is sent as image/png: stored and served as a JPEG", async () => {
    const image = await accepted(await picture(40, 30).jpeg().toBuffer(), "image/png");
    expect(image.mediaType).toBe("image/jpeg");
    expect((await sharp(image.data).metadata()).format).toBe("jpeg");
  });

  it("refuses a decompression bomb (a tiny PNG declaring 10 000 × 10 000 pixels) without decoding it", async () => {
    const bomb = await declaringSize(await picture(10, 10).png().toBuffer(), 10_000, 10_000);
    expect(bomb.length).toBeLessThan(1_000);
    expect(await intakeImage(bomb, "image/png")).toMatchObject({ ok: false, status: 413, code: "image_too_large" });
  });
});

/** The PNG with its header (IHDR) claiming another size: what a crafted bomb looks like before decoding. */
function declaringSize(png: Buffer, width: number, height: number): Buffer {
  const bomb = Buffer.from(png);
  // Signature (8), IHDR length (4) and type (4), then width and height; the chunk's CRC follows its 13 bytes.
  bomb.writeUInt32BE(width, 16);
  bomb.writeUInt32BE(height, 20);
  bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
  return bomb;
}

describe("declaredImageType", () => {
  it("reads the type from Content-Type, ignoring parameters and case", () => {
    expect(declaredImageType("image/PNG; charset=binary")).toBe("image/png");
    expect(declaredImageType("image/webp")).toBe("image/webp");
    expect(declaredImageType("image/gif")).toBeUndefined();
    expect(declaredImageType(null)).toBeUndefined();
  });
});

describe("sniffImageType", () => {
  it("tells the three formats from other images and from garbage", async () => {
    expect(sniffImageType(await picture(4, 4).png().toBuffer())).toBe("image/png");
    expect(sniffImageType(await picture(4, 4).jpeg().toBuffer())).toBe("image/jpeg");
    expect(sniffImageType(await picture(4, 4).webp().toBuffer())).toBe("image/webp");
    expect(sniffImageType(await picture(4, 4).gif().toBuffer())).toBe("other");
    expect(sniffImageType(await picture(4, 4).tiff().toBuffer())).toBe("other");
    expect(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toBe("other");
    expect(sniffImageType(Buffer.from("hello"))).toBeUndefined();
    expect(sniffImageType(new Uint8Array())).toBeUndefined();
  });
});
