import { useSelector } from "@xstate/react";
import { useEffect, useRef, useState } from "react";
import type { ActorRefFrom } from "xstate";
import type { chatMachine } from "../../machines/chat.machine";
import { selectCodeView } from "../../machines/chat.selectors";

/**
 * The code as it streams in, then the complete version. Plain text in a <pre>, so a long stream costs
 * one text update per network read; it follows the stream unless the reader scrolls up.
 */
export function CodeView({ chat }: { chat: ActorRefFrom<typeof chatMachine> }) {
  const view = useSelector(chat, selectCodeView, (a, b) => a.code === b.code && a.writing === b.writing && a.version === b.version);
  const pre = useRef<HTMLPreElement>(null);
  const following = useRef(true);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    const element = pre.current;
    if (element && view.writing && following.current) element.scrollTop = element.scrollHeight;
  }, [view.code, view.writing]);

  return (
    <section className="code-view" aria-label="Code">
      <header className="panel-header">
        <span>
          App.tsx {view.version > 0 && <span className="muted">v{view.version}</span>}
          {view.writing && <span className="writing-badge">writing…</span>}
        </span>
        <button
          type="button"
          disabled={!view.code}
          onClick={() => {
            void navigator.clipboard?.writeText(view.code).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            });
          }}
        >
          {copied ? "Copied" : "Copy code"}
        </button>
      </header>
      <pre
        ref={pre}
        data-testid="code-view"
        data-writing={view.writing}
        onScroll={(event) => {
          const el = event.currentTarget;
          following.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        <code>{view.code || "The code will appear here as it is written."}</code>
      </pre>
    </section>
  );
}
