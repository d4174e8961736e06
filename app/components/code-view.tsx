import { useSelector } from "@xstate/react";
import { memo, useEffect, useMemo, useRef, useState } from "react";
import type { ActorRefFrom } from "xstate";
import type { chatMachine } from "../../machines/chat.machine";
import { selectCodeView, selectShownVersion } from "../../machines/chat.selectors";
import { EditDiff } from "./edit-diff";
import { ShareButton } from "./share-button";

/**
 * The code as it streams in, then the version on screen, with the version picker, copy, download and
 * share. Plain text in a <pre>, so a long stream costs one text update per network read; it follows
 * the stream unless the reader scrolls up.
 */
export function CodeView({ chat, chatId }: { chat: ActorRefFrom<typeof chatMachine>; chatId?: string }) {
  const view = useSelector(
    chat,
    selectCodeView,
    (a, b) => a.code === b.code && a.writing === b.writing && a.version === b.version && a.edits?.base === b.edits?.base,
  );
  const versionCount = useSelector(chat, (s) => s.context.versions.length);
  const shown = useSelector(chat, selectShownVersion);
  const pre = useRef<HTMLPreElement>(null);
  const following = useRef(true);
  const [copied, setCopied] = useState(false);

  const blocks = useMemo(() => (view.edits ? [] : codeBlocks(view.code)), [view.code, view.edits]);

  useEffect(() => {
    const element = pre.current;
    if (!element || !view.writing || !following.current) return;
    // Once per frame at most: reading scrollHeight forces a layout.
    const frame = requestAnimationFrame(() => {
      element.scrollTop = element.scrollHeight;
    });
    return () => cancelAnimationFrame(frame);
  }, [view.code, view.writing]);

  const complete = !view.writing && view.code !== "" && view.version <= versionCount;

  return (
    <section className="code-view" aria-label="Code">
      <header className="panel-header">
        <span className="code-title">
          App.tsx
          {versionCount > 0 && (
            <span className="version-picker" role="group" aria-label="Versions">
              {Array.from({ length: versionCount }, (_, index) => (
                <button
                  key={index}
                  type="button"
                  aria-pressed={!view.writing && index === shown}
                  onClick={() => chat.send({ type: "SELECT_VERSION", index })}
                >
                  v{index + 1}
                </button>
              ))}
            </span>
          )}
          {view.writing && (
            <span className="writing-badge">
              {view.edits ? `writing v${view.version} as changes…` : `writing v${view.version}…`}
            </span>
          )}
        </span>
        <span className="code-actions">
          <button
            type="button"
            // Copy takes a whole file, never edit blocks.
            disabled={!view.code || view.edits !== undefined}
            onClick={() => {
              void navigator.clipboard?.writeText(view.code).then(() => {
                setCopied(true);
                setTimeout(() => setCopied(false), 1500);
              });
            }}
          >
            {copied ? "Copied" : "Copy code"}
          </button>
          <button type="button" disabled={!complete} onClick={() => download(view.code)}>
            Download App.tsx
          </button>
          {chatId && complete && <ShareButton chatId={chatId} version={view.version} />}
        </span>
      </header>
      <pre
        ref={pre}
        data-testid="code-view"
        data-writing={view.writing}
        data-version={view.version}
        onScroll={(event) => {
          const el = event.currentTarget;
          following.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        <code>
          {view.edits ? (
            <EditDiff base={view.edits.base} parsed={view.edits.parsed} />
          ) : view.code ? (
            blocks.map((text, index) => <CodeBlock key={index} text={text} />)
          ) : (
            "The code will appear here as it is written."
          )}
        </code>
      </pre>
    </section>
  );
}

const LINES_PER_BLOCK = 40;

/**
 * The code in blocks of 40 lines. While it streams only the last block changes, so React skips the
 * others and the browser (`contain: content`) lays out only the new one: the cost of an update stays
 * flat however long the code grows. Each block keeps its line breaks, so the text is unchanged.
 */
function codeBlocks(code: string): string[] {
  const blocks: string[] = [];
  let start = 0;
  while (start < code.length) {
    let end = start;
    for (let line = 0; line < LINES_PER_BLOCK && end !== -1; line++) end = code.indexOf("\n", end + (line === 0 ? 0 : 1));
    const stop = end === -1 ? code.length : end + 1;
    blocks.push(code.slice(start, stop));
    start = stop;
  }
  return blocks;
}

const CodeBlock = memo(function CodeBlock({ text }: { text: string }) {
  return <span className="code-block">{text}</span>;
});

function download(code: string) {
  const url = URL.createObjectURL(new Blob([code], { type: "text/plain;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = "App.tsx";
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
