/**
 * Follow-up edits (docs/decisions/008-edit-blocks-applied-on-both-sides.md): a follow-up may be answered with SEARCH/REPLACE
 * blocks inside the one tsx fence instead of the whole file. Pure and shared: the server applies them
 * to store the complete new version (docs/decisions/008-edit-blocks-applied-on-both-sides.md), the
 * browser applies the same blocks to the same base to run the version the moment its fence closes,
 * and shows the blocks as a diff while they stream.
 *
 * All or nothing: a block whose SEARCH matches nowhere, or more than once, fails the whole answer,
 * so a half-applied version never exists.
 */
import { extractReply, type ExtractedReply } from "./code-fence";

export interface EditBlock {
  /** The lines to find, joined with "\n" (no final newline). */
  search: string;
  /** The lines that replace them; "" deletes them. */
  replace: string;
}

export interface ParsedEdits {
  /** The blocks whose `>>>>>>> REPLACE` line arrived. */
  blocks: EditBlock[];
  /** The block still being written, while the answer streams. */
  partial?: { search: string; replace?: string };
  /** A marker out of order (a `=======` with no SEARCH, a second SEARCH inside a block). */
  malformed?: string;
}

export type AppliedEdits =
  | { ok: true; code: string }
  | { ok: false; code: "edit_no_match" | "edit_ambiguous" | "edit_malformed"; blockIndex?: number; message: string };

// Models write 5 to 9 marker characters (aider counts them the same way); the words may be followed by
// stray text ("SEARCH App.tsx"), the divider by nothing.
const SEARCH_LINE = /^<{5,9} ?SEARCH\b.*$/;
const DIVIDER_LINE = /^={5,9}\s*$/;
const REPLACE_LINE = /^>{5,9} ?REPLACE\b.*$/;
/** A last line that may still grow into a marker while the answer streams ("", "====", ">>>>>>> REPL"). */
const MARKER_PREFIX = /^(?:<{1,9}|={1,9}|>{1,9}|<{5,9} ?(?:S|SE|SEA|SEAR|SEARC)|>{5,9} ?(?:R|RE|REP|REPL|REPLA|REPLAC))?$/;

/** Whether fenced code is edit blocks rather than a file: it holds a SEARCH marker line. */
export function isEditBlocks(code: string): boolean {
  return lines(code).some((line) => SEARCH_LINE.test(line.trimEnd()));
}

/**
 * The blocks in fenced code (complete or still streaming). Text between blocks (a file name, a blank
 * line, a remark) is ignored, as it changes nothing. While streaming, a last line that may still
 * become a marker is held back from `partial`, so the block being written never shows half a marker.
 */
export function parseEditBlocks(code: string): ParsedEdits {
  const parsed: ParsedEdits = { blocks: [] };
  let search: string[] | undefined;
  let replace: string[] | undefined;
  const all = lines(code);
  for (const [index, raw] of all.entries()) {
    const line = raw.trimEnd();
    if (SEARCH_LINE.test(line)) {
      if (search) parsed.malformed ??= "A SEARCH marker inside another edit block.";
      search = [];
      replace = undefined;
    } else if (DIVIDER_LINE.test(line) && !search) {
      parsed.malformed ??= "A ======= divider without its SEARCH part.";
    } else if (DIVIDER_LINE.test(line) && !replace) {
      replace = [];
    } else if (REPLACE_LINE.test(line)) {
      if (!search) parsed.malformed ??= "A REPLACE marker without its SEARCH part.";
      else if (!replace) parsed.malformed ??= "A REPLACE marker without the ======= divider before it.";
      else parsed.blocks.push({ search: search.join("\n"), replace: replace.join("\n") });
      search = undefined;
      replace = undefined;
    } else if (index === all.length - 1 && MARKER_PREFIX.test(line)) {
      // Not a line yet: the marker (or the next line) it starts arrives with the next delta.
    } else if (replace) {
      replace.push(raw);
    } else if (search) {
      search.push(raw);
    }
  }
  if (search) parsed.partial = { search: search.join("\n"), replace: replace?.join("\n") };
  return parsed;
}

/**
 * Applies the blocks in order, each to the result of the ones before. Per block: an exact match of
 * whole lines first; else a match that ignores each line's leading and trailing whitespace, with the
 * replacement re-indented from the SEARCH's indentation to the matched lines'.
 */
export function applyEditBlocks(base: string, code: string): AppliedEdits {
  const parsed = parseEditBlocks(code);
  if (parsed.malformed) return { ok: false, code: "edit_malformed", message: parsed.malformed };
  if (parsed.partial) return { ok: false, code: "edit_malformed", message: "An edit block is not closed by a REPLACE marker." };
  if (parsed.blocks.length === 0)
    return { ok: false, code: "edit_malformed", message: "The answer holds no complete edit block." };
  const crlf = base.includes("\r\n");
  let file = lines(base);
  for (const [blockIndex, block] of parsed.blocks.entries()) {
    const search = lines(block.search);
    const replace = block.replace === "" ? [] : lines(block.replace);
    if (search.every((line) => line.trim() === "")) {
      return {
        ok: false,
        code: "edit_malformed",
        blockIndex,
        message: `Edit block ${blockIndex + 1} has nothing to search for.`,
      };
    }
    const found = locate(file, search);
    if (found.kind === "none") {
      return {
        ok: false,
        code: "edit_no_match",
        blockIndex,
        message: `Edit block ${blockIndex + 1} searches for lines the code does not have (starting "${firstLine(search)}").`,
      };
    }
    if (found.kind === "many") {
      return {
        ok: false,
        code: "edit_ambiguous",
        blockIndex,
        message: `Edit block ${blockIndex + 1} matches ${found.count} places in the code (starting "${firstLine(search)}").`,
      };
    }
    const replacement = found.exact ? replace : reindent(replace, search, file.slice(found.at, found.at + search.length));
    file = [...file.slice(0, found.at), ...replacement, ...file.slice(found.at + search.length)];
  }
  const result = file.join("\n");
  return { ok: true, code: crlf ? result.replace(/\n/g, "\r\n") : result };
}

/** The 0-based line where the SEARCH lines sit in the file (exactly, else ignoring whitespace); undefined when not one place. */
export function locateSearch(base: string, search: string): number | undefined {
  const found = locate(lines(base), lines(search));
  return found.kind === "one" ? found.at : undefined;
}

type Located = { kind: "one"; at: number; exact: boolean } | { kind: "none" } | { kind: "many"; count: number };

function locate(file: string[], search: string[]): Located {
  const exact = matches(file, search, (a, b) => a === b);
  if (exact.length === 1) return { kind: "one", at: exact[0], exact: true };
  if (exact.length > 1) return { kind: "many", count: exact.length };
  const loose = matches(file, search, (a, b) => a.trim() === b.trim());
  if (loose.length === 1) return { kind: "one", at: loose[0], exact: false };
  if (loose.length > 1) return { kind: "many", count: loose.length };
  return { kind: "none" };
}

/** Every line index where `search` starts in `file`, compared line by line with `same`. */
function matches(file: string[], search: string[], same: (a: string, b: string) => boolean): number[] {
  const found: number[] = [];
  for (let at = 0; at + search.length <= file.length; at++) {
    let all = true;
    for (let offset = 0; offset < search.length && all; offset++) all = same(file[at + offset], search[offset]);
    if (all) found.push(at);
  }
  return found;
}

/**
 * The model wrote SEARCH at one indentation and the file has another (it dropped a level, or used
 * tabs): the replacement moves by the same difference, so it lands at the file's indentation.
 */
function reindent(replace: string[], search: string[], matched: string[]): string[] {
  const index = search.findIndex((line) => line.trim() !== "");
  const from = leadingWhitespace(search[index]);
  const to = leadingWhitespace(matched[index]);
  if (from === to) return replace;
  const unit = to[0] ?? from[0];
  if ([...from, ...to].every((char) => char === unit)) {
    // One kind of indentation on both sides: shift every line by the difference.
    const shift = to.length - from.length;
    return replace.map((line) => {
      if (line.trim() === "" || shift === 0) return line;
      if (shift > 0) return unit.repeat(shift) + line;
      return line.slice(Math.min(-shift, leadingWhitespace(line).length));
    });
  }
  // Tabs one side, spaces the other: swap the SEARCH's indentation for the file's where a line starts with it.
  return replace.map((line) => (line.trim() !== "" && line.startsWith(from) ? to + line.slice(from.length) : line));
}

function leadingWhitespace(line: string): string {
  return /^\s*/.exec(line)![0];
}

function lines(text: string): string[] {
  return text.replace(/\r\n?/g, "\n").split("\n");
}

function firstLine(search: string[]): string {
  const line = search.find((l) => l.trim() !== "")?.trim() ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

export type ResolvedAnswer =
  /** No edit blocks to apply: a whole file, or no code at all. */
  | { kind: "plain" }
  /** Edit blocks applied: `code` is the complete new file, `content` the answer holding it instead of the blocks. */
  | { kind: "edits"; ok: true; code: string; content: string }
  | { kind: "edits"; ok: false; failure: Extract<AppliedEdits, { ok: false }> };

/**
 * A finished answer as the version it makes: when its closed fence holds edit blocks they are applied
 * to `base`, and the answer is rewritten to hold the complete file, so what is saved, shared or sent
 * back to the model later never depends on a version before it.
 */
export function resolveEditAnswer(answer: string, base: string | undefined): ResolvedAnswer {
  const reply = extractReply(answer);
  if (reply.fence !== "closed" || !isEditBlocks(reply.code)) return { kind: "plain" };
  if (base === undefined) {
    return {
      kind: "edits",
      ok: false,
      failure: { ok: false, code: "edit_no_match", message: "There is no earlier version to edit." },
    };
  }
  const applied = applyEditBlocks(base, reply.code);
  if (!applied.ok) return { kind: "edits", ok: false, failure: applied };
  return { kind: "edits", ok: true, code: applied.code, content: answerWithCode(reply, applied.code) };
}

/** The answer's prose around a tsx fence holding `code`. */
export function answerWithCode(reply: Pick<ExtractedReply, "before" | "after">, code: string): string {
  const fence = "```tsx\n" + code + (code.endsWith("\n") ? "" : "\n") + "```";
  return [reply.before, fence, reply.after].filter(Boolean).join("\n\n");
}
