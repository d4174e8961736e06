import { describe, expect, it } from "vitest";
import { formatImageSize, imageUrl, isImageMediaType } from "./images";

describe("images", () => {
  it("takes PNG, JPEG and WebP, nothing else", () => {
    expect(["image/png", "image/jpeg", "image/webp"].every(isImageMediaType)).toBe(true);
    expect(["image/gif", "image/svg+xml", "image/jpg", ""].some(isImageMediaType)).toBe(false);
  });

  it("says a size limit in whole MB, anything else in kB", () => {
    expect(formatImageSize(5 * 1024 * 1024)).toBe("5 MB");
    expect(formatImageSize(1_500_000)).toBe("1500 kB");
  });

  it("builds an image's address from its chat and id, escaped", () => {
    expect(imageUrl("abc_-1", "x/y")).toBe("/api/chats/abc_-1/images/x%2Fy");
  });
});
