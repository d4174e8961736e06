import { useNavigate } from "@remix-run/react";
import { useEffect, useState } from "react";
import { DEFAULT_MAX_IMAGE_BYTES } from "../../machines/images";
import type { ModelInfo } from "../../machines/model-info";
import { browserStorage, readRecentChats, type RecentChat } from "~/lib/recent-chats";
import { uploadImages } from "~/lib/upload-images";
import { ImageAttachButton, ImageAttachmentList, imageSupport, useImageAttachments } from "./image-attach";
import { ModelPicker } from "./model-picker";
import { PromptBox } from "./prompt-box";
import { SetupNotice } from "./setup-notice";

const EXAMPLES = [
  "A pomodoro timer with a dark theme",
  "A budget tracker with a pie chart of spending by category",
  "A tic-tac-toe game against a simple AI",
  "A habit tracker with a weekly grid",
];

/**
 * The start screen: a prompt (with images, if any), a model, examples and this browser's recent
 * chats. Sending creates a chat, uploads the images to it and opens its page, which streams the
 * answer (the prompt, the model and the images' ids travel in the navigation state).
 */
export function HomeScreen({
  models,
  defaultModel,
  maxImageBytes = DEFAULT_MAX_IMAGE_BYTES,
}: {
  models: ModelInfo[];
  defaultModel: string;
  /** The server's KILN_MAX_IMAGE_BYTES, when the page passes it; the server checks it again anyway. */
  maxImageBytes?: number;
}) {
  const navigate = useNavigate();
  // Form state of this screen only; the chat's state lives in the chat page's machine.
  const [prompt, setPrompt] = useState("");
  const [model, setModel] = useState(defaultModel);
  const [creating, setCreating] = useState(false);
  const [failure, setFailure] = useState<string>();
  const [recent, setRecent] = useState<RecentChat[]>([]);
  useEffect(() => setRecent(readRecentChats(browserStorage())), []);
  const images = useImageAttachments({ maxBytes: maxImageBytes });

  const configured = models.some((m) => m.available);
  const modelAvailable = models.some((m) => m.id === model && m.available);
  const support = imageSupport(models.find((m) => m.id === model));
  const imagesBlocked = images.files.length > 0 && !support.accepted;

  async function start() {
    const text = prompt.trim();
    if (!text) return;
    setCreating(true);
    setFailure(undefined);
    try {
      const response = await fetch("/api/chats", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ model, title: text.split("\n")[0].slice(0, 120) }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body?.error?.message ?? `Kiln's server answered ${response.status}.`);
      const uploaded = await uploadImages(body.id, images.files);
      if (!uploaded.ok) throw new Error(uploaded.message);
      const attached = uploaded.ids.length > 0 ? { images: uploaded.ids } : {};
      navigate(`/chats/${body.id}`, { state: { prompt: text, model, ...attached } });
    } catch (error) {
      setFailure(error instanceof TypeError ? "Kiln's server could not be reached." : (error as Error).message);
      setCreating(false);
    }
  }

  return (
    <main className="home">
      <header className="home-header">
        <h1>
          <span aria-hidden="true">🔥</span> Kiln
        </h1>
        <p>Describe an app. Watch it being written, then use it.</p>
      </header>
      {!configured && <SetupNotice />}
      <PromptBox
        label="Describe your app"
        placeholder="A pomodoro timer with a dark theme…"
        value={prompt}
        onChange={setPrompt}
        onSubmit={start}
        disabled={!modelAvailable || creating || imagesBlocked}
        onFiles={images.add}
        attachments={<ImageAttachmentList images={images} note={support.note} />}
      >
        <ImageAttachButton images={images} disabled={creating} />
        <ModelPicker models={models} value={model} onChange={setModel} />
      </PromptBox>
      {failure && (
        <p className="form-error" role="alert">
          {failure}
        </p>
      )}
      <ul className="examples" aria-label="Examples">
        {EXAMPLES.map((example) => (
          <li key={example}>
            <button type="button" onClick={() => setPrompt(example)}>
              {example}
            </button>
          </li>
        ))}
      </ul>
      {recent.length > 0 && (
        <nav className="recent-chats" aria-label="Your recent chats">
          <h2>Your recent chats</h2>
          <ul>
            {recent.map((chat) => (
              <li key={chat.id}>
                <a href={`/chats/${chat.id}`}>{chat.title}</a>
              </li>
            ))}
          </ul>
        </nav>
      )}
    </main>
  );
}
