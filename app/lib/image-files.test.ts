import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_IMAGE_BYTES } from "../../machines/images";
import { checkImageFiles, imageFilesOf } from "./image-files";

const file = (name: string, type: string, size = 10) => new File([new Uint8Array(size)], name, { type });
const limits = { maxBytes: DEFAULT_MAX_IMAGE_BYTES };

describe("checkImageFiles", () => {
  it("accepts PNG, JPEG and WebP screenshots under the size limit", () => {
    const files = [file("a.png", "image/png"), file("b.jpg", "image/jpeg"), file("c.webp", "image/webp")];
    expect(checkImageFiles(files, 0, limits)).toEqual({ accepted: files });
  });

  it("leaves out a GIF, a PDF or a file the browser cannot type, saying why, and keeps the others", () => {
    const png = file("a.png", "image/png");
    expect(checkImageFiles([file("anim.gif", "image/gif"), png, file("doc.pdf", "application/pdf")], 0, limits)).toEqual({
      accepted: [png],
      problem: "“anim.gif” is not a PNG, JPEG or WebP image.",
    });
    expect(checkImageFiles([file("", "")], 0, limits).problem).toBe("This file is not a PNG, JPEG or WebP image.");
  });

  it("leaves out an image over the server's limit, naming the limit", () => {
    const result = checkImageFiles([file("huge.png", "image/png", 2_000_001)], 0, { maxBytes: 2 * 1024 * 1024 - 100_000 });
    expect(result).toEqual({ accepted: [], problem: "“huge.png” is larger than 1997 kB; attach a smaller image." });
    expect(checkImageFiles([file("big.png", "image/png", DEFAULT_MAX_IMAGE_BYTES + 1)], 0, limits).problem).toBe(
      "“big.png” is larger than 5 MB; attach a smaller image.",
    );
  });

  it("stops at four images a message, counting those already attached", () => {
    const files = [1, 2, 3].map((n) => file(`${n}.png`, "image/png"));
    expect(checkImageFiles(files, 2, limits)).toEqual({
      accepted: files.slice(0, 2),
      problem: "A message can carry at most 4 images.",
    });
  });
});

describe("imageFilesOf", () => {
  it("lists the files of a drop or paste, and none when there are none", () => {
    const png = file("a.png", "image/png");
    expect(imageFilesOf({ files: [png] })).toEqual([png]);
    expect(imageFilesOf({ files: null })).toEqual([]);
    expect(imageFilesOf(null)).toEqual([]);
  });
});
