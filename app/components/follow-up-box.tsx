/**
 * The chat page's prompt box: the next prompt, with images. The text lives in the chat machine (so
 * EDIT can put a prompt back); the images stay in the browser until Send, are then uploaded to the
 * chat, and the prompt carries their ids (app/lib/upload-images.ts).
 */
import { useSelector } from "@xstate/react";
import { useState } from "react";
import type { ActorRefFrom } from "xstate";
import type { chatMachine } from "../../machines/chat.machine";
import { DEFAULT_MAX_IMAGE_BYTES } from "../../machines/images";
import type { ModelInfo } from "../../machines/model-info";
import { uploadImages } from "~/lib/upload-images";
import { ImageAttachButton, ImageAttachmentList, imageSupport, useImageAttachments } from "./image-attach";
import { PromptBox } from "./prompt-box";

export function FollowUpBox({
  chat,
  chatId,
  models,
  maxImageBytes = DEFAULT_MAX_IMAGE_BYTES,
  busy,
}: {
  chat: ActorRefFrom<typeof chatMachine>;
  chatId: string;
  models: ModelInfo[];
  maxImageBytes?: number;
  /** A turn is running: the next one waits. */
  busy: boolean;
}) {
  const input = useSelector(chat, (s) => s.context.input);
  const model = useSelector(chat, (s) => s.context.model);
  const images = useImageAttachments({ maxBytes: maxImageBytes });
  // The upload in flight and its failure: the one piece of this box the machine does not own, as it
  // happens before the turn exists.
  const [uploading, setUploading] = useState(false);
  const [failure, setFailure] = useState<string>();
  const modelAvailable = models.some((m) => m.id === model && m.available);
  const support = imageSupport(models.find((m) => m.id === model));
  const imagesBlocked = images.files.length > 0 && !support.accepted;

  async function send() {
    if (images.files.length === 0) return chat.send({ type: "SUBMIT" });
    setUploading(true);
    setFailure(undefined);
    const uploaded = await uploadImages(chatId, images.files);
    setUploading(false);
    if (!uploaded.ok) return setFailure(uploaded.message);
    images.clear();
    chat.send({ type: "SUBMIT", images: uploaded.ids });
  }

  return (
    <>
      <PromptBox
        label="Ask for a change"
        placeholder="Make the buttons bigger…"
        value={input}
        onChange={(text) => chat.send({ type: "TYPE", text })}
        onSubmit={() => void send()}
        disabled={busy || uploading || !modelAvailable || imagesBlocked}
        onFiles={images.add}
        attachments={<ImageAttachmentList images={images} note={support.note} />}
      >
        <ImageAttachButton images={images} disabled={busy || uploading} />
      </PromptBox>
      {failure && (
        <p className="form-error" role="alert">
          {failure}
        </p>
      )}
    </>
  );
}
