import { useSelector } from "@xstate/react";
import { memo, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { ActorRefFrom } from "xstate";
import type { chatMachine } from "../../machines/chat.machine";
import { selectCodeView, selectShownVersion } from "../../machines/chat.selectors";
import { codeBlocks } from "./code-blocks";
import { DownloadProjectButton } from "./download-project-button";
import { EditDiff } from "./edit-diff";
import { ShareButton } from "./share-button";
import type { HighlightedBlock, Span, TsxHighlighter } from "./tsx-highlight";

/**
 * The code as it streams in, then the version on screen, with the version picker, copy, download and
 * share. Text in a <pre>, in 40-line blocks, so a long stream costs one update of the last block per
 * network read; it follows the stream unless the reader scrolls up. Syntax colours come from
 * ./tsx-highlight, loaded when there is first code to show (plain text until then).
 */
export function CodeView({ chat, chatId, title }: { chat: ActorRefFrom<typeof chatMachine>; chatId?: string; title: string }) {
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

  const highlighter = useHighlighter(view.code !== "");
  const texts = useMemo(() => (view.edits ? [] : codeBlocks(view.code)), [view.code, view.edits]);
  const blocks = useMemo(() => {
    if (!highlighter.current || view.edits) return texts.map((text) => ({ text, spans: null, coloured: 0 }));
    highlighter.current.setCode(view.code);
    return highlighter.current.blocks(texts);
  }, [highlighter, texts, view.code, view.edits]);

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
          <DownloadProjectButton code={view.code} title={title} version={view.version} disabled={!complete} />
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
            blocks.map((block, index) => <CodeBlock key={index} {...block} />)
          ) : (
            "The code will appear here as it is written."
          )}
        </code>
      </pre>
    </section>
  );
}

/**
 * The code view's highlighter, once its module has loaded (it starts loading when there is first
 * code, and stays for the life of the view). The returned object changes whenever there is more to
 * show, so a memo that depends on it runs again.
 */
function useHighlighter(hasCode: boolean): { current: TsxHighlighter | null } {
  const [wanted, setWanted] = useState(false);
  const [state, setState] = useState<{ current: TsxHighlighter | null }>({ current: null });
  useEffect(() => {
    if (hasCode) setWanted(true);
  }, [hasCode]);
  useEffect(() => {
    if (!wanted) return;
    let highlighter: TsxHighlighter | undefined;
    let unmounted = false;
    import("./tsx-highlight").then(
      (module) => {
        if (unmounted) return;
        const made = new module.TsxHighlighter({ onProgress: () => setState({ current: made }) });
        highlighter = made;
        setState({ current: made });
      },
      // Without the module (a chunk that failed to load), the code stays plain text.
      () => {},
    );
    return () => {
      unmounted = true;
      highlighter?.dispose();
    };
  }, [wanted]);
  return state;
}

/**
 * One block: its text, the part the highlighter has parsed coloured. While the block is being written,
 * text that arrived since the last parse is appended plain, and the coloured part is not rendered again.
 */
const CodeBlock = memo(function CodeBlock({ text, spans, coloured }: HighlightedBlock) {
  if (!spans) return <span className="code-block">{text}</span>;
  return (
    <span className="code-block">
      <Coloured text={text.slice(0, coloured)} spans={spans} />
      {text.slice(coloured)}
    </span>
  );
});

const Coloured = memo(function Coloured({ text, spans }: { text: string; spans: readonly Span[] }) {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const [from, to, className] of spans) {
    if (from > at) parts.push(text.slice(at, from));
    parts.push(
      <span key={from} className={className}>
        {text.slice(from, to)}
      </span>,
    );
    at = to;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
});

function download(code: string) {
  const url = URL.createObjectURL(new Blob([code], { type: "text/plain;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = "App.tsx";
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
