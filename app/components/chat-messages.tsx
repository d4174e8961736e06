import { useSelector } from "@xstate/react";
import { useMemo } from "react";
import type { ActorRefFrom } from "xstate";
import { extractReply } from "../../machines/code-fence";
import type { chatMachine } from "../../machines/chat.machine";
import { selectDraftReply } from "../../machines/chat.selectors";
import type { ChatMessage } from "../../machines/conversation";
import { imageUrl } from "../../machines/images";
import { versionNumberOf } from "../../machines/versions";
import { settledMarkdown } from "../lib/settled-markdown";
import { Markdown } from "./markdown";
import type { Receipt } from "../../machines/receipt";
import { VersionReceipt } from "./version-receipt";

/**
 * The conversation column. The model's explanation is rendered as Markdown (app/components/markdown.tsx: never
 * as HTML); the user's messages and the reasoning stay plain text (React escapes them), a prompt's
 * images as thumbnails that open the image. The code itself lives in the code view, so answers show
 * a version chip in its place.
 */
export function ChatMessages({ chat }: { chat: ActorRefFrom<typeof chatMachine> }) {
  const messages = useSelector(chat, (s) => s.context.messages);
  const versions = useSelector(chat, (s) => s.context.versions);
  const draft = useSelector(chat, selectDraftReply);
  const connecting = useSelector(chat, (s) => s.matches({ active: "requesting" }));
  // Only the streaming turn's reasoning is shown; the answer is what stays in the conversation.
  const reasoning = useSelector(chat, (s) => (s.hasTag("active") ? s.context.reasoning : ""));
  const chatId = useSelector(chat, (s) => s.context.chatId);

  return (
    <ol className="messages" aria-label="Conversation">
      {messages.map((message, index) => (
        <MessageItem key={index} message={message} version={versionNumberOf(versions, index)} chatId={chatId} />
      ))}
      {connecting && !reasoning && (
        <li className="message assistant pending" aria-label="Waiting for the answer">
          <span className="dots">Thinking</span>
        </li>
      )}
      {reasoning && (
        <li className="message assistant reasoning" data-testid="reasoning">
          <details>
            <summary>{draft ? "Reasoning" : "Thinking…"}</summary>
            <p className="reasoning-text">{reasoning}</p>
          </details>
        </li>
      )}
      {draft && (
        <li className="message assistant streaming" data-testid="streaming-answer">
          {/* Only the part still streaming can end in half-written Markdown: hold that back (settledMarkdown). */}
          <ReplyText
            before={draft.fence === "none" ? settledMarkdown(draft.before) : draft.before}
            after={draft.fence === "closed" ? settledMarkdown(draft.after) : draft.after}
            chip={draft.fence === "none" ? null : draft.fence === "open" ? "Writing App.tsx…" : `Version ${versions.length + 1}`}
          />
        </li>
      )}
    </ol>
  );
}

function MessageItem({ message, version, chatId }: { message: ChatMessage; version?: number; chatId?: string }) {
  const reply = useMemo(() => extractReply(message.content), [message]);
  if (message.role === "user") {
    // A follow-up on an older version carries that version's code: show the request, not the code.
    const text = reply && reply.fence === "closed" ? reply.after : message.content;
    return (
      <li className="message user">
        {text !== message.content && <span className="version-chip">on an earlier version</span>}
        {text}
        {chatId && message.images && message.images.length > 0 && <MessageImages chatId={chatId} ids={message.images} />}
      </li>
    );
  }
  const chip = reply.fence !== "none" ? (version ? `Version ${version}` : "Incomplete code") : null;
  return (
    <li className={`message assistant ${message.state}`} data-state={message.state}>
      <ReplyText before={reply.before} after={reply.after} chip={chip} receipt={version ? message.receipt : undefined} />
      {message.state === "stopped" && <p className="message-note">Stopped by you; this answer is incomplete.</p>}
      {message.state === "failed" && <p className="message-note">The answer broke off here.</p>}
    </li>
  );
}

/** A prompt's images, served by Kiln (`GET /api/chats/:id/images/:imageId`); each opens full size in a new tab. */
function MessageImages({ chatId, ids }: { chatId: string; ids: string[] }) {
  return (
    <ul className="message-images" aria-label="Attached images">
      {ids.map((id, index) => (
        <li key={id}>
          <a href={imageUrl(chatId, id)} target="_blank" rel="noreferrer">
            <img src={imageUrl(chatId, id)} alt={`Attached image ${index + 1}`} loading="lazy" />
          </a>
        </li>
      ))}
    </ul>
  );
}

function ReplyText({
  before,
  after,
  chip,
  receipt,
}: {
  before: string;
  after: string;
  chip: string | null;
  /** What it took to make the version: shown under its chip. */
  receipt?: Receipt;
}) {
  return (
    <>
      {before && <Markdown className="reply-text" text={before} />}
      {chip && <span className="version-chip">{chip}</span>}
      {receipt && <VersionReceipt receipt={receipt} />}
      {after && <Markdown className="reply-text" text={after} />}
    </>
  );
}
