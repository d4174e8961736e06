import { memo, type ReactNode } from "react";
import ReactMarkdown, { type Components, type Options as MarkdownOptions } from "react-markdown";
import remarkGfm, { type Options as GfmOptions } from "remark-gfm";

/**
 * The model's explanation, rendered as Markdown: headings, lists, emphasis, inline code, code
 * blocks, tables, links. What the model writes can never become live markup:
 *
 * - raw HTML (`<img onerror>`, `<script>`, `<a href>`) stays text: react-markdown turns it into
 *   text nodes, which React escapes (there is no rehype-raw here, and there must never be);
 * - URLs go through react-markdown's `defaultUrlTransform`, which empties every one whose scheme is
 *   not http(s), mailto, xmpp or irc(s) (`javascript:`, `data:`, `vbscript:`); a link left without
 *   an address is shown as its text, not as a link;
 * - links open in a new tab with `rel="noopener noreferrer"`, so the page they open cannot reach
 *   back into Kiln's;
 * - images are never loaded (the page's CSP forbids remote images anyway): an image is shown as a
 *   link to it, or as its alt text.
 *
 * Headings are moved down two levels (`#` becomes an h3), so that the model's headings stay below
 * the page's own in the document outline.
 */
export const Markdown = memo(function Markdown({ text, className }: { text: string; className?: string }) {
  return (
    <div className={className ? `markdown ${className}` : "markdown"}>
      <ReactMarkdown remarkPlugins={remarkPlugins} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
});

// A single `~` is plain text ("~25 minutes"); strikethrough takes `~~`.
type PluggableList = NonNullable<MarkdownOptions["remarkPlugins"]>;

const gfmOptions: GfmOptions = { singleTilde: false };
const remarkPlugins: PluggableList = [[remarkGfm, gfmOptions]];

const components: Components = {
  a: ({ href, title, children }) => (
    <SafeLink href={href} title={title}>
      {children}
    </SafeLink>
  ),
  img: ({ src, alt, title }) => {
    const label = alt || (typeof src === "string" ? src : "") || "image";
    return typeof src === "string" && src ? (
      <SafeLink href={src} title={title}>
        {label}
      </SafeLink>
    ) : (
      <span className="markdown-image">{label}</span>
    );
  },
  h1: ({ children }) => <h3>{children}</h3>,
  h2: ({ children }) => <h4>{children}</h4>,
  h3: ({ children }) => <h5>{children}</h5>,
  h4: ({ children }) => <h6>{children}</h6>,
  h5: ({ children }) => <h6>{children}</h6>,
  h6: ({ children }) => <h6>{children}</h6>,
};

function SafeLink({ href, title, children }: { href?: string; title?: string; children?: ReactNode }) {
  // defaultUrlTransform leaves "" where the URL was unsafe: no link at all then.
  if (!href) return <span className="markdown-unlinked">{children}</span>;
  // Footnote references and other in-page anchors stay in the page.
  if (href.startsWith("#")) return <a href={href}>{children}</a>;
  return (
    <a href={href} title={title} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}
