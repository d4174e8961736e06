/**
 * Continuing an answer the model cut off at its output-token limit, on a provider that cannot take
 * an assistant prefix: Kiln sends the partial answer back with a user turn asking for the rest, and
 * the model usually repeats a little of the end before going on. That repetition is cut here, so the
 * deltas the browser gets concatenate into one seamless answer.
 */

/** The user turn after the partial answer, asking for the rest of it. */
export const CONTINUE_PROMPT =
  "Your answer was cut off. Continue exactly where you stopped, from the very next character: no repetition, no preamble, no explanation of the cut.";

/** How far back the repetition is looked for: a model repeats a line or two, not pages. */
export const MAX_OVERLAP_CHARS = 2_000;

/**
 * The length of the longest suffix of `prefix` that is also a prefix of `text`, at most `max`
 * characters. Deltas carry whole characters, so a match never splits a surrogate pair.
 */
export function overlapLength(prefix: string, text: string, max = MAX_OVERLAP_CHARS): number {
  for (let k = Math.min(max, prefix.length, text.length); k > 0; k--) {
    if (prefix.endsWith(text.slice(0, k))) return k;
  }
  return 0;
}

/**
 * Cuts the repetition off the start of a continuation, as its deltas arrive. The start is held back
 * while the overlap could still grow (a longer tail of `prefix` starts with all of it), and let
 * through, minus the longest overlap, as soon as it cannot; after that every delta passes unchanged.
 */
export class OverlapTrimmer {
  private held = "";
  private decided = false;
  private readonly tail: string;

  constructor(prefix: string, max = MAX_OVERLAP_CHARS) {
    this.tail = prefix.slice(-max);
  }

  /** The text to send for this delta ("" while the start is held back). */
  push(text: string): string {
    if (this.decided) return text;
    this.held += text;
    return this.couldGrow() ? "" : this.decide();
  }

  /** At the end of the continuation: what is still held, minus the overlap. */
  end(): string {
    return this.decided ? "" : this.decide();
  }

  /** All of the held text occurs in the tail before its very end: a longer tail starts with it. */
  private couldGrow(): boolean {
    const at = this.tail.indexOf(this.held);
    return at !== -1 && at + this.held.length < this.tail.length;
  }

  private decide(): string {
    this.decided = true;
    const text = this.held.slice(overlapLength(this.tail, this.held, this.tail.length));
    this.held = "";
    return text;
  }
}
