/**
 * Splits an LLM reply into the explanation and the one React code block it is asked to contain.
 * The chat statechart calls `extractReply` with the whole reply so far on every streamed delta, so
 * it is pure, linear (one line scan, plus a few `indexOf` searches that only move forward, each
 * named where it is made), and stable across prefixes: a half-written fence line is held back
 * instead of flashing in the chat column or the code view, and the chosen block only ever moves to
 * a later one as the reply grows.
 */

export type FenceState = "none" | "open" | "closed";

export interface ExtractedReply {
  /** text before the code block (explanation), trimmed of the trailing blank lines */
  before: string;
  /** the code inside the chosen block: "" when none; partial while the fence is open */
  code: string;
  /** language tag of the chosen fence (lowercased, "" when none) */
  language: string;
  /** "none": no code block has started; "open": the block is still being written (unterminated fence); "closed": complete */
  fence: FenceState;
  /** text after the closing fence (explanation), trimmed */
  after: string;
}

const NEWLINE = 10;
const SPACE = 32;
const BACKTICK = 96;
const TILDE = 126;
const TAB = 9;

/** Tags a React component may come under; "" because models often leave the tag off. */
const SCRIPT_LANGUAGES = new Set(["tsx", "jsx", "ts", "typescript", "js", "javascript", "react", ""]);

/**
 * Command blocks ("npm install lucide-react") are never the app. They are kept out even of the
 * "else the first block" fallback: otherwise a closed install block would be chosen until the real
 * code block starts, and the preview would flash a shell command.
 */
const COMMAND_LANGUAGES = new Set([
  "bash",
  "sh",
  "shell",
  "zsh",
  "console",
  "terminal",
  "shell-session",
  "powershell",
  "ps1",
  "cmd",
  "bat",
]);

const EXPORT_DEFAULT = "export default";

/** A reply that opens with one of these is reasoning up to the matching closing tag (DeepSeek R1, Qwen, GLM). */
const REASONING_OPENER = /^\s*<(think|thinking)>/;

/**
 * What may follow a fence glued to prose ("…components.```tsx{path=src/App.tsx}"): a language word,
 * then `:path` or a `{…}` group (whose `}` may have spilled onto the next line, and after which the
 * first code line may be glued). Stricter than a line-start opener, so prose that only mentions
 * ``` (as in "wrap it in ```tsx fences") is not taken for one.
 */
const GLUED_INFO = /^[A-Za-z][\w+#-]*(?::[^\s`]+|\{[^{}`]*(?:\}(?:[ \t]+\S.*)?)?)?[ \t]*$/;
/** Every prefix of a GLUED_INFO line, so a glued opener still being written is held back. */
const GLUED_INFO_PREFIX = /^(?:[A-Za-z][\w+#-]*(?::[^\s`]*|\{[^{}`]*(?:\}.*)?)?[ \t]*)?$/;
/** `{path=…}` followed by code on the opener line: the code starts after the group. */
const CODE_AFTER_INFO = /^[ \t]*[^\s{}`]*\{[^{}`]*=[^{}`]*\}[ \t]+(?=\S)/;
/** A `{path=src/App.tsx}` line right after the opener (GLM): it names the file, it is not code. */
const INFO_LINE = /^[ \t]*\{[ \t]*(?:path|file|filename)[ \t]*=[^{}`]*\}[ \t]*$/;
/** Every prefix of an INFO_LINE (and a few more lines starting with `{`): held back until the line ends. */
const INFO_LINE_PREFIX = /^[ \t]*(?:\{[ \t]*[a-z]*[ \t]*(?:=[^{}`]*\}?[ \t]*)?)?$/;
/** The rest of an opener's `{…}` group that spilled onto the next line ("```tsx{path=src/App.tsx" then "}"). */
const SPILLED_INFO = /^[^{}`]*\}[ \t]*$/;
const SPILLED_INFO_PREFIX = /^[^{}`]*\}?[ \t]*$/;

interface Block {
  /** offset of the opening fence line, or of the fence where it is glued to prose */
  start: number;
  /** offset of the first code line: after the opener line (and a `{path=…}` line), or of code glued to the opener */
  contentStart: number;
  /** offset of the closing fence line; while open, the end of the visible text */
  end: number;
  /** offset just after the closing fence line */
  after: number;
  fenceChar: number;
  fenceLength: number;
  /** the opener's indentation, stripped from content lines as CommonMark does */
  indent: number;
  language: string;
  /** the opener's info has a `{` whose `}` did not come on that line */
  openBrace: boolean;
  closed: boolean;
}

export function extractReply(text: string): ExtractedReply {
  // Lone "\r" counts as a line end too, so a prefix ending between "\r" and "\n" reads the same as the next one.
  const source = text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
  const from = answerStart(source);
  // Code quoted while reasoning is never the app; while the reasoning goes on there is no app yet.
  if (from === -1) return { before: source.trimEnd(), code: "", language: "", fence: "none", after: "" };
  const { blocks, visibleEnd } = scanBlocks(source, from);
  const chosen = chooseBlock(source, blocks);
  if (!chosen) {
    return { before: source.slice(0, visibleEnd).trimEnd(), code: "", language: "", fence: "none", after: "" };
  }
  return {
    before: source.slice(0, chosen.start).trimEnd(),
    code: blockCode(source, chosen),
    language: chosen.language,
    fence: chosen.closed ? "closed" : "open",
    after: chosen.closed ? source.slice(chosen.after, visibleEnd).trim() : "",
  };
}

/**
 * Where the answer starts: after a `<think>`/`<thinking>` block that opens the reply (0 when there is
 * none), or -1 while that block is still open. Costs one `indexOf` pass over the reasoning.
 */
function answerStart(text: string): number {
  const opener = REASONING_OPENER.exec(text);
  if (!opener) return 0;
  const closer = `</${opener[1]}>`;
  const at = text.indexOf(closer, opener[0].length);
  return at === -1 ? -1 : at + closer.length;
}

/**
 * Finds every fenced block from `from` on; only the last one can be open. `visibleEnd` excludes a
 * final unterminated line that may still turn into a fence (an opener outside a block, a closer
 * inside one) or into a `{path=…}` line the code must not start with.
 */
function scanBlocks(text: string, from: number): { blocks: Block[]; visibleEnd: number } {
  const blocks: Block[] = [];
  // Glued openers cost one more pass over the text: one forward-only search for ``` serves every prose line.
  const nextFence = forwardSearch(text, "```");
  let fenceAt = -1;
  let open: Block | null = null;
  // The open block has no content line yet, so the next line may still be `{path=…}` or a spilled `}`.
  let firstLine = false;
  let lineStart = from;
  for (let newline = text.indexOf("\n", lineStart); newline !== -1; newline = text.indexOf("\n", lineStart)) {
    if (open) {
      if (isClosingFence(text, lineStart, newline, open)) {
        closeBlock(open, lineStart, newline + 1);
        open = null;
      } else if (firstLine && isInfoLine(text.slice(lineStart, newline), open)) {
        open.contentStart = newline + 1;
      }
      firstLine = false;
    } else {
      open = parseOpener(text, lineStart, newline);
      if (!open && fenceAt < newline) {
        fenceAt = nextFence.at(lineStart);
        if (fenceAt < newline) open = parseGluedOpener(text, lineStart, newline, fenceAt);
      }
      if (open) {
        blocks.push(open);
        firstLine = open.contentStart === newline + 1;
      }
    }
    lineStart = newline + 1;
  }

  const end = text.length;
  let visibleEnd = end;
  if (open) {
    if (isClosingFence(text, lineStart, end, open)) closeBlock(open, lineStart, end);
    else {
      const heldBack =
        couldBecomeClosingFence(text, lineStart, end, open) ||
        (firstLine && couldBecomeInfoLine(text.slice(lineStart, end), open));
      if (heldBack) visibleEnd = lineStart;
      open.end = visibleEnd;
      open.after = visibleEnd;
    }
  } else {
    visibleEnd = openerHeldBackFrom(text, lineStart, end, nextFence.at(lineStart));
  }
  return { blocks, visibleEnd };
}

function closeBlock(block: Block, closingLineStart: number, closingLineEnd: number): void {
  block.end = closingLineStart;
  block.after = closingLineEnd;
  block.closed = true;
}

/**
 * The first script block with `export default`; else the app still being written, a script block
 * open at the end, once it outranks every closed one; else the closed script block that outranks the
 * others (JSX first, then length: a usage example or helper is shorter than the app); else the first
 * non-command block. An open block's rank only grows, so the choice never moves back to an earlier
 * block while the reply streams.
 */
function chooseBlock(text: string, blocks: Block[]): Block | undefined {
  const scripts = blocks.filter((block) => block.closed && SCRIPT_LANGUAGES.has(block.language));
  // Blocks are in text order, so each needle costs at most one forward-only search across all of them.
  const exportDefault = forwardSearch(text, EXPORT_DEFAULT);
  const exporting = scripts.find((block) => exportDefault.within(block.contentStart, block.end));
  if (exporting) return exporting;
  const last = blocks[blocks.length - 1];
  const writing = last && !last.closed && SCRIPT_LANGUAGES.has(last.language) ? last : undefined;
  if (writing && scripts.length === 0) return writing;

  const closingTag = forwardSearch(text, "</");
  const selfClosingTag = forwardSearch(text, "/>");
  const hasJsx = (block: Block) =>
    closingTag.within(block.contentStart, block.end) || selfClosingTag.within(block.contentStart, block.end);
  let best: Block | undefined;
  let bestJsx = false;
  for (const block of scripts) {
    const jsx = hasJsx(block);
    if (!best || outranks(jsx, block, bestJsx, best)) {
      best = block;
      bestJsx = jsx;
    }
  }
  if (
    writing &&
    best &&
    (exportDefault.within(writing.contentStart, writing.end) || outranks(hasJsx(writing), writing, bestJsx, best))
  ) {
    return writing;
  }
  return best ?? blocks.find((block) => block.closed && !COMMAND_LANGUAGES.has(block.language));
}

/** A block with a closing or self-closing tag (a component, not a loop or a helper) first, then the longer; ties keep the earlier. */
function outranks(jsx: boolean, block: Block, otherJsx: boolean, other: Block): boolean {
  return jsx !== otherJsx ? jsx : block.end - block.contentStart > other.end - other.contentStart;
}

/**
 * Occurrences of `needle` looked up with positions that never decrease, so that all lookups of one
 * call together scan the text once.
 */
function forwardSearch(text: string, needle: string) {
  let found = -1;
  const at = (from: number): number => {
    if (found < from) {
      found = text.indexOf(needle, from);
      if (found === -1) found = text.length;
    }
    return found;
  };
  return { at, within: (from: number, to: number) => at(from) + needle.length <= to };
}

function blockCode(text: string, block: Block): string {
  // The newline before the closing fence (or before a held-back last line) is not part of the code;
  // dropping it while open too keeps the streamed code a prefix of the final code.
  let end = block.end;
  if (end > block.contentStart && text.charCodeAt(end - 1) === NEWLINE) end--;
  const code = text.slice(block.contentStart, end);
  if (block.indent === 0) return code;
  return code
    .split("\n")
    .map((line) => line.slice(leadingSpaces(line, 0, line.length, block.indent)))
    .join("\n");
}

/** Counts up to `max` spaces at `from`; fences may be indented by at most three. */
function leadingSpaces(text: string, from: number, to: number, max = 3): number {
  let i = from;
  while (i < to && i - from < max && text.charCodeAt(i) === SPACE) i++;
  return i - from;
}

function runLength(text: string, from: number, to: number, char: number): number {
  let i = from;
  while (i < to && text.charCodeAt(i) === char) i++;
  return i - from;
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== TAB) return false;
  }
  return true;
}

/** A CommonMark fence opener on the line [from, to): ``` or ~~~ (3+), and no backtick in a backtick fence's info. */
function parseOpener(text: string, from: number, to: number): Block | null {
  const indent = leadingSpaces(text, from, to);
  const fenceStart = from + indent;
  const fenceChar = text.charCodeAt(fenceStart);
  if (fenceChar !== BACKTICK && fenceChar !== TILDE) return null;
  const fenceLength = runLength(text, fenceStart, to, fenceChar);
  if (fenceLength < 3) return null;
  const info = text.slice(fenceStart + fenceLength, to);
  if (fenceChar === BACKTICK && info.includes("`")) return null;
  return openerBlock(from, fenceStart + fenceLength, to, fenceChar, fenceLength, indent, info);
}

/**
 * An opener glued to the end of a prose line: the first ``` of the line, right after a character
 * that is not a space, outside inline code (an even number of backticks before it), with GLUED_INFO.
 * `fenceAt` is the first ``` at or after `from`.
 */
function parseGluedOpener(text: string, from: number, to: number, fenceAt: number): Block | null {
  if (fenceAt >= to || !isGlued(text, from, fenceAt)) return null;
  const fenceLength = runLength(text, fenceAt, to, BACKTICK);
  const info = text.slice(fenceAt + fenceLength, to);
  if (!GLUED_INFO.test(info)) return null;
  return openerBlock(fenceAt, fenceAt + fenceLength, to, BACKTICK, fenceLength, 0, info);
}

function openerBlock(
  start: number,
  infoStart: number,
  lineEnd: number,
  fenceChar: number,
  fenceLength: number,
  indent: number,
  info: string,
): Block {
  const brace = info.indexOf("{");
  const codeOnOpener = brace === -1 ? null : CODE_AFTER_INFO.exec(info);
  const contentStart = codeOnOpener ? infoStart + codeOnOpener[0].length : lineEnd + 1;
  return {
    start,
    contentStart,
    end: lineEnd + 1,
    after: lineEnd + 1,
    fenceChar,
    fenceLength,
    indent,
    language: languageOf(info.trim()),
    openBrace: brace !== -1 && info.lastIndexOf("{") > info.lastIndexOf("}"),
    closed: false,
  };
}

/** Text right before `at` on the line, not a space, and not inside inline code. */
function isGlued(text: string, lineStart: number, at: number): boolean {
  if (at === lineStart) return false;
  const previous = text.charCodeAt(at - 1);
  if (previous === SPACE || previous === TAB) return false;
  let backticks = 0;
  for (let i = lineStart; i < at; i++) if (text.charCodeAt(i) === BACKTICK) backticks++;
  return backticks % 2 === 0;
}

/** The first word of the info string, without a trailing `:App.tsx` or `{1,3}` that some models add. */
function languageOf(info: string): string {
  const word = info.split(/\s/, 1)[0];
  const cut = word.search(/[:{,=]/);
  return (cut === -1 ? word : word.slice(0, cut)).toLowerCase();
}

function isInfoLine(line: string, block: Block): boolean {
  return INFO_LINE.test(line) || (block.openBrace && SPILLED_INFO.test(line));
}

function couldBecomeInfoLine(line: string, block: Block): boolean {
  return INFO_LINE_PREFIX.test(line) || (block.openBrace && SPILLED_INFO_PREFIX.test(line));
}

function isClosingFence(text: string, from: number, to: number, block: Block): boolean {
  const fenceStart = from + leadingSpaces(text, from, to);
  const length = runLength(text, fenceStart, to, block.fenceChar);
  return length >= block.fenceLength && isBlank(text, fenceStart + length, to);
}

/** An unterminated last line that is so far only indentation and fence characters. */
function couldBecomeClosingFence(text: string, from: number, to: number, block: Block): boolean {
  const fenceStart = from + leadingSpaces(text, from, to);
  return fenceStart + runLength(text, fenceStart, to, block.fenceChar) === to;
}

/**
 * Where to cut an unterminated last line outside any block so that a fence opener still being
 * written does not show: the line's start for a line-start opener, the glued backticks for a glued
 * one, `to` when the line cannot become either. `fenceAt` is the first ``` at or after `from`.
 */
function openerHeldBackFrom(text: string, from: number, to: number, fenceAt: number): number {
  if (couldBecomeOpener(text, from, to)) return from;
  if (fenceAt < to) {
    const info = text.slice(fenceAt + runLength(text, fenceAt, to, BACKTICK), to);
    return isGlued(text, from, fenceAt) && GLUED_INFO_PREFIX.test(info) ? fenceAt : to;
  }
  // No ``` yet: one or two backticks at the end may still become a glued opener.
  let run = to;
  while (run > from && text.charCodeAt(run - 1) === BACKTICK) run--;
  return run < to && isGlued(text, from, run) ? run : to;
}

/** An unterminated last line that is already, or may still grow into, a line-start fence opener. */
function couldBecomeOpener(text: string, from: number, to: number): boolean {
  const fenceStart = from + leadingSpaces(text, from, to);
  if (fenceStart === to) return true;
  const fenceChar = text.charCodeAt(fenceStart);
  if (fenceChar !== BACKTICK && fenceChar !== TILDE) return false;
  const length = runLength(text, fenceStart, to, fenceChar);
  if (fenceStart + length === to) return true;
  if (length < 3) return false;
  if (fenceChar === TILDE) return true;
  const backtick = text.indexOf("`", fenceStart + length);
  return backtick === -1 || backtick >= to;
}
