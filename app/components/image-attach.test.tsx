import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { ModelInfo } from "../../machines/model-info";
import { ImageAttachButton, ImageAttachmentList, imageSupport, type ImageAttachments } from "./image-attach";

function attached(names: string[], problem?: string): ImageAttachments {
  const attachments = names.map((name, index) => ({
    key: String(index),
    file: new File(["x"], name, { type: "image/png" }),
    url: `blob:kiln/${index}`,
  }));
  return { attachments, files: attachments.map((a) => a.file), problem, add: () => {}, remove: () => {}, clear: () => {} };
}

const model = (extra: Partial<ModelInfo>): ModelInfo => ({
  id: "m",
  label: "M",
  provider: "p",
  providerLabel: "P",
  available: true,
  health: "reachable",
  ...extra,
});

describe("ImageAttachButton", () => {
  it("is a labelled button with a file input for PNG, JPEG and WebP only", () => {
    const html = renderToStaticMarkup(<ImageAttachButton images={attached([])} />);
    expect(html).toContain('aria-label="Attach an image"');
    expect(html).toMatch(/<input[^>]*type="file"[^>]*accept="image\/png,image\/jpeg,image\/webp"[^>]*multiple/);
  });
});

describe("ImageAttachmentList", () => {
  it("shows nothing while no image is attached and nothing went wrong", () => {
    expect(renderToStaticMarkup(<ImageAttachmentList images={attached([])} />)).toBe("");
  });

  it("shows each image as a thumbnail named by its file, with a remove button naming it, and the model's note", () => {
    const html = renderToStaticMarkup(
      <ImageAttachmentList images={attached(["login.png", "home.png"])} note="Vision describes them first." />,
    );
    expect(html).toContain('aria-label="Attached images"');
    expect(html).toContain('<img src="blob:kiln/0" alt="login.png"/>');
    expect(html).toContain('aria-label="Remove home.png"');
    expect(html).toContain("Vision describes them first.");
  });

  it("says why a file was left out, as an alert", () => {
    const html = renderToStaticMarkup(<ImageAttachmentList images={attached([], "“a.gif” is not a PNG, JPEG or WebP image.")} />);
    expect(html).toContain('role="alert"');
    expect(html).toContain("is not a PNG, JPEG or WebP image.");
  });
});

describe("imageSupport", () => {
  it("lets a vision model take images as they are, and says who describes them for a text-only one", () => {
    expect(imageSupport(model({ vision: true }))).toEqual({ accepted: true });
    expect(imageSupport(model({ imagesDescribedBy: "GPT-4o" }))).toEqual({
      accepted: true,
      note: "This model cannot read images: GPT-4o describes them to it first.",
    });
  });

  it("refuses images for a text-only model when nothing can describe them", () => {
    expect(imageSupport(model({}))).toMatchObject({ accepted: false, note: expect.stringContaining("cannot read images") });
  });
});
