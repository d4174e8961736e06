import { useState } from "react";

/** Publishes the version on screen at /share/:id and shows the link. */
export function ShareButton({ chatId, version }: { chatId: string; version: number }) {
  const [link, setLink] = useState<{ version: number; url: string }>();
  const [failure, setFailure] = useState<string>();

  async function share() {
    setFailure(undefined);
    try {
      const response = await fetch("/api/shares", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ chatId, version }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body?.error?.message ?? `Kiln's server answered ${response.status}.`);
      setLink({ version, url: new URL(body.url, window.location.origin).href });
    } catch (error) {
      setFailure(error instanceof TypeError ? "Kiln's server could not be reached." : (error as Error).message);
    }
  }

  if (link?.version === version) {
    return (
      <span className="share-link">
        <input aria-label="Share link" readOnly value={link.url} onFocus={(e) => e.currentTarget.select()} />
        <a href={link.url} target="_blank" rel="noreferrer">
          Open
        </a>
      </span>
    );
  }
  return (
    <>
      <button type="button" onClick={share}>
        Share v{version}
      </button>
      {failure && (
        <span className="form-error" role="alert">
          {failure}
        </span>
      )}
    </>
  );
}
