/**
 * The prompt box's images: a file picker button, the thumbnails with a remove button each, and the
 * reason a file was left out. Files also arrive by drop and paste, which the prompt box passes to
 * `add` (app/components/prompt-box.tsx). The files stay in the browser until the prompt is sent:
 * then app/lib/upload-images.ts uploads them to the chat and the prompt carries their ids.
 */
import { useEffect, useRef, useState } from "react";
import type { ModelInfo } from "../../machines/model-info";
import { ACCEPTED_IMAGE_TYPES, checkImageFiles, type ImageFileLimits } from "~/lib/image-files";

export interface Attachment {
  key: string;
  file: File;
  /** An object URL of the file, for its thumbnail; revoked when it is removed. */
  url: string;
}

export interface ImageAttachments {
  attachments: Attachment[];
  files: File[];
  /** Why the last files offered were not all attached. */
  problem?: string;
  add(files: File[]): void;
  remove(key: string): void;
  clear(): void;
}

/**
 * The images attached to the prompt being written. Form state of the prompt box, like its text on
 * the home page; the conversation's images live with its messages once sent.
 */
export function useImageAttachments(limits: ImageFileLimits): ImageAttachments {
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [problem, setProblem] = useState<string>();
  const nextKey = useRef(0);
  // The object URLs still in use, so that leaving the page frees them.
  const urls = useRef(new Set<string>());
  useEffect(() => {
    const live = urls.current;
    return () => live.forEach((url) => URL.revokeObjectURL(url));
  }, []);

  const forget = (gone: Attachment[]) =>
    gone.forEach(({ url }) => {
      URL.revokeObjectURL(url);
      urls.current.delete(url);
    });

  return {
    attachments,
    files: attachments.map((attachment) => attachment.file),
    problem,
    add(files) {
      const checked = checkImageFiles(files, attachments.length, limits);
      const added = checked.accepted.map((file) => {
        const url = URL.createObjectURL(file);
        urls.current.add(url);
        return { key: String(nextKey.current++), file, url };
      });
      setAttachments((current) => [...current, ...added]);
      setProblem(checked.problem);
    },
    remove(key) {
      forget(attachments.filter((attachment) => attachment.key === key));
      setAttachments((current) => current.filter((attachment) => attachment.key !== key));
      setProblem(undefined);
    },
    clear() {
      forget(attachments);
      setAttachments([]);
      setProblem(undefined);
    },
  };
}

/** The file picker: a button that opens the system's chooser, PNG, JPEG and WebP only. */
export function ImageAttachButton({ images, disabled }: { images: ImageAttachments; disabled?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className="attach-image"
        aria-label="Attach an image"
        title="Attach an image (PNG, JPEG or WebP), or drop or paste one into the box"
        disabled={disabled}
        onClick={() => input.current?.click()}
      >
        <span aria-hidden="true">+</span> Image
      </button>
      <input
        ref={input}
        type="file"
        accept={ACCEPTED_IMAGE_TYPES}
        multiple
        hidden
        tabIndex={-1}
        onChange={(event) => {
          images.add([...(event.target.files ?? [])]);
          // The same file picked again after its removal must fire change again.
          event.target.value = "";
        }}
      />
    </>
  );
}

/** The attached images as thumbnails, each with its remove button, and why a file was left out. */
export function ImageAttachmentList({ images, note }: { images: ImageAttachments; note?: string }) {
  if (images.attachments.length === 0 && !images.problem) return null;
  return (
    <div className="image-attachments">
      {images.attachments.length > 0 && (
        <ul className="image-thumbnails" aria-label="Attached images">
          {images.attachments.map(({ key, file, url }) => (
            <li key={key}>
              <img src={url} alt={file.name || "Attached image"} />
              <button
                type="button"
                className="remove-image"
                aria-label={`Remove ${file.name || "this image"}`}
                onClick={() => images.remove(key)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {images.attachments.length > 0 && note && <p className="image-note">{note}</p>}
      {images.problem && (
        <p className="form-error" role="alert">
          {images.problem}
        </p>
      )}
    </div>
  );
}

/**
 * What happens to images with this model (GET /api/models): it reads them, another model describes
 * them first, or it cannot take them at all (the server would refuse with `model_cannot_see`).
 */
export function imageSupport(model: ModelInfo | undefined): { accepted: boolean; note?: string } {
  if (!model || model.vision) return { accepted: true };
  if (model.imagesDescribedBy)
    return { accepted: true, note: `This model cannot read images: ${model.imagesDescribedBy} describes them to it first.` };
  return { accepted: false, note: "This model cannot read images; choose a vision model, or remove the images." };
}
