/**
 * Splits an LLM reply into the explanation and the one React code block it is asked to contain.
 * The chat statechart calls `extractReply` with the whole reply so far on every streamed delta, so
 * it is pure, does one linear line scan with `indexOf`/`charCodeAt`, and is stable across prefixes:
 * a half-written fence line is held back instead of flashing in the chat column or the code view.
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

interface Block {
  /** offset of the opening fence line */
  start: number;
  /** offset just after the opening fence line */
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
  closed: boolean;
}

export function extractReply(text: string): ExtractedReply {
  // Lone "\r" counts as a line end too, so a prefix ending between "\r" and "\n" reads the same as the next one.
  const source = text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
  const { blocks, visibleEnd } = scanBlocks(source);
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
 * Finds every fenced block; only the last one can be open. `visibleEnd` excludes a final unterminated
 * line that may still turn into a fence (an opener outside a block, a closer inside one).
 */
function scanBlocks(text: string): { blocks: Block[]; visibleEnd: number } {
  const blocks: Block[] = [];
  let open: Block | null = null;
  let lineStart = 0;
  for (let newline = text.indexOf("\n"); newline !== -1; newline = text.indexOf("\n", lineStart)) {
    if (open) {
      if (isClosingFence(text, lineStart, newline, open)) {
        closeBlock(open, lineStart, newline + 1);
        open = null;
      }
    } else {
      open = parseOpener(text, lineStart, newline);
      if (open) blocks.push(open);
    }
    lineStart = newline + 1;
  }

  const end = text.length;
  let visibleEnd = end;
  if (open) {
    if (isClosingFence(text, lineStart, end, open)) closeBlock(open, lineStart, end);
    else {
      if (couldBecomeClosingFence(text, lineStart, end, open)) visibleEnd = lineStart;
      open.end = visibleEnd;
      open.after = visibleEnd;
    }
  } else if (couldBecomeOpener(text, lineStart, end)) {
    visibleEnd = lineStart;
  }
  return { blocks, visibleEnd };
}

function closeBlock(block: Block, closingLineStart: number, closingLineEnd: number): void {
  block.end = closingLineStart;
  block.after = closingLineEnd;
  block.closed = true;
}

/**
 * The first script block with `export default`; else a still-open script block at the end (it may
 * be the app being written); else the first script block; else the first non-command block.
 */
function chooseBlock(text: string, blocks: Block[]): Block | undefined {
  // Blocks are in text order, so one forward-moving search finds `export default` for all of them.
  let exportAt = -1;
  for (const block of blocks) {
    if (!block.closed || !SCRIPT_LANGUAGES.has(block.language)) continue;
    if (exportAt !== -1 && exportAt < block.contentStart) exportAt = -1;
    if (exportAt === -1) exportAt = text.indexOf(EXPORT_DEFAULT, block.contentStart);
    if (exportAt === -1) break;
    if (exportAt + EXPORT_DEFAULT.length <= block.end) return block;
  }
  const last = blocks[blocks.length - 1];
  if (last && !last.closed && SCRIPT_LANGUAGES.has(last.language)) return last;
  const closed = blocks.filter((block) => block.closed);
  return (
    closed.find((block) => SCRIPT_LANGUAGES.has(block.language)) ?? closed.find((block) => !COMMAND_LANGUAGES.has(block.language))
  );
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
  const info = text.slice(fenceStart + fenceLength, to).trim();
  if (fenceChar === BACKTICK && info.includes("`")) return null;
  return {
    start: from,
    contentStart: to + 1,
    end: to + 1,
    after: to + 1,
    fenceChar,
    fenceLength,
    indent,
    language: languageOf(info),
    closed: false,
  };
}

/** The first word of the info string, without a trailing `:App.tsx` or `{1,3}` that some models add. */
function languageOf(info: string): string {
  const word = info.split(/\s/, 1)[0];
  const cut = word.search(/[:{,=]/);
  return (cut === -1 ? word : word.slice(0, cut)).toLowerCase();
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

/** An unterminated last line that is already, or may still grow into, a fence opener. */
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
