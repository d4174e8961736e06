/**
 * While an answer streams, its last few characters may be Markdown that is still being written: a
 * `**` whose closing `**` has not arrived, a backtick opening inline code, a `[link](` without its
 * `)`, a line that so far holds only `-` or `1.`. Rendered as they are, they show as literal
 * asterisks (or a heading, or a list) and then snap into shape a moment later: the layout flickers.
 * `settledMarkdown` returns the longest prefix of the text that can be rendered without that: it
 * holds back the unfinished construct until the text that completes it arrives.
 *
 * The chat column calls it on every streamed delta, so it is linear in the last block (one backward
 * scan to find where that block starts, one forward scan over it) and never looks at earlier blocks:
 * inline Markdown does not cross a blank line, a heading or a list item. The saved answer is
 * rendered whole, so nothing held back here is ever lost.
 */

/** Never hold back more than this: an opener that is never closed ("2*3") must not hide a paragraph. */
export const HOLD_LIMIT = 400;

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const SPACE = 32;
const TAB = 9;
const BACKSLASH = 92;
const BACKTICK = 96;
const STAR = 42;
const UNDERSCORE = 95;
const TILDE = 126;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;
const BANG = 33;

/** A line that starts a block of its own: a list item or a block quote (sticky: tested at a line start). */
const BLOCK_START = /[ \t]{0,3}(?:[-+*][ \t]|\d{1,9}[.)][ \t]|>)/y;
/** An ATX heading line: it ends at its line end. */
const HEADING = /[ \t]{0,3}#{1,6}(?=[ \t\r\n]|$)/y;
/**
 * A line of markers only (`-`, `---`, `1`, `1.`, `#`, `>`, "```", `==`): a list item, rule, heading
 * or fence not yet written, or a setext underline that would turn the line above into a heading.
 * (Written so that it cannot backtrack: the digits come once, at the start.)
 */
const MARKERS_ONLY = /[ \t]*(?:\d{1,9}[.)]?)?[-+*=_#>~` \t]*(?=\r?\n|$)/y;

export function settledMarkdown(text: string): string {
  const start = lastBlockStart(text);
  if (start < 0) return text;
  let cut = Math.min(text.length, unfinishedInlineStart(text, start));
  const lastLine = text.lastIndexOf("\n") + 1;
  if (lastLine >= start && matchesAt(MARKERS_ONLY, text, lastLine) && !isBlank(text, lastLine, text.length)) {
    cut = Math.min(cut, lastLine);
  }
  return cut < text.length ? text.slice(0, cut) : text;
}

/**
 * Where the last block starts, or -1 when the text ends with a blank line (the block is finished and
 * nothing in it can change). One backward scan, over the last block only.
 */
function lastBlockStart(text: string): number {
  let lineEnd = text.length;
  let blankLines = 0;
  let lastContentLine = true;
  for (let i = text.length - 1; i >= -1; i--) {
    if (i >= 0 && text.charCodeAt(i) !== NEWLINE) continue;
    const lineStart = i + 1;
    if (isBlank(text, lineStart, lineEnd)) {
      if (!lastContentLine) return lineEnd + 1;
      // The trailing unfinished line may be blank; a blank line before it ends the block.
      if (++blankLines >= 2) return -1;
    } else if (lastContentLine) {
      lastContentLine = false;
      if (matchesAt(BLOCK_START, text, lineStart) || matchesAt(HEADING, text, lineStart)) return lineStart;
    } else {
      if (matchesAt(HEADING, text, lineStart) || matchesAt(MARKERS_ONLY, text, lineStart)) return lineEnd + 1;
      if (matchesAt(BLOCK_START, text, lineStart)) return lineStart;
    }
    lineEnd = i;
  }
  return 0;
}

interface Opener {
  at: number;
  count: number;
}

/**
 * The offset of the earliest construct in `text.slice(start)` that is still open at the end (within
 * HOLD_LIMIT of it), or `text.length`. Delimiters follow CommonMark's flanking rules, each kind on a
 * stack of its own so that matching never searches: `*` and `_` runs (emphasis), `~~` (GFM
 * strikethrough; a single `~` is plain text, remark-gfm is set up so), backtick runs (inline code:
 * only a run of the same length closes one), `[`…`]` and its `(…)` (links), `\` (an escape).
 */
function unfinishedInlineStart(text: string, start: number): number {
  const end = text.length;
  const floor = end - HOLD_LIMIT;
  const stacks: Record<number, Opener[]> = { [STAR]: [], [UNDERSCORE]: [], [TILDE]: [] };
  const brackets: number[] = [];
  const lastCodeRun = lastRunStarts(text, start);
  let cut = end;
  const hold = (at: number): boolean => {
    if (at < floor) return false;
    if (at < cut) cut = at;
    return true;
  };

  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      if (i + 1 === end) hold(i);
      i += 2;
      continue;
    }
    if (c === BACKTICK) {
      const runEnd = runEndAt(text, i, c);
      // Only a later run of the same length closes inline code; without one the run is plain text.
      if ((lastCodeRun.get(runEnd - i) ?? -1) > i) {
        i = codeCloserEnd(text, runEnd, runEnd - i);
        continue;
      }
      if (hold(i)) break; // what follows waits with it
      i = runEnd;
      continue;
    }
    if (c === STAR || c === UNDERSCORE || c === TILDE) {
      const runEnd = runEndAt(text, i, c);
      const unmatched = delimiterRun(text, i, runEnd, c, stacks[c]);
      // A run at the very end may still open something when the next character arrives ("Press **").
      if (runEnd === end && unmatched > 0) hold(i);
      i = runEnd;
      continue;
    }
    if (c === OPEN_BRACKET) {
      brackets.push(i > start && text.charCodeAt(i - 1) === BANG ? i - 1 : i);
    } else if (c === CLOSE_BRACKET && brackets.length > 0) {
      const opener = brackets.pop() as number;
      if (i + 1 === end) {
        hold(opener); // "[text]" may yet be followed by "(url)"
      } else if (text.charCodeAt(i + 1) === OPEN_PAREN) {
        const close = destinationEnd(text, i + 2);
        if (close < 0) {
          hold(opener);
          break; // the rest is the destination still being written
        }
        i = close + 1;
        continue;
      }
    }
    i++;
  }

  for (const at of brackets) hold(at);
  for (const stack of Object.values(stacks)) for (const opener of stack) hold(opener.at);
  return cut;
}

/** For each length of backtick run in `text.slice(from)`, where the last run of that length starts. */
function lastRunStarts(text: string, from: number): Map<number, number> {
  const last = new Map<number, number>();
  let i = text.indexOf("`", from);
  while (i >= 0) {
    const runEnd = runEndAt(text, i, BACKTICK);
    last.set(runEnd - i, i);
    i = text.indexOf("`", runEnd);
  }
  return last;
}

/** The end of the first run of exactly `length` backticks at or after `from` (the caller knows there is one). */
function codeCloserEnd(text: string, from: number, length: number): number {
  let i = text.indexOf("`", from);
  while (i >= 0) {
    const runEnd = runEndAt(text, i, BACKTICK);
    if (runEnd - i === length) return runEnd;
    i = text.indexOf("`", runEnd);
  }
  return text.length;
}

/**
 * Matches one run of `*`, `_` or `~` against the openers of its kind: closes what it can, and stays
 * open (pushed) where it can open. Returns how many of its delimiters are left unmatched. Each
 * opener is pushed once and popped once, so the whole scan is linear.
 */
function delimiterRun(text: string, from: number, to: number, c: number, stack: Opener[]): number {
  let count = to - from;
  if (c === TILDE && count !== 2) return count; // GFM: only `~~` strikes through (a `~` may yet become one)
  const before = from > 0 ? text.charCodeAt(from - 1) : SPACE;
  const after = to < text.length ? text.charCodeAt(to) : SPACE;
  const leftFlanking = !isWhitespace(after) && (!isPunctuation(after) || isWhitespace(before) || isPunctuation(before));
  const rightFlanking = !isWhitespace(before) && (!isPunctuation(before) || isWhitespace(after) || isPunctuation(after));
  const canOpen = c === UNDERSCORE ? leftFlanking && (!rightFlanking || isPunctuation(before)) : leftFlanking;
  const canClose = c === UNDERSCORE ? rightFlanking && (!leftFlanking || isPunctuation(after)) : rightFlanking;
  if (canClose) {
    while (count > 0 && stack.length > 0) {
      const top = stack[stack.length - 1];
      const used = c === TILDE ? (top.count === count ? count : 0) : Math.min(top.count, count);
      if (used === 0) break;
      top.count -= used;
      count -= used;
      if (top.count === 0) stack.pop();
    }
  }
  if (canOpen && count > 0) stack.push({ at: to - count, count });
  return count;
}

/** The offset of the `)` ending a link destination (and title) that starts at `from`, or -1. */
function destinationEnd(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === OPEN_PAREN) depth++;
    else if (c === CLOSE_PAREN && --depth === 0) return i;
  }
  return -1;
}

function runEndAt(text: string, from: number, c: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) === c) i++;
  return i;
}

function matchesAt(pattern: RegExp, text: string, at: number): boolean {
  pattern.lastIndex = at;
  return pattern.test(text);
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== TAB && c !== CARRIAGE_RETURN) return false;
  }
  return true;
}

function isWhitespace(c: number): boolean {
  return c === SPACE || c === TAB || c === NEWLINE || c === CARRIAGE_RETURN || c === 12 || c === 0xa0;
}

/** ASCII punctuation, as CommonMark's flanking rules use it (Unicode punctuation counts too; rare in practice). */
function isPunctuation(c: number): boolean {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}
