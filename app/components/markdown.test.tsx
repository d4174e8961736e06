import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Markdown } from "./markdown";

const html = (text: string) => renderToStaticMarkup(<Markdown text={text} />);

/** Every element in the markup, as its name and attribute names (escaped text holds no `<`). */
function elements(markup: string): { name: string; attributes: string[] }[] {
  return [...markup.matchAll(/<([a-z][a-z0-9]*)([^>]*)>/gi)].map(([, name, rest]) => ({
    name: name.toLowerCase(),
    attributes: [...rest.matchAll(/([^\s=]+)=/g)].map(([, attribute]) => attribute.toLowerCase()),
  }));
}

describe("Markdown: what the model writes never becomes live markup", () => {
  it("an <img onerror> in the text stays text: no image element, no handler", () => {
    const out = html("Look: <img src=x onerror=alert(1)> here");
    expect(elements(out)).toEqual([
      { name: "div", attributes: ["class"] },
      { name: "p", attributes: [] },
    ]);
    expect(out).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("a <script> block stays text", () => {
    const out = html("<script>alert(1)</script>\n\nafter");
    expect(elements(out).map((e) => e.name)).toEqual(["div", "p"]);
    expect(out).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(out).toContain("<p>after</p>");
  });

  it("a raw <a href> stays text: no link is made", () => {
    const out = html('Click <a href="https://evil.example/">here</a> now');
    expect(elements(out).map((e) => e.name)).toEqual(["div", "p"]);
    expect(out).toContain("&lt;a href=&quot;https://evil.example/&quot;&gt;");
  });

  it("raw block HTML (a div with a style, an iframe) stays text", () => {
    const out = html('<div style="position:fixed;inset:0">x</div>\n\n<iframe src="https://evil.example"></iframe>');
    expect(elements(out).map((e) => e.name)).toEqual(["div"]);
    expect(out).toContain("&lt;div style=");
    expect(out).toContain("&lt;iframe");
  });

  it.each([
    ["javascript:", "[x](javascript:alert(1))", "x"],
    ["JavaScript: in capitals", "[x](JavaScript:alert(1))", "x"],
    ["vbscript:", "[x](vbscript:msgbox(1))", "x"],
    ["data:", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "x"],
    ["reference-style javascript:", "[x][evil]\n\n[evil]: javascript:alert(1)", "x"],
    ["<javascript:…> autolink", "<javascript:alert(1)>", "javascript:alert(1)"],
  ])("a %s link is not a link, only its text", (_name, text, shown) => {
    const out = html(text);
    expect(elements(out).map((e) => e.name)).not.toContain("a");
    expect(out).not.toMatch(/href=/i);
    expect(out).toContain(`<span class="markdown-unlinked">${shown}</span>`);
  });

  it("an image is never loaded: it becomes a link to it, or its alt text", () => {
    const remote = html("![a chart](https://example.com/chart.png)");
    expect(remote).not.toMatch(/<img/i);
    expect(remote).toBe(
      '<div class="markdown"><p><a href="https://example.com/chart.png" target="_blank" rel="noopener noreferrer">a chart</a></p></div>',
    );
    const dataImage = html("![pixel](data:image/png;base64,iVBORw0KGgo=)");
    expect(dataImage).not.toMatch(/<img|href=/i);
    expect(dataImage).toContain("pixel");
    const script = html("![x](javascript:alert(1))");
    expect(script).not.toMatch(/<img|href=/i);
  });
});

describe("Markdown: what it renders", () => {
  it("bold, italic, inline code and strikethrough", () => {
    expect(html("Press **Start**, then *wait*; run `npm test`, ~~not this~~.")).toBe(
      '<div class="markdown"><p>Press <strong>Start</strong>, then <em>wait</em>; run <code>npm test</code>, <del>not this</del>.</p></div>',
    );
  });

  it("a single ~ is plain text (about 25 minutes), not strikethrough", () => {
    expect(html("~25 minutes, then ~5 more")).toBe('<div class="markdown"><p>~25 minutes, then ~5 more</p></div>');
  });

  it("lists, ordered and not", () => {
    const out = html("Steps:\n\n1. one\n2. two\n\n- a\n- b");
    expect(out).toContain("<ol>");
    expect(out).toMatch(/<li>one<\/li>\s*<li>two<\/li>/);
    expect(out).toContain("<ul>");
    expect(out).toMatch(/<li>a<\/li>\s*<li>b<\/li>/);
  });

  it("headings, two levels below the page's own", () => {
    const out = html("# Title\n\n## Part\n\n### Detail\n\n#### Small");
    expect(out).toContain("<h3>Title</h3>");
    expect(out).toContain("<h4>Part</h4>");
    expect(out).toContain("<h5>Detail</h5>");
    expect(out).toContain("<h6>Small</h6>");
    expect(out).not.toMatch(/<h[12]/);
  });

  it("a code block, its text escaped", () => {
    const out = html("```bash\nnpm install <pkg> && echo '<b>'\n```");
    expect(out).toContain('<pre><code class="language-bash">npm install &lt;pkg&gt; &amp;&amp; echo &#x27;&lt;b&gt;&#x27;');
  });

  it("links open in a new tab, without an opener or referrer", () => {
    expect(html("See [the docs](https://react.dev/learn).")).toBe(
      '<div class="markdown"><p>See <a href="https://react.dev/learn" target="_blank" rel="noopener noreferrer">the docs</a>.</p></div>',
    );
    expect(html("Mail [us](mailto:a@example.com)")).toContain(
      'href="mailto:a@example.com" target="_blank" rel="noopener noreferrer"',
    );
  });

  it("bare URLs become links too (GFM), with the same target and rel", () => {
    expect(html("Go to https://tailwindcss.com now")).toContain(
      '<a href="https://tailwindcss.com" target="_blank" rel="noopener noreferrer">https://tailwindcss.com</a>',
    );
  });

  it("a table", () => {
    const out = html("| a | b |\n| - | - |\n| 1 | 2 |");
    expect(out).toContain("<table>");
    expect(out).toContain("<td>1</td>");
  });

  it("takes a class beside its own", () => {
    expect(html("x").startsWith('<div class="markdown">')).toBe(true);
    expect(renderToStaticMarkup(<Markdown text="x" className="reply-text" />)).toBe(
      '<div class="markdown reply-text"><p>x</p></div>',
    );
  });
});
